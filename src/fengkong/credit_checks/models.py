"""Tables of the order credit check: stored rule-set versions, one credit account per customer
(the row every check of that customer locks first), the checks themselves with their step
results, and the holds a credit manager releases or rejects."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from fengkong.config_versions import ConfigVersion
from fengkong.credit_checks.status import (
    Decision,
    DecisionReason,
    HoldStatus,
    ReleaseKind,
    Stage,
)
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import BigIntegerKey, Versioned, enum_type, minor_units
from fengkong.kit.time import utcnow
from fengkong.orders.models import Order


class CheckRuleSetVersion(ConfigVersion, Base):
    """A rule set's YAML as imported, so each check names exactly the rules that decided it."""

    __tablename__ = "check_rule_set_versions"
    __table_args__ = (UniqueConstraint("version"),)


class CreditAccount(Base):
    """One row per customer, written first by every credit check of that customer: the write
    is a row lock on PostgreSQL (the database's write lock on SQLite), so checks of one customer
    run one after another and two orders cannot both spend the same headroom."""

    __tablename__ = "credit_accounts"
    __audited__: ClassVar[bool] = False

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    checks: Mapped[int] = mapped_column(default=0)
    last_checked_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditCheck(Base):
    """One answer to an ERP: the order as asked about, the decision, the numbers behind it and
    every step's result. A changed order (another amount) is checked again as a new row; the
    latest row of an ``order_number`` is the order's current check.

    Not copied to the audit log: the row is itself the immutable record of who asked, when, and
    what was decided on which numbers (as ``risk_scores`` are); the outbox still announces it.
    Holds, whose decisions people make, are audited."""

    __tablename__ = "credit_checks"
    __audited__: ClassVar[bool] = False
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(created="credit_checked", updated=None)
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index(None, "order_number", "id"),
        Index(None, "customer_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    stage: Mapped[Stage] = mapped_column(enum_type(Stage, length=16))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    requested_delivery_on: Mapped[date | None] = mapped_column()
    request_sha256: Mapped[str] = mapped_column(String(64))
    decision: Mapped[Decision] = mapped_column(enum_type(Decision, length=16))
    risk_class: Mapped[str] = mapped_column(String(16))
    exposure_before_minor: Mapped[int] = minor_units()
    exposure_after_minor: Mapped[int] = minor_units()
    limit_minor: Mapped[int | None] = minor_units(nullable=True)
    available_credit_minor: Mapped[int | None] = minor_units(nullable=True)
    rule_set_version_id: Mapped[int] = mapped_column(
        ForeignKey("check_rule_set_versions.id", ondelete="RESTRICT")
    )
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    checked_on: Mapped[date] = mapped_column()
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str] = mapped_column(String(64))
    checked_by_user_id: Mapped[int | None] = mapped_column()
    # Set only when a hold's release books a new order (the unit of work writes the order first
    # and fills in ``order_id``); read ``order_id``, not this.
    order: Mapped[Order | None] = relationship()


class CreditHold(Versioned, Base):
    """A held order waiting for a credit manager, then the documented credit decision: release
    (fully, partially or on prepayment terms) or reject, with a reason code, comment, who and
    when."""

    __tablename__ = "credit_holds"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="credit_hold_opened", updated="credit_hold_decided"
    )
    __table_args__ = (
        Index(None, "status", "id"),
        CheckConstraint(
            "approved_minor IS NULL OR approved_minor >= 0", name="approved_not_negative"
        ),
        CheckConstraint(
            "prepayment_minor IS NULL OR prepayment_minor >= 0", name="prepayment_not_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_check_id: Mapped[int] = mapped_column(
        ForeignKey("credit_checks.id", ondelete="CASCADE"), unique=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    order_number: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    status: Mapped[HoldStatus] = mapped_column(
        enum_type(HoldStatus, length=16), default=HoldStatus.OPEN
    )
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_by_user_id: Mapped[int | None] = mapped_column()
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    release_kind: Mapped[ReleaseKind | None] = mapped_column(enum_type(ReleaseKind, length=16))
    approved_minor: Mapped[int | None] = minor_units(nullable=True)
    prepayment_minor: Mapped[int | None] = minor_units(nullable=True)
    reason_code: Mapped[DecisionReason | None] = mapped_column(enum_type(DecisionReason))
    comment: Mapped[str | None] = mapped_column(String(2000))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_by_user_id: Mapped[int | None] = mapped_column()
    decided_at: Mapped[datetime | None] = mapped_column()
    # Set to open the hold in the flush that stores its check; read ``credit_check_id``.
    credit_check: Mapped[CreditCheck] = relationship()
