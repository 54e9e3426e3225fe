"""API requests answer a recently read token from memory: one statement fewer a request, at the
price of a revocation reaching the API up to ``FENGKONG_API_TOKEN_CACHE_SECONDS`` later."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from fengkong.api.recent_tokens import RecentTokens
from fengkong.auth import service as auth_service
from tests.personas import Personas
from tests.sql_statements import statements_sent
from tests.unit.api.test_recent_tokens import Clock


def _token_reads(session: Session, client: TestClient, headers: dict[str, str]) -> int:
    statements = statements_sent(
        session, lambda: client.get("/api/v1/me", headers=headers).raise_for_status()
    )
    return sum(
        statement.startswith("SELECT") and "api_tokens" in statement for statement in statements
    )


def test_a_token_is_read_once_and_then_answered_from_memory(
    app: FastAPI, client: TestClient, session: Session, personas: Personas
) -> None:
    headers = personas.alice_analyst.headers
    assert _token_reads(session, client, headers) == 1
    assert _token_reads(session, client, headers) == 0
    assert _token_reads(session, client, personas.bob_manager.headers) == 1


def test_a_revoked_token_is_refused_once_its_remembered_grant_is_stale(
    app: FastAPI, client: TestClient, session: Session, personas: Personas
) -> None:
    clock = Clock()
    app.state.recent_tokens = RecentTokens(5, clock=clock)
    sales = personas.sam_sales
    assert client.get("/api/v1/me", headers=sales.headers).status_code == 200
    (token,) = auth_service.list_tokens(session, sales.actor, username=sales.user.username)
    auth_service.revoke_token(session, sales.actor, token_id=token.id)
    assert client.get("/api/v1/me", headers=sales.headers).status_code == 200
    clock.now += 5
    refused = client.get("/api/v1/me", headers=sales.headers)
    assert refused.status_code == 401
    assert client.get("/api/v1/me", headers=sales.headers).status_code == 401


def test_with_the_memory_off_a_revocation_is_refused_at_once(
    app: FastAPI, client: TestClient, session: Session, personas: Personas
) -> None:
    app.state.recent_tokens = RecentTokens(0)
    sales = personas.sam_sales
    assert client.get("/api/v1/me", headers=sales.headers).status_code == 200
    (token,) = auth_service.list_tokens(session, sales.actor, username=sales.user.username)
    auth_service.revoke_token(session, sales.actor, token_id=token.id)
    assert client.get("/api/v1/me", headers=sales.headers).status_code == 401
