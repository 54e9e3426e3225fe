"""Signing in with a password, with lockout and throttling of repeated failures, all audited.

Two counters guard the password check: one per username (known or not, so neither the answer
nor the table tells which usernames exist) and one per client address, across usernames (one
machine trying many names). Either reaching its limit locks that key for a while; a locked
sign-in fails with the same message as a wrong password, and only the audit log says which it
was. Failures older than the lockout period are forgotten, so an occasional typo never adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth import passwords
from fengkong.auth.actor import Actor
from fengkong.auth.models import LoginThrottle, User
from fengkong.auth.roles import Role
from fengkong.auth.service import actor_for, find_user
from fengkong.recorders import record_action
from fengkong.settings import Settings


class FailureReason(StrEnum):
    """Why a sign-in failed: written to the audit log, never shown to the person signing in."""

    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"  # noqa: S105 - a reason code, not a password
    INACTIVE = "inactive"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    max_failures: int
    client_max_failures: int
    lockout: timedelta

    @classmethod
    def of(cls, settings: Settings) -> ThrottlePolicy:
        return cls(
            max_failures=settings.login_max_failures,
            client_max_failures=settings.login_client_max_failures,
            lockout=timedelta(minutes=settings.login_lockout_minutes),
        )


@dataclass(frozen=True, slots=True)
class Attempt:
    """Who tried to sign in, from where."""

    username: str
    password: str
    client: str = ""


def _user_key(username: str) -> str:
    return f"user:{username}"


def _client_key(client: str) -> str:
    return f"client:{client}"


def _throttle(session: Session, key: str, now: datetime) -> LoginThrottle:
    """The row for ``key``, created if missing; two first failures at once both end up counting
    on the same row (the loser of the insert race reads the winner's)."""
    row = session.get(LoginThrottle, key, with_for_update=True)
    if row is not None:
        return row
    try:
        with session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failed_at=now)
            session.add(row)
    except IntegrityError:
        row = session.get(LoginThrottle, key, with_for_update=True, populate_existing=True)
        if row is None:
            raise
    return row


def _locked(session: Session, keys: list[str], now: datetime) -> bool:
    rows = (session.get(LoginThrottle, key) for key in keys)
    return any(
        row is not None and row.locked_until is not None and row.locked_until > now for row in rows
    )


def _claimant(username: str, user: User | None) -> Actor:
    """Who the audit entry names for a failed attempt: the account if it exists, else the name
    typed. The role is never used to authorise anything here."""
    if user is not None:
        return actor_for(user)
    return Actor(user_id=None, username=username or "-", role=Role.AUDITOR)


def _count_failure(
    session: Session,
    key: str,
    *,
    limit: int,
    policy: ThrottlePolicy,
    now: datetime,
) -> bool:
    """Add a failure to ``key``; True when this one reached the limit and locked it."""
    row = _throttle(session, key, now)
    if now - row.last_failed_at > policy.lockout:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    if row.failures < limit:
        return False
    row.failures = 0
    row.locked_until = now + policy.lockout
    return True


def _fail(
    session: Session,
    attempt: Attempt,
    username: str,
    user: User | None,
    reason: FailureReason,
    *,
    policy: ThrottlePolicy,
    now: datetime,
) -> None:
    claimant = _claimant(username, user)
    entity_id = str(user.id) if user is not None else username
    details = {"username": username, "reason": reason.value, "client": attempt.client}
    record_action(
        session,
        action="login_failed",
        entity_type="user",
        entity_id=entity_id,
        details=details,
        actor=claimant,
    )
    if reason is FailureReason.LOCKED:
        return
    until = (now + policy.lockout).isoformat()
    if _count_failure(
        session, _user_key(username), limit=policy.max_failures, policy=policy, now=now
    ):
        record_action(
            session,
            action="account_locked",
            entity_type="user",
            entity_id=entity_id,
            details={**details, "locked_until": until},
            actor=claimant,
        )
    if attempt.client and _count_failure(
        session,
        _client_key(attempt.client),
        limit=policy.client_max_failures,
        policy=policy,
        now=now,
    ):
        record_action(
            session,
            action="client_throttled",
            entity_type="client",
            entity_id=attempt.client,
            details={**details, "locked_until": until},
            actor=claimant,
        )


def sign_in(
    session: Session, attempt: Attempt, *, policy: ThrottlePolicy, now: datetime
) -> User | None:
    """The user when the password is right, the account active and neither the username nor the
    client locked out; else ``None``, having spent the same hashing time whatever the reason."""
    username = attempt.username.strip().lower()
    keys = [_user_key(username)] + ([_client_key(attempt.client)] if attempt.client else [])
    user = find_user(session, username)
    reason: FailureReason | None = None
    if _locked(session, keys, now):
        passwords.spend_verification_time(attempt.password)
        reason = FailureReason.LOCKED
    elif user is None:
        passwords.spend_verification_time(attempt.password)
        reason = FailureReason.UNKNOWN_USER
    elif not passwords.verify_password(user.password_hash, attempt.password):
        reason = FailureReason.WRONG_PASSWORD
    elif not user.is_active:
        reason = FailureReason.INACTIVE
    if user is None or reason is not None:
        refusal = reason or FailureReason.UNKNOWN_USER
        _fail(session, attempt, username, user, refusal, policy=policy, now=now)
        return None
    # The rehash below is a write, audited under the user who signed in.
    session.info["actor"] = actor_for(user)
    if user.password_hash and passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(attempt.password)
    user.last_login_at = now
    throttle = session.get(LoginThrottle, _user_key(username))
    if throttle is not None:
        throttle.failures = 0
    record_action(
        session,
        action="login",
        entity_type="user",
        entity_id=str(user.id),
        details={"client": attempt.client},
    )
    return user
