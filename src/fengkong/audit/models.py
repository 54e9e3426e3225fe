"""The audit log's table: one row per change or audited action, hash-chained, append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.kit.columns import BigIntegerKey
from fengkong.kit.time import utcnow


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __audited__: ClassVar[bool] = False
    # A unique prev_hash and position: two entries claiming the same predecessor or place in the
    # chain (a fork) cannot both exist. The partial index finds the pending entries to seal.
    __table_args__ = (
        Index(None, "entity_type", "entity_id"),
        Index(None, "prev_hash", unique=True),
        Index(None, "chain_position", unique=True),
        Index(
            "ix_audit_log_pending",
            "id",
            postgresql_where=text("chain_position IS NULL"),
            sqlite_where=text("chain_position IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column()
    after: Mapped[dict[str, Any] | None] = mapped_column()
    # The hash chain (fengkong.audit.chain): the entry's place in it and the hex SHA-256 of the
    # previous entry and of this one; all three null while the entry is pending (PostgreSQL).
    chain_position: Mapped[int | None] = mapped_column(BigInteger)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))
