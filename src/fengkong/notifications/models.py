"""Tables of the notifications area: users' email preferences per topic, webhook endpoints, and
the deliveries queued for them (the outbox of outgoing messages, with retries and dead letters)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import BigIntegerKey, Timestamped, Versioned, enum_type
from fengkong.kit.time import utcnow
from fengkong.notifications.status import Channel, DeliveryStatus, EmailMode


class NotificationSubscription(Timestamped, Base):
    """A user's email address and mode for one topic; topic ``*`` is the default for the others."""

    __tablename__ = "notification_subscriptions"
    __table_args__ = (UniqueConstraint("user_id", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    topic: Mapped[str] = mapped_column(String(64))
    mode: Mapped[EmailMode] = mapped_column(enum_type(EmailMode, length=16))
    email: Mapped[str] = mapped_column(String(254))


class WebhookEndpoint(Timestamped, Versioned, Base):
    """A URL that receives the topics it subscribes to, signed with its secret (Standard
    Webhooks). The secret is shown once when created and never returned again."""

    __tablename__ = "webhook_endpoints"
    __audit_redact__: ClassVar[frozenset[str]] = frozenset({"secret"})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(String(64))


class Delivery(Base):
    """One message to one target: an email address or a webhook endpoint. ``dedupe_key`` is unique
    per channel and target, so notifying twice about the same thing queues it once."""

    __tablename__ = "deliveries"
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset(
        {"attempts", "next_attempt_at", "last_error", "sent_at"}
    )
    __table_args__ = (
        UniqueConstraint("channel", "target", "dedupe_key"),
        Index(None, "status", "next_attempt_at"),
        Index(None, "user_id", "digest_on", "status"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel, length=16))
    target: Mapped[str] = mapped_column(String(300))
    """The email address, or ``webhook:<endpoint id>``."""
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    endpoint_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    topic: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    message_id: Mapped[str] = mapped_column(String(64))
    """The ``webhook-id`` header: the same on every retry, so receivers can drop repeats."""
    digest_on: Mapped[date | None] = mapped_column()
    """Set for a daily-digest email: it waits for that day's digest instead of going alone."""
    status: Mapped[DeliveryStatus] = mapped_column(
        enum_type(DeliveryStatus, length=16), default=DeliveryStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    digest_id: Mapped[int | None] = mapped_column(BigInteger)
    """For a digested notification: the digest delivery that carried it."""


class DeliveryAttachment(Base):
    """A file an e-mail delivery carries (a subscribed report), stored with the delivery so a
    retry sends the very bytes rendered on the day. Not audited: the bytes are no business
    record, and rendering the report is audited already."""

    __tablename__ = "delivery_attachments"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigIntegerKey, ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
