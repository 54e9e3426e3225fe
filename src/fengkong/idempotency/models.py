from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.time import utcnow


class IdempotencyKey(Base):
    """The first response to a write sent with an ``Idempotency-Key``; ``status_code`` is NULL
    while that first request is still running (a concurrent retry then waits on the row)."""

    __tablename__ = "idempotency_keys"
    __audited__: ClassVar[bool] = False
    __table_args__ = (UniqueConstraint("actor_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column()
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[Any] = mapped_column(JSON, default=None)
    response_headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
