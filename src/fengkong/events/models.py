from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import BigIntegerKey
from fengkong.kit.time import utcnow


class Event(Base):
    """One business event. ``id`` orders the stream; ``event_id`` makes redelivery idempotent."""

    __tablename__ = "events"
    __audited__: ClassVar[bool] = False
    __table_args__ = (Index(None, "customer_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column()
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
