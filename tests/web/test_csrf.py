from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from fengkong.web.csrf import SAFE_METHODS, verify_csrf
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/login", {"username": "alice_analyst", "password": "correct horse battery staple"}),
        ("/logout", {}),
        ("/locale", {"locale": "en", "next": "/"}),
    ],
)
def test_a_form_posted_without_its_csrf_token_is_refused(
    browser: WebClient, personas: Personas, path: str, form: dict[str, str]
) -> None:
    browser.get("/login")
    response = browser.post_raw(path, form)
    assert response.status_code == 403
    assert "表单已过期或来自其他网站" in response.text


def test_a_form_posted_with_a_forged_token_is_refused(
    browser: WebClient, personas: Personas
) -> None:
    browser.get("/login")
    response = browser.post_raw(
        "/login",
        {"username": "alice_analyst", "password": "x", "csrf_token": "forged-token-value"},
    )
    assert response.status_code == 403


def test_an_htmx_request_may_send_the_token_in_a_header(
    signed_in: SignedIn, personas: Personas
) -> None:
    web = signed_in(personas.alice_analyst)
    token = web.csrf_token()
    response = web.http.post(
        "/logout", headers={"X-CSRF-Token": token, "HX-Request": "true"}, follow_redirects=False
    )
    assert response.status_code == 303


def test_every_state_changing_web_route_checks_the_csrf_token(app: FastAPI) -> None:
    unsafe = [
        context
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and not (context.path or "").startswith("/api/")
        and set(context.methods or ()) - SAFE_METHODS
    ]
    assert {context.path for context in unsafe} >= {"/login", "/logout", "/locale"}
    for context in unsafe:
        checks = [dependency.call for dependency in context.dependant.dependencies]
        assert verify_csrf in checks, f"{context.path} does not check the CSRF token"
