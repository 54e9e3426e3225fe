"""Statuses and kinds of the limits area, with the transitions each status may take."""

from __future__ import annotations

from enum import StrEnum


class LimitKind(StrEnum):
    """A permanent limit holds until replaced; a temporary one adds on top until ``valid_until``."""

    PERMANENT = "permanent"
    TEMPORARY = "temporary"


class LimitStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


LIMIT_TRANSITIONS: dict[LimitStatus, frozenset[LimitStatus]] = {
    LimitStatus.ACTIVE: frozenset(
        {LimitStatus.EXPIRED, LimitStatus.SUPERSEDED, LimitStatus.REVOKED}
    ),
}


class RequestKind(StrEnum):
    """``new``, ``increase`` and ``decrease`` ask for the permanent limit to become the requested
    amount; ``temporary`` asks for the requested amount on top, until ``valid_until``."""

    NEW = "new"
    INCREASE = "increase"
    DECREASE = "decrease"
    TEMPORARY = "temporary"


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.SUBMITTED: frozenset(
        {
            RequestStatus.APPROVED,
            RequestStatus.REJECTED,
            RequestStatus.WITHDRAWN,
            RequestStatus.EXPIRED,
        }
    ),
}


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class BlockKind(StrEnum):
    """A credit block holds new orders; stop shipping also holds deliveries of approved ones."""

    CREDIT_BLOCK = "credit_block"
    STOP_SHIPPING = "stop_shipping"


class BlockSource(StrEnum):
    MANUAL = "manual"
    RULE = "rule"


class BlockStatus(StrEnum):
    ACTIVE = "active"
    RELEASED = "released"


BLOCK_TRANSITIONS: dict[BlockStatus, frozenset[BlockStatus]] = {
    BlockStatus.ACTIVE: frozenset({BlockStatus.RELEASED}),
}
