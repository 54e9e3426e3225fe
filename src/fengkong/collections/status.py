"""Statuses of dunning notices and promises to pay, and the moves allowed between them."""

from __future__ import annotations

from enum import StrEnum


class NoticeStatus(StrEnum):
    ISSUED = "issued"
    CANCELLED = "cancelled"


NOTICE_TRANSITIONS: dict[NoticeStatus, frozenset[NoticeStatus]] = {
    NoticeStatus.ISSUED: frozenset({NoticeStatus.CANCELLED}),
    NoticeStatus.CANCELLED: frozenset(),
}


class PromiseStatus(StrEnum):
    """An open promise is judged once its due date (plus grace) has passed: kept if the payments
    received since it was made cover it, broken otherwise. It may be kept early, when the money
    arrives before the due date."""

    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"
    CANCELLED = "cancelled"


PROMISE_TRANSITIONS: dict[PromiseStatus, frozenset[PromiseStatus]] = {
    PromiseStatus.OPEN: frozenset(
        {PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.CANCELLED}
    ),
    PromiseStatus.KEPT: frozenset(),
    PromiseStatus.BROKEN: frozenset(),
    PromiseStatus.CANCELLED: frozenset(),
}
