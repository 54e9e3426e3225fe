"""The shell around every page: navigation by role, permission checks, error pages, assets."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission, Role
from fengkong.web.deps import requires
from fengkong.web.nav import NAV_ITEMS, NavItem, visible_items
from fengkong.web.templating import page_window, render
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient


def menu_of(html: str) -> list[str]:
    nav = re.search(r'<nav class="main-nav".*?</nav>', html, re.DOTALL)
    return re.findall(r'<a href="([^"]+)"', nav.group(0)) if nav else []


def test_nobody_signed_in_sees_no_menu(browser: WebClient) -> None:
    assert menu_of(browser.get("/login").text) == []


FULL_MENU = [
    "/",
    "/customers",
    "/alerts",
    "/approvals",
    "/credit-holds",
    "/blocks",
    "/collections",
    "/reviews",
    "/imports",
    "/data-quality",
    "/models",
    "/settings",
]
SALES_MENU = [item for item in FULL_MENU if item not in {"/approvals", "/models", "/reviews"}]


@pytest.mark.parametrize(
    ("persona", "menu"),
    [
        ("adam_admin", FULL_MENU),
        ("bob_manager", FULL_MENU),
        ("alice_analyst", FULL_MENU),
        ("sam_sales", SALES_MENU),
        (
            "ada_auditor",
            [
                "/",
                "/customers",
                "/alerts",
                "/credit-holds",
                "/blocks",
                "/collections",
                "/reviews",
                "/data-quality",
                "/models",
                "/settings",
            ],
        ),
    ],
)
def test_every_role_sees_the_pages_its_permissions_open(
    signed_in: SignedIn, personas: Personas, persona: str, menu: list[str]
) -> None:
    web = signed_in(getattr(personas, persona))
    home = web.get("/").text
    assert menu_of(home) == menu
    assert 'href="/" aria-current="page"' in home
    assert 'href="/customers" aria-current="page"' in web.get("/customers").text


def test_a_menu_entry_shows_only_for_roles_holding_its_permission() -> None:
    audit_log = NavItem("Audit log", "/audit", Permission.AUDIT_READ, "Who changed what.")
    items = (*NAV_ITEMS, audit_log)

    def paths(role: Role) -> list[str]:
        return [item.path for item in visible_items(Actor(1, "someone", role), items)]

    assert "/audit" in paths(Role.AUDITOR)
    assert "/audit" in paths(Role.ADMIN)
    for role in (Role.SALES, Role.CREDIT_ANALYST, Role.RISK_MANAGER):
        assert "/audit" not in paths(role)
    assert visible_items(None, items) == []


def test_every_menu_entry_leads_to_a_page_that_exists(
    signed_in: SignedIn, personas: Personas
) -> None:
    web = signed_in(personas.adam_admin)
    for item in NAV_ITEMS:
        assert web.get(item.path).status_code == 200, item.path


@pytest.fixture
def app_with_admin_page(app: FastAPI) -> FastAPI:
    """The app plus a page only user managers may open, as a later feature would add one."""
    router = APIRouter()

    @router.get("/admin-only")
    def admin_only(
        request: Request, actor: Annotated[Actor, requires(Permission.USERS_MANAGE)]
    ) -> Response:
        return render(request, "home/index.html")

    @router.get("/broken")
    def broken(actor: Annotated[Actor, requires(None)]) -> Response:
        raise RuntimeError("a bug")

    app.include_router(router)
    return app


def test_a_page_needing_a_permission_the_role_lacks_shows_access_denied(
    app_with_admin_page: FastAPI, signed_in: SignedIn, personas: Personas
) -> None:
    response = signed_in(personas.sam_sales).get("/admin-only")
    assert response.status_code == 403
    assert "无权访问" in response.text
    assert menu_of(response.text) == SALES_MENU
    assert signed_in(personas.adam_admin).get("/admin-only").status_code == 200


def test_an_unexpected_error_shows_a_page_with_a_reference_for_support(
    app_with_admin_page: FastAPI, signed_in: SignedIn, personas: Personas
) -> None:
    response = signed_in(personas.sam_sales).get("/broken")
    assert response.status_code == 500
    assert "系统出错" in response.text
    assert re.search(r"技术支持参考编号：[0-9a-f]{12}", response.text)
    assert "a bug" not in response.text


def test_api_errors_stay_json_while_pages_get_html(browser: WebClient) -> None:
    api = browser.get("/api/v1/customers/1")
    assert api.status_code == 401
    assert api.json()["error"]["code"] == "not_authenticated"
    page = browser.get("/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.text


def test_pages_load_their_scripts_and_styles_from_this_server_only(browser: WebClient) -> None:
    page = browser.get("/login").text
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/htmx.min.js" in sources
    assert "/static/css/app.css" in sources
    external = [source for source in sources if not re.match(r"^(/(?!/)|#)", source)]
    assert external == []
    assert browser.get("/static/css/app.css").status_code == 200


@pytest.mark.parametrize(
    ("current", "pages", "window"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (1, 10, [1, 2, 3, None, 10]),
        (6, 12, [1, None, 4, 5, 6, 7, 8, None, 12]),
        (12, 12, [1, None, 10, 11, 12]),
        (4, 10, [1, 2, 3, 4, 5, 6, None, 10]),
    ],
)
def test_page_links_show_the_ends_and_the_pages_near_the_current_one(
    current: int, pages: int, window: list[int | None]
) -> None:
    assert page_window(current, pages) == window
