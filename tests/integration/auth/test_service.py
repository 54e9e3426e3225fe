from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import ApiToken
from fengkong.auth.roles import Permission, Role
from fengkong.errors import PermissionDenied, ValidationFailed
from tests.personas import PASSWORD, Personas

SYSTEM = Actor.system("test")


def test_passwords_are_stored_as_argon2id_hashes(session: Session) -> None:
    user, plain = auth_service.create_user(session, SYSTEM, username="Dora", role=Role.SALES)
    assert user.username == "dora"
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert plain not in user.password_hash
    assert auth_service.authenticate(session, username="dora", password=plain) is user


def test_login_fails_alike_for_a_wrong_password_an_unknown_user_and_a_disabled_one(
    session: Session, personas: Personas
) -> None:
    assert auth_service.authenticate(session, username="bob_manager", password="wrong") is None
    assert auth_service.authenticate(session, username="nobody", password=PASSWORD) is None
    personas.bob_manager.user.is_active = False
    assert auth_service.authenticate(session, username="bob_manager", password=PASSWORD) is None


def test_only_an_admin_may_create_users(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied, match="users:manage"):
        auth_service.create_user(
            session, personas.bob_manager.actor, username="eve", role=Role.ADMIN
        )


@pytest.mark.parametrize(("username", "password"), [("x", None), ("ok_name", "short")])
def test_bad_usernames_and_short_passwords_are_refused(
    session: Session, username: str, password: str | None
) -> None:
    with pytest.raises(ValidationFailed):
        auth_service.create_user(
            session, SYSTEM, username=username, role=Role.SALES, password=password
        )


def test_a_token_is_stored_only_as_its_hash_and_resolves_to_its_user(
    session: Session, personas: Personas
) -> None:
    token = personas.alice_analyst.token
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    actor = auth_service.actor_for_token(session, token)
    assert actor is not None
    assert (actor.username, actor.role) == ("alice_analyst", Role.CREDIT_ANALYST)
    assert actor.can(Permission.CUSTOMERS_WRITE)
    assert not actor.can(Permission.USERS_MANAGE)


def test_revoked_and_expired_tokens_stop_working(session: Session, personas: Personas) -> None:
    short_lived = auth_service.create_token(
        session, SYSTEM, username="sam_sales", expires_in=timedelta(hours=1)
    )
    assert auth_service.actor_for_token(session, short_lived) is not None
    with time_machine.travel(timedelta(hours=2)):
        assert auth_service.actor_for_token(session, short_lived) is None

    record = session.scalars(
        select(ApiToken).where(ApiToken.user_id == personas.sam_sales.user.id)
    ).first()
    assert record is not None
    auth_service.revoke_token(session, personas.sam_sales.actor, token_id=record.id)
    assert auth_service.actor_for_token(session, personas.sam_sales.token) is None


def test_a_disabled_users_tokens_stop_working(session: Session, personas: Personas) -> None:
    assert auth_service.actor_for_token(session, personas.sam_sales.token) is not None
    personas.sam_sales.user.is_active = False
    assert auth_service.actor_for_token(session, personas.sam_sales.token) is None


def test_a_token_records_its_use_at_most_once_a_minute(
    session: Session, personas: Personas
) -> None:
    plain = auth_service.create_token(session, SYSTEM, username="sam_sales", name="erp")
    record = session.scalars(select(ApiToken).where(ApiToken.name == "erp")).one()

    def stored_last_use() -> datetime | None:
        return session.scalar(select(ApiToken.last_used_at).where(ApiToken.id == record.id))

    assert stored_last_use() is None
    with time_machine.travel(datetime(2026, 12, 6, 9, 0, tzinfo=UTC), tick=False):
        assert auth_service.actor_for_token(session, plain) is not None
    first_use = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    assert stored_last_use() == first_use
    assert record.last_used_at == first_use
    with time_machine.travel(datetime(2026, 12, 6, 9, 0, 50, tzinfo=UTC), tick=False):
        assert auth_service.actor_for_token(session, plain) is not None
    assert stored_last_use() == first_use
    with time_machine.travel(datetime(2026, 12, 6, 9, 1, 5, tzinfo=UTC), tick=False):
        assert auth_service.actor_for_token(session, plain) is not None
    assert stored_last_use() == datetime(2026, 12, 6, 9, 1, 5, tzinfo=UTC)


def test_a_user_may_not_mint_tokens_for_someone_else(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        auth_service.create_token(session, personas.sam_sales.actor, username="bob_manager")
