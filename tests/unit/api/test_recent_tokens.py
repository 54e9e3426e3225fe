"""The bearer-token memory: how long a grant answers, and what it never stretches."""

from __future__ import annotations

from datetime import timedelta

from fengkong.api.recent_tokens import RecentTokens
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.auth.service import TokenGrant
from fengkong.kit.time import utcnow

ERP = Actor(user_id=7, username="erp", role=Role.SALES)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_grant_answers_for_its_seconds_and_then_must_be_read_again() -> None:
    clock = Clock()
    recent = RecentTokens(5, clock=clock)
    assert recent.actor_of("fk_a") is None
    recent.remember("fk_a", TokenGrant(ERP, expires_at=None))
    assert recent.actor_of("fk_a") == ERP
    assert recent.actor_of("fk_b") is None
    clock.now += 4.9
    assert recent.actor_of("fk_a") == ERP
    clock.now += 0.1
    assert recent.actor_of("fk_a") is None


def test_a_token_past_its_expiry_is_not_answered_even_while_fresh() -> None:
    recent = RecentTokens(60, clock=Clock())
    recent.remember("fk_gone", TokenGrant(ERP, expires_at=utcnow() - timedelta(seconds=1)))
    recent.remember("fk_live", TokenGrant(ERP, expires_at=utcnow() + timedelta(hours=1)))
    assert recent.actor_of("fk_gone") is None
    assert recent.actor_of("fk_live") == ERP


def test_zero_seconds_remembers_nothing() -> None:
    recent = RecentTokens(0, clock=Clock())
    recent.remember("fk_a", TokenGrant(ERP, expires_at=None))
    assert recent.actor_of("fk_a") is None


def test_beyond_its_size_the_least_recently_read_token_is_forgotten() -> None:
    recent = RecentTokens(60, max_tokens=2, clock=Clock())
    for token in ("fk_1", "fk_2", "fk_3"):
        recent.remember(token, TokenGrant(ERP, expires_at=None))
    assert [recent.actor_of(token) for token in ("fk_1", "fk_2", "fk_3")] == [None, ERP, ERP]


def test_the_memory_holds_digests_not_tokens() -> None:
    recent = RecentTokens(60, clock=Clock())
    recent.remember("fk_secret", TokenGrant(ERP, expires_at=None))
    assert recent.actor_of("fk_secret") == ERP
    assert "fk_secret" not in repr(vars(recent))
