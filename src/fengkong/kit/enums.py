"""Status enums move only along declared transitions."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

S = TypeVar("S", bound=StrEnum)


class TransitionError(ValueError):
    pass


def check_transition(current: S, target: S, allowed: Mapping[S, frozenset[S]]) -> S:
    """Return ``target`` when ``current → target`` is allowed (staying put always is)."""
    if target is current or target in allowed.get(current, frozenset()):
        return target
    raise TransitionError(f"status cannot change from {current.value} to {target.value}")
