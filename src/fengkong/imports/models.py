from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import enum_type
from fengkong.kit.time import utcnow


class ImportStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    REJECTED = "rejected"


class ImportRun(Base):
    """One file import: who, when, which file (by hash), what it did. Written in the import's own
    transaction, so a killed import leaves no run behind either and can simply be repeated."""

    __tablename__ = "import_runs"
    __table_args__ = (Index(None, "kind", "file_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    partial: Mapped[bool] = mapped_column(default=False)
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column()
    status: Mapped[ImportStatus] = mapped_column(enum_type(ImportStatus, length=16))
    actor_id: Mapped[int | None] = mapped_column()
    actor_username: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_inserted: Mapped[int] = mapped_column(default=0)
    rows_updated: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    # The first errors ({row, column, value, code, message}); the count says how many in all.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error_count: Mapped[int] = mapped_column(default=0)
