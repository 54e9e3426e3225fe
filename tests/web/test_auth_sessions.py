"""Sign-in hardening through the browser: lockout with the usual message, server-side sessions
that rotate on sign-in, die on sign-out, idle out, and end when the password changes; the
cookie's flags; sign-ins and sign-outs in the audit log."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import time_machine
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fengkong.app import create_app
from fengkong.audit.models import AuditEntry
from fengkong.auth import passwords
from fengkong.auth.models import User
from fengkong.db import Database
from fengkong.settings import Settings
from fengkong.web.setup import SESSION_COOKIE
from tests.personas import PASSWORD, Personas
from tests.web.conftest import BrowserFactory, SignedIn, WebClient

GENERIC_FAILURE = "用户名或密码不正确。"


def _cookie_payload(web: WebClient) -> dict[str, object]:
    """What the signed cookie carries (its first part is plain base64 JSON)."""
    cookie = web.session_cookie
    assert cookie is not None
    data = cookie.split(".")[0]
    payload: dict[str, object] = json.loads(base64.b64decode(data + "=" * (-len(data) % 4)))
    return payload


def _replay(new_browser: BrowserFactory, cookie: str) -> WebClient:
    thief = new_browser()
    thief.http.cookies.set(SESSION_COOKIE, cookie)
    return thief


def _actions(session: Session, user_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "user", AuditEntry.entity_id == str(user_id))
            .order_by(AuditEntry.id)
        )
    )


def test_a_locked_account_reads_like_a_wrong_password_and_only_the_audit_says_why(
    browser: WebClient, personas: Personas, session: Session
) -> None:
    for _ in range(5):
        wrong = browser.sign_in("bob_manager", "not the password")
        assert wrong.status_code == 400
        assert GENERIC_FAILURE in wrong.text
    locked = browser.sign_in("bob_manager")
    assert locked.status_code == 400
    assert locked.text.replace(browser.csrf_token(), "") == wrong.text.replace(
        browser.csrf_token(), ""
    )
    assert _actions(session, personas.bob_manager.user.id) == [
        *["login_failed"] * 5,
        "account_locked",
        "login_failed",
    ]
    with time_machine.travel(timedelta(minutes=16)):
        assert browser.sign_in("bob_manager").status_code == 303


def test_the_cookie_carries_a_session_token_and_no_user_id(
    signed_in: SignedIn, personas: Personas
) -> None:
    payload = _cookie_payload(signed_in(personas.alice_analyst))
    assert "session_token" in payload
    assert "user_id" not in payload
    assert str(personas.alice_analyst.user.id) not in json.dumps(
        {k: v for k, v in payload.items() if k != "session_token"}
    )


def test_a_cookie_replayed_after_sign_out_is_signed_out(
    signed_in: SignedIn, new_browser: BrowserFactory, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.alice_analyst)
    stolen = web.session_cookie
    assert stolen is not None
    assert _replay(new_browser, stolen).get("/").status_code == 200
    assert web.post("/logout").status_code == 303
    replayed = _replay(new_browser, stolen).get("/customers")
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")
    assert _actions(session, personas.alice_analyst.user.id) == ["login", "logout"]


def test_signing_in_again_rotates_the_session_and_retires_the_old_one(
    signed_in: SignedIn, new_browser: BrowserFactory, personas: Personas
) -> None:
    web = signed_in(personas.alice_analyst)
    before = web.session_cookie
    before_token = _cookie_payload(web)["session_token"]
    assert before is not None
    assert web.sign_in("alice_analyst").status_code == 303
    assert _cookie_payload(web)["session_token"] != before_token
    assert web.get("/").status_code == 200
    assert _replay(new_browser, before).get("/").status_code == 303


def test_an_idle_browser_is_signed_out_and_a_busy_one_is_not(
    signed_in: SignedIn, personas: Personas
) -> None:
    busy = signed_in(personas.alice_analyst)
    idle = signed_in(personas.bob_manager)
    with time_machine.travel(timedelta(minutes=20)):
        assert busy.get("/customers").status_code == 200
    with time_machine.travel(timedelta(minutes=40)):
        assert busy.get("/customers").status_code == 200
        assert idle.get("/customers").status_code == 303
        assert idle.get("/customers").headers["location"].startswith("/login")


def test_a_session_ends_at_its_lifetime_however_busy(
    signed_in: SignedIn, personas: Personas, settings: Settings
) -> None:
    web = signed_in(personas.alice_analyst)
    step = timedelta(minutes=settings.session_idle_minutes - 1)
    elapsed = timedelta(0)
    lifetime = timedelta(seconds=settings.session_max_age_seconds)
    while elapsed + step < lifetime:
        elapsed += step
        with time_machine.travel(elapsed):
            assert web.get("/customers").status_code == 200
    with time_machine.travel(lifetime + timedelta(seconds=1)):
        assert web.get("/customers").status_code == 303


def test_a_password_change_signs_the_browser_out(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.sam_sales)
    assert web.get("/customers").status_code == 200
    personas.sam_sales.user.password_hash = passwords.hash_password("a brand new passphrase")
    session.flush()
    assert web.get("/customers").status_code == 303


def test_the_cookie_is_http_only_lax_and_secure_when_configured(
    database: Database, settings: Settings, app: FastAPI
) -> None:
    plain = TestClient(app).get("/login")
    assert "secure" not in plain.headers["set-cookie"].lower()
    assert "strict-transport-security" not in plain.headers
    secure_app = create_app(
        database=database, settings=settings.model_copy(update={"cookie_secure": True})
    )
    with TestClient(secure_app, base_url="https://testserver") as client:
        response = client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "; secure" in cookie
    assert "; httponly" in cookie
    assert "samesite=lax" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=31536000")


def test_a_rehash_at_sign_in_keeps_the_new_session_and_ends_the_others(
    signed_in: SignedIn, new_browser: BrowserFactory, personas: Personas, session: Session
) -> None:
    elsewhere = signed_in(personas.alice_analyst)
    user = personas.alice_analyst.user
    older_cost = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    # As a hash from before the cost settings changed: written behind the ORM's back.
    session.execute(update(User).where(User.id == user.id).values(password_hash=older_cost))
    session.expire(user)
    assert elsewhere.get("/customers").status_code == 200
    here = new_browser()
    assert here.sign_in("alice_analyst").status_code == 303
    assert user.password_hash is not None
    assert user.password_hash != older_cost
    assert not passwords.needs_rehash(user.password_hash)
    assert here.get("/customers").status_code == 200
    assert elsewhere.get("/customers").status_code == 303
