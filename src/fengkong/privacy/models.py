"""Legal holds: personal data a customer's file must keep whatever an erasure request says."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.time import utcnow


class LegalHold(Base):
    """Set by a risk manager or admin (litigation, a regulator's request, a dispute); while it is
    not released, erasure requests touching the customer are refused with its reason (PIPL
    Art. 47 lets a processor keep data another law requires it to keep)."""

    __tablename__ = "legal_holds"
    __table_args__ = (Index(None, "customer_id", "released_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(300))
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[str | None] = mapped_column(String(64))
    released_at: Mapped[datetime | None] = mapped_column()
