from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import enum_type, optional_money
from fengkong.kit.money import Money
from fengkong.kit.time import utcnow


class DataKind(StrEnum):
    AGENCY_REPORT = "agency_report"
    REGISTRY = "registry"
    COURT = "court"


class PullOutcome(StrEnum):
    FOUND = "found"
    NOT_FOUND = "not_found"
    FAILED = "failed"
    FRESH_ENOUGH = "fresh_enough"


class CreditDataPull(Base):
    """One request to a provider, kept for the age rule (no re-pull while fresh) and for cost."""

    __tablename__ = "credit_data_pulls"
    __audited__: ClassVar[bool] = False
    __table_args__ = (Index(None, "customer_id", "kind", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[DataKind] = mapped_column(enum_type(DataKind, length=16))
    provider: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[PullOutcome] = mapped_column(enum_type(PullOutcome, length=16))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(64))
    cost_minor: Mapped[int | None] = mapped_column()
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost: Mapped[Money | None] = optional_money("cost_minor", "cost_currency")
    detail: Mapped[str | None] = mapped_column(String(500))
