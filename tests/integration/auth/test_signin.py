"""Failed sign-ins lock a username (known or not) and throttle a client; all of it is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth import passwords
from fengkong.auth.models import LoginThrottle
from fengkong.auth.signin import Attempt, ThrottlePolicy, sign_in
from tests.personas import PASSWORD, Personas

POLICY = ThrottlePolicy(max_failures=5, client_max_failures=8, lockout=timedelta(minutes=15))
T0 = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _try(
    session: Session, username: str, password: str, *, client: str = "10.0.0.1", at: datetime = T0
) -> bool:
    attempt = Attempt(username=username, password=password, client=client)
    return sign_in(session, attempt, policy=POLICY, now=at) is not None


def _fail_times(session: Session, username: str, times: int, *, client: str = "10.0.0.1") -> None:
    for n in range(times):
        assert not _try(
            session, username, "wrong password", client=client, at=T0 + timedelta(seconds=n)
        )


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def test_the_fifth_wrong_password_locks_the_account_even_against_the_right_one(
    session: Session, personas: Personas
) -> None:
    _fail_times(session, "alice_analyst", 4)
    assert _try(session, "alice_analyst", PASSWORD, at=T0 + timedelta(minutes=1), client="10.0.0.2")
    _fail_times(session, "alice_analyst", 5, client="10.0.0.5")
    assert not _try(
        session, "alice_analyst", PASSWORD, at=T0 + timedelta(minutes=14), client="10.0.0.3"
    )
    locked = _audit(session, "account_locked")
    assert len(locked) == 1
    assert locked[0].actor_id == personas.alice_analyst.user.id
    assert locked[0].after is not None
    assert locked[0].after["locked_until"] == (T0 + timedelta(seconds=4, minutes=15)).isoformat()
    refused = _audit(session, "login_failed")[-1]
    assert refused.after is not None
    assert refused.after["reason"] == "locked"


def test_the_lock_lifts_after_the_lockout_period(session: Session, personas: Personas) -> None:
    _fail_times(session, "bob_manager", 5)
    assert not _try(session, "bob_manager", PASSWORD, at=T0 + timedelta(minutes=15))
    assert _try(session, "bob_manager", PASSWORD, at=T0 + timedelta(minutes=15, seconds=5))


def test_a_successful_sign_in_resets_the_count(session: Session, personas: Personas) -> None:
    _fail_times(session, "sam_sales", 4, client="10.0.0.7")
    assert _try(session, "sam_sales", PASSWORD, at=T0 + timedelta(minutes=1), client="10.0.0.8")
    reset = session.get(LoginThrottle, "user:sam_sales")
    assert reset is not None
    assert reset.failures == 0
    for n in range(4):
        assert not _try(session, "sam_sales", "nope", at=T0 + timedelta(minutes=2, seconds=n))
    assert _try(session, "sam_sales", PASSWORD, at=T0 + timedelta(minutes=3), client="10.0.0.9")


def test_failures_older_than_the_lockout_period_are_forgotten(
    session: Session, personas: Personas
) -> None:
    for day in range(10):
        at = T0 + timedelta(days=day)
        assert not _try(session, "ada_auditor", "typo", at=at, client=f"10.1.0.{day}")
    assert _try(session, "ada_auditor", PASSWORD, at=T0 + timedelta(days=10))
    assert _audit(session, "account_locked") == []


def test_an_unknown_username_is_locked_alike_so_locks_do_not_reveal_which_names_exist(
    session: Session,
) -> None:
    _fail_times(session, "nobody_here", 5)
    row = session.get(LoginThrottle, "user:nobody_here")
    assert row is not None
    assert row.locked_until == T0 + timedelta(seconds=4, minutes=15)
    locked = _audit(session, "account_locked")
    assert [(entry.actor_id, entry.actor_username, entry.entity_id) for entry in locked] == [
        (None, "nobody_here", "nobody_here")
    ]


def test_one_client_trying_many_usernames_is_throttled(
    session: Session, personas: Personas
) -> None:
    for n in range(POLICY.client_max_failures):
        assert not _try(
            session, f"guess{n}", "wrong", client="203.0.113.9", at=T0 + timedelta(seconds=n)
        )
    assert not _try(
        session, "alice_analyst", PASSWORD, client="203.0.113.9", at=T0 + timedelta(minutes=1)
    )
    assert _try(
        session, "alice_analyst", PASSWORD, client="198.51.100.4", at=T0 + timedelta(minutes=1)
    )
    throttled = _audit(session, "client_throttled")
    assert [entry.entity_id for entry in throttled] == ["203.0.113.9"]


def test_every_outcome_is_audited_with_its_reason_and_the_username_tried(
    session: Session, personas: Personas
) -> None:
    personas.ada_auditor.user.is_active = False
    session.flush()
    assert not _try(session, "alice_analyst", "Tr0ub4dor&3")
    assert not _try(session, "ghost", PASSWORD)
    assert not _try(session, "ada_auditor", PASSWORD)
    assert _try(session, " Alice_Analyst ", PASSWORD)
    failed = [(entry.actor_username, entry.after) for entry in _audit(session, "login_failed")]
    assert [(name, (after or {})["reason"]) for name, after in failed] == [
        ("alice_analyst", "wrong_password"),
        ("ghost", "unknown_user"),
        ("ada_auditor", "inactive"),
    ]
    assert all(PASSWORD not in str(after) and "Tr0ub4dor" not in str(after) for _, after in failed)
    [login] = _audit(session, "login")
    assert (login.actor_id, login.entity_id) == (
        personas.alice_analyst.user.id,
        str(personas.alice_analyst.user.id),
    )
    assert login.after == {"client": "10.0.0.1"}


def test_a_locked_or_unknown_sign_in_still_spends_a_password_check(
    session: Session, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = passwords.spend_verification_time

    def counting(password: str) -> None:
        calls.append(password)
        original(password)

    monkeypatch.setattr(passwords, "spend_verification_time", counting)
    _fail_times(session, "bob_manager", 5)
    assert calls == []
    assert not _try(session, "bob_manager", PASSWORD, at=T0 + timedelta(minutes=1))
    assert not _try(session, "ghost", PASSWORD, at=T0 + timedelta(minutes=1))
    assert calls == [PASSWORD, PASSWORD]
