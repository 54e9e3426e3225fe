from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient, csrf_token_in


def test_the_session_cookie_is_http_only_and_same_site_lax(browser: WebClient) -> None:
    response = browser.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "max-age=28800" in cookie


def test_signing_in_leads_to_the_start_page_naming_the_user_and_role(
    browser: WebClient, personas: Personas
) -> None:
    response = browser.sign_in("alice_analyst")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = browser.get("/")
    assert home.status_code == 200
    assert "alice_analyst" in home.text
    assert "信用分析师" in home.text


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("alice_analyst", "not the password"),
        ("nobody_here", "correct horse battery staple"),
        ("alice_analyst", ""),
        ("", "correct horse battery staple"),
    ],
)
def test_a_failed_sign_in_says_only_that_the_username_or_password_is_wrong(
    browser: WebClient, personas: Personas, username: str, password: str
) -> None:
    response = browser.sign_in(username, password)
    assert response.status_code == 400
    assert "用户名或密码不正确。" in response.text
    assert browser.get("/").status_code == 303


def test_a_deactivated_user_cannot_sign_in_and_reads_the_same_message(
    browser: WebClient, personas: Personas, session: Session
) -> None:
    personas.sam_sales.user.is_active = False
    session.flush()
    response = browser.sign_in("sam_sales")
    assert response.status_code == 400
    assert "用户名或密码不正确。" in response.text


def test_a_page_sends_a_visitor_who_is_not_signed_in_to_the_login_page(
    browser: WebClient,
) -> None:
    response = browser.get("/customers?q=%E4%B8%8A%E6%B5%B7&status=active")
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fcustomers%3Fq%3D%25E4%25B8%258A%25E6%25B5%25B7%26status%3Dactive"
    )
    assert browser.get("/").headers["location"] == "/login"


def test_an_htmx_request_without_a_session_redirects_the_whole_page(browser: WebClient) -> None:
    response = browser.get(
        "/customers?q=x", headers={"HX-Request": "true", "HX-Target": "customer-results"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=%2Fcustomers%3Fq%3Dx"


def test_signing_in_returns_to_the_page_that_was_asked_for(
    browser: WebClient, personas: Personas
) -> None:
    login_page = browser.get("/login?next=%2Fcustomers%3Fstatus%3Dactive")
    assert 'name="next" value="/customers?status=active"' in login_page.text
    response = browser.sign_in("bob_manager", next_path="/customers?status=active")
    assert response.headers["location"] == "/customers?status=active"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "http:/evil.example",
    ],
)
def test_signing_in_never_redirects_to_another_site(
    browser: WebClient, personas: Personas, next_path: str
) -> None:
    response = browser.sign_in("bob_manager", next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_login_page_of_a_signed_in_user_sends_them_on_but_not_off_site(
    signed_in: SignedIn, personas: Personas
) -> None:
    web = signed_in(personas.bob_manager)
    assert web.get("/login?next=/customers").headers["location"] == "/customers"
    assert web.get("/login?next=//evil.example").headers["location"] == "/"


def test_signing_in_starts_a_new_session_with_a_new_csrf_token(
    browser: WebClient, personas: Personas
) -> None:
    token_before = browser.csrf_token()
    cookie_before = browser.session_cookie
    browser.sign_in("alice_analyst")
    assert browser.session_cookie != cookie_before
    token_after = csrf_token_in(browser.get("/").text)
    assert token_after != token_before
    stale = browser.post_raw("/logout", {"csrf_token": token_before})
    assert stale.status_code == 403


def test_signing_out_ends_the_session_and_says_so(signed_in: SignedIn, personas: Personas) -> None:
    web = signed_in(personas.alice_analyst)
    response = web.post("/logout")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    login_page = web.get("/login")
    assert "您已退出登录。" in login_page.text
    assert web.get("/customers").status_code == 303


def test_a_user_deactivated_while_signed_in_is_signed_out_on_the_next_page(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.sam_sales)
    assert web.get("/customers").status_code == 200
    auth_service.get_user(session, "sam_sales").is_active = False
    session.flush()
    response = web.get("/customers")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
