"""Tables of the exposure area: mitigants that secure part of a customer's exposure, disputes
raised against invoices, exchange rates to the credit currency, and each customer's exposure as
last computed (the portfolio dashboard's source)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.exposure.status import (
    DisputeResolution,
    DisputeStatus,
    MitigantKind,
    MitigantStatus,
)
from fengkong.kit.columns import (
    Archivable,
    Sourced,
    Timestamped,
    Versioned,
    enum_type,
    minor_units,
    money,
)
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow


class Mitigant(Sourced, Archivable, Timestamped, Versioned, Base):
    """A guarantee, collateral, credit-insurance policy, prepayment or letter of credit. It
    covers ``amount × (1 − haircut)`` of the customer's exposure from ``valid_from`` through
    ``valid_until`` (open-ended when null) while active."""

    __tablename__ = "mitigants"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="mitigant_recorded", updated="mitigant_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint("haircut >= 0 AND haircut <= 1", name="haircut_is_share"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="valid_until_after_from"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[MitigantKind] = mapped_column(enum_type(MitigantKind))
    provider: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    valid_from: Mapped[date] = mapped_column()
    valid_until: Mapped[date | None] = mapped_column()
    haircut: Mapped[float] = mapped_column(Float)
    status: Mapped[MitigantStatus] = mapped_column(
        enum_type(MitigantStatus, length=16), default=MitigantStatus.ACTIVE
    )


class InvoiceDispute(Timestamped, Versioned, Base):
    """A customer contests (part of) an invoice. While open, the disputed amount still counts in
    exposure but not in the overdue rules of the credit check, and dunning skips the invoice."""

    __tablename__ = "invoice_disputes"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="invoice_disputed", updated="invoice_dispute_updated"
    )
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        Index(None, "customer_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT"), index=True
    )
    # The invoice's customer, kept here so the credit check reads one customer's open disputes
    # through an index without joining every invoice.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    currency: Mapped[str] = mapped_column(String(3))
    amount_minor: Mapped[int] = minor_units()
    amount: Mapped[Money] = money("amount_minor")
    reason: Mapped[str] = mapped_column(String(1000))
    status: Mapped[DisputeStatus] = mapped_column(
        enum_type(DisputeStatus, length=16), default=DisputeStatus.OPEN
    )
    opened_on: Mapped[date] = mapped_column()
    opened_by: Mapped[str] = mapped_column(String(64))
    resolved_on: Mapped[date | None] = mapped_column()
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[DisputeResolution | None] = mapped_column(
        enum_type(DisputeResolution, length=16)
    )
    resolution_note: Mapped[str | None] = mapped_column(String(1000))


class FxRate(Timestamped, Base):
    """How many units of the credit currency (CNY) one unit of ``currency`` is worth from
    ``as_of`` on. Amounts in a currency without a rate are reported apart, never guessed."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("currency", "as_of"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[date] = mapped_column()
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8))
    recorded_by: Mapped[str] = mapped_column(String(64))


class ExposureSnapshot(Base):
    """A customer's exposure as last computed, one row each, so the portfolio dashboard sums a
    table of 100,000 rows instead of recomputing every ledger on each visit (docs/exposure.md).

    Amounts are minor units of the credit currency, ageing as of ``as_of``. Expected loss is not
    kept: it is the customer's current PD × ``loss_at_default``, so a new grade counts at once.
    The stream consumer refreshes the customers whose data changed; a daily refresh moves
    everyone's ageing to the new day.
    """

    __tablename__ = "exposure_snapshots"
    __audited__: ClassVar[bool] = False

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    as_of: Mapped[date] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    not_due_minor: Mapped[int] = minor_units()
    dpd_1_30_minor: Mapped[int] = minor_units()
    dpd_31_60_minor: Mapped[int] = minor_units()
    dpd_61_90_minor: Mapped[int] = minor_units()
    dpd_90_plus_minor: Mapped[int] = minor_units()
    open_receivables_minor: Mapped[int] = minor_units()
    overdue_minor: Mapped[int] = minor_units()
    open_orders_minor: Mapped[int] = minor_units()
    contract_commitments_minor: Mapped[int] = minor_units()
    unapplied_payments_minor: Mapped[int] = minor_units()
    gross_exposure_minor: Mapped[int] = minor_units()
    mitigation_minor: Mapped[int] = minor_units()
    net_exposure_minor: Mapped[int] = mapped_column(BigInteger, index=True)
    ead_minor: Mapped[int] = minor_units()
    loss_at_default: Mapped[Decimal] = mapped_column(Numeric(20, 6))
    """Σ part × its LGD in minor units (fractional): what a default today would cost."""
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
