from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, String, event, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, attributes, mapped_column

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
    # Without customers:all (sales) a user sees their own customers and those whose region code
    # starts with this administrative-division prefix (2, 4 or 6 digits; None: own only).
    region_code: Mapped[str | None] = mapped_column(String(6))
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
    # The permissions this token may use (``None``: all of its user's); the user's role still
    # bounds them, so a role that loses a permission takes it from the token too.
    scopes: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))


class UserSession(Base):
    """A signed-in browser. The cookie carries a random token; only its SHA-256 is the key, so a
    copy of the database hands out no live sessions. Sign-ins and sign-outs are audited as
    actions, so the rows themselves are not (each page view may touch ``last_seen_at``)."""

    __tablename__ = "user_sessions"
    __audited__: ClassVar[bool] = False

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")


class LoginThrottle(Base):
    """Recent failed sign-ins for one username (``user:<name>``, whether or not it exists, so the
    table does not tell which do) or one client address (``client:<ip>``), and until when that
    key is locked out."""

    __tablename__ = "login_throttles"
    __audited__: ClassVar[bool] = False

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column()


# A change of any of these takes away what a signed-in browser was trusted with.
_SESSION_BOUND = ("is_active", "role", "password_hash")


@event.listens_for(User, "before_update")
def _revoke_sessions_on_credential_change(
    _mapper: Mapper[Any], connection: Connection, user: User
) -> None:
    """Deactivating a user or changing their role or password signs out every browser of theirs,
    whichever code path made the change. Runs before the flush inserts new sessions, so a session
    started in the same flush (a sign-in that rehashed the password) survives."""
    if any(attributes.get_history(user, name).has_changes() for name in _SESSION_BOUND):
        connection.execute(
            update(UserSession)
            .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
