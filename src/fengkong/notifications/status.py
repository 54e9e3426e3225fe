"""Statuses and kinds of the notifications area, with the transitions a delivery may take."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class EmailMode(StrEnum):
    """How a user hears about a topic: each notification at once, once a day, or not at all."""

    IMMEDIATE = "immediate"
    DAILY_DIGEST = "daily_digest"
    OFF = "off"


class DeliveryStatus(StrEnum):
    """``failed`` waits for its next attempt; ``dead`` gave up after the last one; ``digested``
    went out inside a daily digest email instead of on its own."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    DIGESTED = "digested"


DELIVERY_TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.PENDING: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DEAD, DeliveryStatus.DIGESTED}
    ),
    DeliveryStatus.FAILED: frozenset(
        {DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.DEAD}
    ),
    # A person may send a dead letter round again.
    DeliveryStatus.DEAD: frozenset({DeliveryStatus.PENDING}),
}
