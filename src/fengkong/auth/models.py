from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.auth.roles import Role
from fengkong.db import Base
from fengkong.kit.columns import Timestamped, Versioned, enum_type
from fengkong.kit.time import utcnow


class User(Timestamped, Versioned, Base):
    __tablename__ = "users"
    __audit_redact__: ClassVar[frozenset[str]] = frozenset({"password_hash"})
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset({"last_login_at", "locale"})

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    locale: Mapped[str | None] = mapped_column(String(8))
    is_active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column()


class ApiToken(Base):
    """A bearer token for machines. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    __audit_redact__: ClassVar[frozenset[str]] = frozenset({"token_hash"})
    __audit_ignore__: ClassVar[frozenset[str]] = frozenset({"last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()
