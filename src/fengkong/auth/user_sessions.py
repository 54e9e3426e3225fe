"""Server-side sessions of signed-in browsers.

The browser's signed cookie carries only a random 256-bit token; the ``user_sessions`` row keyed
by its SHA-256 says whose it is and whether it still holds. Ending a session on the server (sign
out, a password or role change, deactivation) makes a copied or replayed cookie worthless, which
a cookie-only session cannot do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fengkong.auth.models import User, UserSession
from fengkong.auth.tokens import token_digest
from fengkong.settings import Settings

# Writing last_seen_at on every page would make each page view a write; a minute's precision is
# plenty for an idle timeout counted in tens of minutes.
TOUCH_INTERVAL = timedelta(minutes=1)
MAX_USER_AGENT = 200
MAX_IP_ADDRESS = 45


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """How long a session lasts: ``lifetime`` from sign-in at most, ``idle`` without a request."""

    lifetime: timedelta
    idle: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SessionPolicy:
        return cls(
            lifetime=timedelta(seconds=settings.session_max_age_seconds),
            idle=timedelta(minutes=settings.session_idle_minutes),
        )


def start(
    session: Session,
    user: User,
    *,
    now: datetime,
    policy: SessionPolicy,
    user_agent: str = "",
    ip_address: str = "",
) -> str:
    """Open a session for ``user`` and return its token (for the cookie; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            id=token_digest(token),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + policy.lifetime,
            user_agent=user_agent[:MAX_USER_AGENT],
            ip_address=ip_address[:MAX_IP_ADDRESS],
        )
    )
    session.flush()
    return token


def resume(session: Session, token: str, *, now: datetime, policy: SessionPolicy) -> User | None:
    """The active user this token's session belongs to, or ``None`` when it is unknown, revoked,
    past its lifetime, idle too long, or its user is deactivated. Marks the session seen."""
    row = session.get(UserSession, token_digest(token))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if now - row.last_seen_at > policy.idle:
        row.revoked_at = now
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if now - row.last_seen_at >= TOUCH_INTERVAL:
        row.last_seen_at = now
    return user


def end(session: Session, token: str, *, now: datetime) -> int | None:
    """Revoke this token's session; the id of the user it belonged to, if it was live."""
    row = session.get(UserSession, token_digest(token))
    if row is None or row.revoked_at is not None:
        return None
    row.revoked_at = now
    return row.user_id
