"""Tables of the limits area: stored limit policies, the limits granted, the requests that ask for
them with their decisions and comments, and credit blocks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.config_versions import ConfigVersion
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import Timestamped, Versioned, enum_type, minor_units, money
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow
from fengkong.limits.status import (
    BlockKind,
    BlockSource,
    BlockStatus,
    Decision,
    LimitKind,
    LimitStatus,
    RequestKind,
    RequestStatus,
)

LIMIT_CHANGED = "credit_limit_changed"
_ONE_PERMANENT = "kind = 'permanent' AND status = 'active'"
_ONE_PER_RULE = "source = 'rule' AND status = 'active'"


class LimitPolicyVersion(ConfigVersion, Base):
    """A limit policy's YAML as imported: every limit and request names the version that
    recommended or tiered it."""

    __tablename__ = "limit_policy_versions"
    __table_args__ = (UniqueConstraint("version"),)


class LimitRequest(Timestamped, Versioned, Base):
    """Someone asks for a limit; the tier of the active policy says who must approve it."""

    __tablename__ = "limit_requests"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="limit_requested", updated="limit_request_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint(
            "kind <> 'temporary' OR valid_until IS NOT NULL", name="temporary_has_end_date"
        ),
        CheckConstraint("required_approvals IN (1, 2)", name="one_or_two_approvals"),
        Index(None, "customer_id", "id"),
        Index(None, "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[RequestKind] = mapped_column(enum_type(RequestKind, length=16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    valid_until: Mapped[date | None] = mapped_column()
    justification: Mapped[str] = mapped_column(Text)
    status: Mapped[RequestStatus] = mapped_column(
        enum_type(RequestStatus, length=16), default=RequestStatus.SUBMITTED
    )
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_on: Mapped[date] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    grade: Mapped[str | None] = mapped_column(String(8))
    tier: Mapped[str] = mapped_column(String(64))
    tier_amount_minor: Mapped[int] = minor_units()
    """The limit in force after approval, which chose the tier."""
    approver_roles: Mapped[list[str]] = mapped_column(JSON)
    required_approvals: Mapped[int] = mapped_column()
    current_minor: Mapped[int] = minor_units()
    """The limit in force when the request was submitted."""
    recommended_minor: Mapped[int] = minor_units()
    policy_version_id: Mapped[int] = mapped_column(
        ForeignKey("limit_policy_versions.id", ondelete="RESTRICT")
    )


class LimitRequestDecision(Base):
    """One approver's approval or rejection of a request."""

    __tablename__ = "limit_request_decisions"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="limit_request_decided", updated=None, customer_attribute="customer_id"
    )
    __table_args__ = (UniqueConstraint("request_id", "decided_by"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("limit_requests.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, length=16))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class LimitRequestComment(Base):
    __tablename__ = "limit_request_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("limit_requests.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditLimit(Timestamped, Versioned, Base):
    """A limit granted to a customer. At most one permanent limit is active per customer (a
    partial unique index); active temporary limits add on top from ``valid_from`` through
    ``valid_until``."""

    __tablename__ = "credit_limits"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(created=LIMIT_CHANGED, updated=LIMIT_CHANGED)
    __table_args__ = (
        CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        CheckConstraint(
            "kind <> 'temporary' OR valid_until IS NOT NULL", name="temporary_has_end_date"
        ),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="valid_until_after_from"
        ),
        Index(None, "customer_id", "status"),
        Index(
            "uq_credit_limits_one_permanent_active",
            "customer_id",
            unique=True,
            postgresql_where=text(_ONE_PERMANENT),
            sqlite_where=text(_ONE_PERMANENT),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[LimitKind] = mapped_column(enum_type(LimitKind, length=16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    valid_from: Mapped[date] = mapped_column()
    valid_until: Mapped[date | None] = mapped_column()
    status: Mapped[LimitStatus] = mapped_column(
        enum_type(LimitStatus, length=16), default=LimitStatus.ACTIVE
    )
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("limit_requests.id", ondelete="SET NULL")
    )
    policy_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("limit_policy_versions.id", ondelete="RESTRICT")
    )
    granted_by: Mapped[str] = mapped_column(String(64))
    ended_at: Mapped[datetime | None] = mapped_column()
    ended_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))


class CreditBlock(Timestamped, Versioned, Base):
    """A credit block or stop-shipping on a customer, set by a user or by a block rule. A rule
    block lifts by itself when its condition clears, unless a user confirmed it."""

    __tablename__ = "credit_blocks"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="credit_block_set", updated="credit_block_changed"
    )
    __table_args__ = (
        CheckConstraint(
            "(source = 'rule') = (rule_name IS NOT NULL)", name="rule_blocks_name_their_rule"
        ),
        Index(None, "customer_id", "status"),
        Index(None, "status", "id"),
        Index(
            "uq_credit_blocks_one_active_per_rule",
            "customer_id",
            "rule_name",
            unique=True,
            postgresql_where=text(_ONE_PER_RULE),
            sqlite_where=text(_ONE_PER_RULE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    kind: Mapped[BlockKind] = mapped_column(enum_type(BlockKind, length=16))
    reason: Mapped[str] = mapped_column(String(500))
    source: Mapped[BlockSource] = mapped_column(enum_type(BlockSource, length=16))
    rule_name: Mapped[str | None] = mapped_column(String(64))
    findings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[BlockStatus] = mapped_column(
        enum_type(BlockStatus, length=16), default=BlockStatus.ACTIVE
    )
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(String(64))
    confirmed_at: Mapped[datetime | None] = mapped_column()
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column()
    release_reason: Mapped[str | None] = mapped_column(String(500))
    suppressed_until: Mapped[date | None] = mapped_column()
    """After a user released a rule block: the rule does not set it again before this day."""
