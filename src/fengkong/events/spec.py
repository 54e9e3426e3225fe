"""How a table announces its changes on the outbox. Pure declarations; no I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OutboxSpec:
    """Event types a mapped class emits; ``None`` means that kind of change emits nothing."""

    created: str | None
    updated: str | None
    deleted: str | None = None
    customer_attribute: str = "customer_id"
