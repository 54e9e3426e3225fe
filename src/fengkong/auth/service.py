"""Use cases for users and tokens. Callers own the transaction; nothing here commits."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Collection
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Select, String, bindparam, select
from sqlalchemy.orm import Session

from fengkong.auth import passwords, tokens
from fengkong.auth.actor import Actor
from fengkong.auth.models import ApiToken, User
from fengkong.auth.roles import Permission, Role, permissions_of
from fengkong.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from fengkong.i18n import as_locale
from fengkong.kit.time import utcnow
from fengkong.settings import Locale

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
# Writing last_used_at on every request would turn each API read into a write; once a minute is
# enough to tell a live token from a forgotten one.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
# A stored scope that names a permission since removed grants nothing rather than failing.
_PERMISSION_NAMES = frozenset(permission.value for permission in Permission)


class UserNotFound(NotFound):
    code = "user_not_found"


class UsernameTaken(Conflict):
    code = "username_taken"


def ensure_permission(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"{actor.username} ({actor.role}) lacks {permission}")


def actor_for(user: User) -> Actor:
    return Actor(
        user_id=user.id, username=user.username, role=user.role, region_code=user.region_code
    )


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == username)).one_or_none()


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise UserNotFound(f"no user named {username!r}")
    return user


def list_active_users(session: Session, *, limit: int = 500) -> list[User]:
    """Active users by username: the people a filter or an assignment may name."""
    return list(
        session.scalars(
            select(User).where(User.is_active.is_(True)).order_by(User.username).limit(limit)
        )
    )


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def validate_password(password: str) -> None:
    if len(password) < passwords.MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            f"password must have at least {passwords.MIN_PASSWORD_LENGTH} characters",
            details=[{"field": "password", "message": "too short"}],
        )


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    role: Role,
    password: str | None = None,
    display_name: str = "",
    locale: str | None = None,
) -> tuple[User, str]:
    """Create a user; returns the user and its password (generated when none is given)."""
    ensure_permission(actor, Permission.USERS_MANAGE)
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            "username must be 2–64 characters of a-z, 0-9, '.', '_' or '-'",
            details=[{"field": "username", "value": username}],
        )
    if find_user(session, username) is not None:
        raise UsernameTaken(f"username {username!r} is taken")
    plain = password if password is not None else generate_password()
    validate_password(plain)
    user = User(
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=passwords.hash_password(plain),
        locale=locale,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user, plain


def authenticate(session: Session, *, username: str, password: str) -> User | None:
    """The user when the password matches an active account, else ``None`` (never says which)."""
    user = find_user(session, username.strip().lower())
    if user is None:
        passwords.spend_verification_time(password)
        return None
    if not user.is_active or not passwords.verify_password(user.password_hash, password):
        return None
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    return user


def find_active_user(session: Session, user_id: int) -> User | None:
    user = session.get(User, user_id)
    return user if user is not None and user.is_active else None


def load_actor(session: Session, user_id: int) -> Actor | None:
    user = find_active_user(session, user_id)
    return actor_for(user) if user is not None else None


def locales_of(session: Session, user_ids: Collection[int]) -> dict[int, Locale]:
    """The UI language each of these users chose (users who chose none are left out): what
    their notifications are written in."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.locale).where(User.id.in_(list(user_ids))))
    return {user_id: chosen for user_id, locale in rows if (chosen := as_locale(locale))}


def set_locale(session: Session, actor: Actor, *, locale: str) -> None:
    """Save the actor's preferred UI language (a preference, so it is not audited)."""
    if actor.user_id is None:
        return
    user = find_active_user(session, actor.user_id)
    if user is not None:
        user.locale = locale


class ScopeNotGranted(ValidationFailed):
    code = "scope_not_granted"


def _checked_scopes(user: User, scopes: Collection[str] | None) -> list[str] | None:
    """The scopes as stored (sorted permission names), refusing unknown permissions and any the
    user's role does not grant: a token can narrow its user's rights, never widen them."""
    if scopes is None:
        return None
    unknown = sorted(set(scopes) - _PERMISSION_NAMES)
    if unknown:
        raise ValidationFailed(
            f"unknown permissions: {', '.join(unknown)}",
            details=[{"field": "scopes", "value": scope} for scope in unknown],
        )
    granted = {permission.value for permission in permissions_of(user.role)}
    beyond = sorted(set(scopes) - granted)
    if beyond:
        raise ScopeNotGranted(
            f"{user.username} ({user.role}) does not hold {', '.join(beyond)}",
            details=[{"field": "scopes", "value": scope} for scope in beyond],
        )
    if not scopes:
        raise ValidationFailed(
            "a token needs at least one scope", details=[{"field": "scopes", "message": "empty"}]
        )
    return sorted(set(scopes))


def create_token(
    session: Session,
    actor: Actor,
    *,
    username: str,
    name: str = "",
    expires_in: timedelta | None = None,
    scopes: Collection[str] | None = None,
) -> str:
    """Issue a bearer token for ``username``, limited to ``scopes`` (``None``: all the user's
    permissions); the plain token is returned once and never stored."""
    user = get_user(session, username)
    if user.id != actor.user_id:
        ensure_permission(actor, Permission.USERS_MANAGE)
    plain = tokens.new_token()
    session.add(
        ApiToken(
            user_id=user.id,
            name=name,
            token_prefix=tokens.display_prefix(plain),
            token_hash=tokens.token_digest(plain),
            expires_at=utcnow() + expires_in if expires_in else None,
            scopes=_checked_scopes(user, scopes),
        )
    )
    session.flush()
    return plain


@dataclasses.dataclass(frozen=True, slots=True)
class TokenListing:
    """What an administrator sees of a token: never the token, only its first characters."""

    id: int
    username: str
    name: str
    prefix: str
    scopes: tuple[str, ...] | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


def list_tokens(
    session: Session, actor: Actor, *, username: str | None = None
) -> list[TokenListing]:
    """Tokens by id, of one user or (for administrators) of everyone."""
    query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
    if username is not None:
        user = get_user(session, username)
        if user.id != actor.user_id:
            ensure_permission(actor, Permission.USERS_MANAGE)
        query = query.where(ApiToken.user_id == user.id)
    else:
        ensure_permission(actor, Permission.USERS_MANAGE)
    return [
        TokenListing(
            id=token.id,
            username=owner,
            name=token.name,
            prefix=token.token_prefix,
            scopes=tuple(token.scopes) if token.scopes is not None else None,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
            last_used_at=token.last_used_at,
        )
        for token, owner in session.execute(query.order_by(ApiToken.id))
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class TokenGrant:
    """What a bearer token stands for, and until when."""

    actor: Actor
    expires_at: datetime | None


def actor_for_token(session: Session, token: str) -> Actor | None:
    """The actor a bearer token stands for, or ``None`` if unknown, revoked, expired or disabled."""
    grant = grant_of_token(session, token)
    return None if grant is None else grant.actor


def grant_of_token(session: Session, token: str) -> TokenGrant | None:
    """The token and its user are read in one query: every API request that is not answered
    from ``fengkong.api.recent_tokens`` pays for it."""
    found = session.execute(
        _token_and_user(), {"token_hash": tokens.token_digest(token)}
    ).one_or_none()
    now = utcnow()
    if found is None:
        return None
    record, user = found
    if record.revoked_at is not None or not user.is_active:
        return None
    if record.expires_at is not None and record.expires_at <= now:
        return None
    actor = actor_for(user)
    if record.last_used_at is None or now - record.last_used_at >= TOKEN_TOUCH_INTERVAL:
        record.last_used_at = now
    if record.scopes is not None:
        scopes = frozenset(
            Permission(scope) for scope in record.scopes if scope in _PERMISSION_NAMES
        )
        actor = dataclasses.replace(actor, token_scopes=scopes)
    return TokenGrant(actor, record.expires_at)


@cache
def _token_and_user() -> Select[ApiToken, User]:
    """Built once per process: every API request runs it."""
    return (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == bindparam("token_hash", type_=String))
    )


def revoke_token(session: Session, actor: Actor, *, token_id: int) -> None:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFound(f"no API token {token_id}")
    if record.user_id != actor.user_id:
        ensure_permission(actor, Permission.USERS_MANAGE)
    if record.revoked_at is None:
        record.revoked_at = utcnow()
