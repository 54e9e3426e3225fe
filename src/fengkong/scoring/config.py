"""Checks shared by the scoring configurations (scorecards, master scales) read from YAML.

Configurations come from files and from users, so every problem is reported with the place it
was found ("factor debt_to_asset, bin 3: ..."), never as a bare ``KeyError`` or ``TypeError``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from typing import Any


class ConfigError(ValueError):
    """A scoring configuration is malformed; the message names the place and the field."""


def check_keys(
    raw: Mapping[Any, Any],
    *,
    required: Set[str],
    allowed: Set[str],
    where: str,
    error: type[ConfigError],
) -> None:
    # Unknown first: a misspelt field is also a missing one, and the misspelling is the news.
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise error(f"{where}: unknown field {', '.join(unknown)}")
    missing = sorted(required - set(raw))
    if missing:
        raise error(f"{where}: missing {', '.join(missing)}")


def number(value: Any, where: str, error: type[ConfigError]) -> float:
    """A finite number (YAML ints and floats; booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise error(f"{where} must be a number, got {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise error(f"{where} must be finite, got {value!r}")
    return result


def optional_number(value: Any, where: str, error: type[ConfigError]) -> float | None:
    return None if value is None else number(value, where, error)


def text(value: Any, where: str, error: type[ConfigError]) -> str:
    if not isinstance(value, str) or not value.strip():
        raise error(f"{where} must be a non-empty string, got {value!r}")
    return value


def version_text(value: Any, where: str, error: type[ConfigError]) -> str:
    """Versions are strings; a bare YAML ``version: 3`` is accepted as ``"3"``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text(value, where, error)


def plain_number(value: float | None) -> float | int | None:
    """Whole numbers as YAML ints (``score: 100``, not ``100.0``): easier to read and review."""
    if value is not None and value.is_integer():
        return int(value)
    return value
