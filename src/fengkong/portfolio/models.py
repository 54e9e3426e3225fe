"""The dashboard's figures as last computed, so the page reads one row instead of aggregating a
100,000-customer book on every visit."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.time import utcnow


class StoredFigures(Base):
    """One computation of the portfolio's figures (``portfolio.service.PortfolioFigures`` as
    JSON). Only the latest is kept; it is derived data, so not audited."""

    __tablename__ = "portfolio_figures"
    __audited__: ClassVar[bool] = False

    id: Mapped[int] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    business_date: Mapped[date] = mapped_column()
    last_event_id: Mapped[int] = mapped_column(BigInteger)
    """The newest outbox event when the figures were computed: a later one may change them."""
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
