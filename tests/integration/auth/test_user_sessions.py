"""Server-side sessions: lifetime, idle timeout, revocation when a user's credentials change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth import passwords, user_sessions
from fengkong.auth.models import User, UserSession
from fengkong.auth.roles import Role
from fengkong.auth.tokens import token_digest
from tests.personas import Personas

POLICY = user_sessions.SessionPolicy(lifetime=timedelta(hours=8), idle=timedelta(minutes=30))
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _start(session: Session, user: User, at: datetime = T0) -> str:
    return user_sessions.start(
        session, user, now=at, policy=POLICY, user_agent="Mozilla/5.0 " * 40, ip_address="10.0.0.1"
    )


def _resume(session: Session, token: str, minutes: float) -> User | None:
    return user_sessions.resume(session, token, now=T0 + timedelta(minutes=minutes), policy=POLICY)


def test_only_the_tokens_hash_is_stored(session: Session, personas: Personas) -> None:
    token = _start(session, personas.alice_analyst.user)
    stored = session.scalars(select(UserSession.id)).all()
    assert token not in stored
    assert token_digest(token) in stored
    row = session.get(UserSession, token_digest(token))
    assert row is not None
    assert len(row.user_agent) == user_sessions.MAX_USER_AGENT
    assert len(token) >= 43  # 256 random bits, URL-safe base64


def test_a_session_in_use_lasts_until_its_lifetime_ends(
    session: Session, personas: Personas
) -> None:
    token = _start(session, personas.alice_analyst.user)
    for minutes in range(20, 480, 20):
        assert _resume(session, token, minutes) is personas.alice_analyst.user
    assert _resume(session, token, 480) is None


def test_a_session_left_idle_ends_and_stays_ended(session: Session, personas: Personas) -> None:
    token = _start(session, personas.alice_analyst.user)
    assert _resume(session, token, 30) is personas.alice_analyst.user
    assert _resume(session, token, 60.5) is None
    assert _resume(session, token, 61) is None


def test_last_seen_is_written_at_most_once_a_minute(session: Session, personas: Personas) -> None:
    token = _start(session, personas.alice_analyst.user)
    row = session.get(UserSession, token_digest(token))
    assert row is not None
    _resume(session, token, 0.5)
    assert row.last_seen_at == T0
    _resume(session, token, 1)
    assert row.last_seen_at == T0 + timedelta(minutes=1)


def test_ending_a_session_makes_its_token_useless(session: Session, personas: Personas) -> None:
    token = _start(session, personas.alice_analyst.user)
    assert user_sessions.end(session, token, now=T0) == personas.alice_analyst.user.id
    assert _resume(session, token, 1) is None
    assert user_sessions.end(session, token, now=T0) is None
    assert _resume(session, "made-up-token", 1) is None


@pytest.mark.parametrize(
    "change",
    ["deactivate", "role", "password"],
)
def test_deactivation_or_a_role_or_password_change_signs_every_browser_out(
    session: Session, personas: Personas, change: str
) -> None:
    user = personas.sam_sales.user
    tokens = [_start(session, user), _start(session, user)]
    bystander = _start(session, personas.alice_analyst.user)
    if change == "deactivate":
        user.is_active = False
    elif change == "role":
        user.role = Role.CREDIT_ANALYST
    else:
        user.password_hash = passwords.hash_password("a brand new passphrase")
    session.flush()
    if change != "deactivate":
        assert [_resume(session, token, 1) for token in tokens] == [None, None]
    revoked = session.scalars(
        select(UserSession.revoked_at).where(UserSession.user_id == user.id)
    ).all()
    assert revoked
    assert all(at is not None for at in revoked)
    assert _resume(session, bystander, 1) is personas.alice_analyst.user


def test_a_change_of_name_or_language_keeps_the_sessions(
    session: Session, personas: Personas
) -> None:
    user = personas.sam_sales.user
    token = _start(session, user)
    user.display_name = "Sam S."
    user.locale = "en"
    session.flush()
    assert _resume(session, token, 1) is user


def test_a_role_change_is_audited_naming_the_old_and_new_role(
    session: Session, personas: Personas
) -> None:
    user = personas.sam_sales.user
    user.role = Role.CREDIT_ANALYST
    session.flush()
    entry = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity_type == "users",
            AuditEntry.entity_id == str(user.id),
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.before is not None
    assert entry.after is not None
    assert entry.before["role"] == "sales"
    assert entry.after["role"] == "credit_analyst"
    assert entry.actor_username == "test"


def test_a_password_reset_is_audited_without_the_hash(session: Session, personas: Personas) -> None:
    user = personas.sam_sales.user
    new_hash = passwords.hash_password("a brand new passphrase")
    user.password_hash = new_hash
    session.flush()
    entry = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type == "users", AuditEntry.entity_id == str(user.id))
        .order_by(AuditEntry.id.desc())
    ).first()
    assert entry is not None
    assert entry.after is not None
    assert "password_hash" in entry.after
    assert new_hash not in str(entry.after)
