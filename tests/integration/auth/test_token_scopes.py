"""API tokens limited to some of their user's permissions, listed, expiring and revoked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fengkong.audit.models import AuditEntry
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import ApiToken
from fengkong.auth.roles import Permission
from fengkong.cli import app as cli
from fengkong.database import open_database
from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.kit.time import utcnow
from tests.cli_support import create_users
from tests.personas import Personas

SYSTEM = Actor.system("test")
ERP_SCOPES = ["credit_checks:run", "customers:read"]
runner = CliRunner()


def _erp_token(session: Session, username: str = "sam_sales") -> str:
    return auth_service.create_token(
        session, SYSTEM, username=username, name="ERP", scopes=ERP_SCOPES
    )


def test_a_scoped_token_acts_with_only_its_scopes(session: Session, personas: Personas) -> None:
    actor = auth_service.actor_for_token(session, _erp_token(session))
    assert actor is not None
    assert actor.token_scopes == frozenset(
        {Permission.CREDIT_CHECKS_RUN, Permission.CUSTOMERS_READ}
    )
    assert actor.permissions == {Permission.CREDIT_CHECKS_RUN, Permission.CUSTOMERS_READ}
    assert not actor.can(Permission.ORDERS_WRITE)
    unscoped = auth_service.actor_for_token(session, personas.sam_sales.token)
    assert unscoped is not None
    assert unscoped.token_scopes is None
    assert unscoped.can(Permission.ORDERS_WRITE)


def test_the_api_refuses_what_a_token_is_not_scoped_for(
    client: TestClient, session: Session, personas: Personas
) -> None:
    headers = {"Authorization": f"Bearer {_erp_token(session, 'alice_analyst')}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["permissions"] == ERP_SCOPES
    assert client.get("/api/v1/customers", headers=headers).status_code == 200
    refused = client.get("/api/v1/alerts", headers=headers)
    assert refused.status_code == 403
    assert "alerts:read" in refused.text
    assert client.get("/api/v1/alerts", headers=personas.alice_analyst.headers).status_code == 200


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (["limits:approve"], "does not hold limits:approve"),
        (["users:manage", "customers:read"], "does not hold users:manage"),
        (["customers:reed"], "unknown permissions: customers:reed"),
        ([], "at least one scope"),
    ],
)
def test_a_token_cannot_be_granted_more_than_its_users_role(
    session: Session, personas: Personas, scopes: list[str], message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message):
        auth_service.create_token(session, SYSTEM, username="sam_sales", scopes=scopes)


def test_a_scope_the_role_later_loses_is_lost_by_the_token(
    session: Session, personas: Personas
) -> None:
    token = auth_service.create_token(
        session, SYSTEM, username="alice_analyst", scopes=["limits:approve", "customers:read"]
    )
    personas.alice_analyst.user.role = personas.sam_sales.user.role
    session.flush()
    actor = auth_service.actor_for_token(session, token)
    assert actor is not None
    assert actor.permissions == {Permission.CUSTOMERS_READ}


def test_a_new_token_is_audited_with_its_scopes_and_without_its_hash(
    session: Session, personas: Personas
) -> None:
    token = _erp_token(session)
    record = session.scalars(select(ApiToken).where(ApiToken.scopes.is_not(None))).one()
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity_type == "api_tokens", AuditEntry.entity_id == str(record.id)
        )
    ).one()
    assert entry.action == "create"
    assert entry.after is not None
    assert entry.after["scopes"] == ERP_SCOPES
    assert record.token_hash not in str(entry.after)
    assert token not in str(entry.after)


def test_listing_shows_scopes_and_state_but_never_the_token(
    session: Session, personas: Personas
) -> None:
    token = _erp_token(session)
    expired = auth_service.create_token(
        session, SYSTEM, username="sam_sales", name="old", expires_in=timedelta(days=1)
    )
    listed = auth_service.list_tokens(session, personas.sam_sales.actor, username="sam_sales")
    assert [(t.name, t.scopes) for t in listed] == [
        ("tests", None),
        ("ERP", tuple(ERP_SCOPES)),
        ("old", None),
    ]
    assert all(token not in repr(t) and expired not in repr(t) for t in listed)
    auth_service.revoke_token(session, personas.sam_sales.actor, token_id=listed[1].id)
    later = utcnow() + timedelta(days=2)
    states = [t.status(later) for t in auth_service.list_tokens(session, SYSTEM)]
    assert states.count("revoked") == 1
    assert states.count("expired") == 1


def test_only_administrators_list_everyones_tokens(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        auth_service.list_tokens(session, personas.bob_manager.actor)
    with pytest.raises(PermissionDenied):
        auth_service.list_tokens(session, personas.bob_manager.actor, username="sam_sales")
    assert len(auth_service.list_tokens(session, personas.adam_admin.actor)) == 5


@pytest.fixture
def database_url(migrated_cli_database_url: str) -> str:
    create_users(("erp", "sales"))
    return migrated_cli_database_url


def _stored_tokens(url: str) -> list[ApiToken]:
    database = open_database(url)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            rows = list(session.scalars(select(ApiToken).order_by(ApiToken.id)))
            session.expunge_all()
            return rows
    finally:
        database.dispose()


def test_the_command_line_issues_scoped_tokens_that_expire_in_a_year_by_default(
    database_url: str,
) -> None:
    args = ["token", "create", "--username", "erp", "--name", "ERP"]
    scoped = runner.invoke(
        cli, [*args, "--scope", "customers:read", "--scope", "credit_checks:run"]
    )
    assert scoped.exit_code == 0, scoped.output
    forever = runner.invoke(cli, [*args, "--no-expiry"])
    assert forever.exit_code == 0, forever.output
    ninety = runner.invoke(cli, [*args, "--expires-in-days", "90"])
    assert ninety.exit_code == 0, ninety.output
    first, second, third = _stored_tokens(database_url)
    assert first.scopes == ERP_SCOPES
    assert first.expires_at is not None
    assert abs((first.expires_at - first.created_at) - timedelta(days=365)) < timedelta(minutes=1)
    assert second.expires_at is None
    assert third.expires_at is not None
    assert abs((third.expires_at - third.created_at) - timedelta(days=90)) < timedelta(minutes=1)


def test_the_command_line_refuses_a_scope_beyond_the_role_and_contradictory_expiry(
    database_url: str,
) -> None:
    beyond = runner.invoke(cli, ["token", "create", "--username", "erp", "--scope", "limits:write"])
    assert beyond.exit_code == 1
    assert "does not hold limits:write" in beyond.output
    both = runner.invoke(
        cli,
        ["token", "create", "--username", "erp", "--no-expiry", "--expires-in-days", "3"],
    )
    assert both.exit_code != 0
    assert _stored_tokens(database_url) == []


def test_the_command_line_lists_and_revokes_tokens(database_url: str) -> None:
    token = runner.invoke(
        cli, ["token", "create", "--username", "erp", "--name", "ERP", "--scope", "orders:read"]
    ).output.strip()
    listed = runner.invoke(cli, ["token", "list"])
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output
    assert token[:9] in listed.output
    assert "active" in listed.output
    assert "[orders:read]" in listed.output
    [stored] = _stored_tokens(database_url)
    revoked = runner.invoke(cli, ["token", "revoke", str(stored.id)])
    assert revoked.exit_code == 0, revoked.output
    assert "revoked" in runner.invoke(cli, ["token", "list", "--username", "erp"]).output
    database = open_database(database_url)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            assert auth_service.actor_for_token(session, token) is None
    finally:
        database.dispose()
