"""Security headers on every kind of response, and CSRF refusal on every state-changing page
route, exercised by posting to each of them without a token."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from fengkong.api.security_headers import CONTENT_SECURITY_POLICY, SecurityHeadersMiddleware
from fengkong.audit.models import AuditEntry
from fengkong.web.csrf import SAFE_METHODS
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient

EXPECTED = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/login", 200),
        ("/", 303),
        ("/no-such-page", 404),
        ("/static/vendor/htmx.min.js", 200),
        ("/api/v1/me", 401),
        ("/api/v1/openapi.json", 200),
        ("/healthz", 200),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    browser: WebClient, path: str, status: int
) -> None:
    response = browser.get(path)
    assert response.status_code == status
    for name, value in EXPECTED.items():
        assert response.headers[name] == value, name
    assert "camera=()" in response.headers["permissions-policy"]
    assert "strict-transport-security" not in response.headers


def test_the_policy_forbids_inline_script_and_framing() -> None:
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_a_signed_in_page_carries_them_too(signed_in: SignedIn, personas: Personas) -> None:
    page = signed_in(personas.alice_analyst).get("/customers")
    assert page.status_code == 200
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_a_response_with_its_own_policy_keeps_it() -> None:
    def stricter(_request: Request) -> PlainTextResponse:
        return PlainTextResponse(
            "report",
            headers={"Content-Security-Policy": "sandbox", "X-Frame-Options": "SAMEORIGIN"},
        )

    app = SecurityHeadersMiddleware(Starlette(routes=[Route("/r", stricter)]), https=True)
    response = TestClient(app).get("/r")
    assert response.headers["content-security-policy"] == "sandbox"
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_api_docs_page_admits_exactly_its_own_start_up_script(browser: WebClient) -> None:
    page = browser.get("/docs")
    assert page.status_code == 200
    [inline] = re.findall(r"<script>(.*?)</script>", page.text, re.DOTALL)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    policy = page.headers["content-security-policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy


def _unsafe_page_routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        path = context.path or ""
        if path.startswith("/api/"):
            continue
        for method in sorted(set(context.methods or ()) - SAFE_METHODS):
            routes.append((method, re.sub(r"\{[^}]+\}", "1", path)))
    return routes


def test_every_state_changing_page_refuses_a_request_without_its_csrf_token(
    app: FastAPI, signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    routes = _unsafe_page_routes(app)
    assert len(routes) > 20
    web = signed_in(personas.adam_admin)
    audit_rows = session.scalar(select(func.count()).select_from(AuditEntry))
    for method, path in routes:
        responses = (
            web.http.request(method, path, data={"comment": "x"}, follow_redirects=False),
            web.http.request(method, path, json={"comment": "x"}, follow_redirects=False),
        )
        for response in responses:
            assert response.status_code == 403, (method, path, response.status_code)
            assert "csrf_failed" in response.text or "表单已过期" in response.text
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == audit_rows
    assert web.get("/customers").status_code == 200
