"""Every page and form route of the UI × every role, as a browser meets them: nobody signed in
is sent to the login page; a role lacking the route's declared permission gets 403; a role
holding it gets neither. Forms are posted with a valid CSRF token, so a 403 is about the role.
SQLite only, for the reason given in tests/api/test_authorization_matrix.py."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx2 import Response
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.imports.kinds import KINDS as IMPORT_KINDS
from fengkong.web.routes.imports import ImportsPermission
from fengkong.web.routes.settings import KindPermission, SettingsPermission
from fengkong.web.settings_kinds import SETTINGS_KINDS, SETTINGS_PERMISSIONS
from tests.api.test_authorization_matrix import ROLES, Route, Rows, make_rows, routes_of
from tests.personas import Persona, Personas
from tests.web.conftest import BrowserFactory, WebClient

SETTINGS_KIND = "scorecard"


@pytest.fixture
def sqlite_only(database: Database) -> None:
    if database.backend != "sqlite":
        pytest.skip("the full walk runs on SQLite (see the module docstring)")


def web_routes(app: FastAPI) -> list[Route]:
    return [
        route
        for route in routes_of(app, prefix="/")
        if not route.path.startswith(("/api/", "/static", "/docs", "/openapi"))
    ]


def admits(route: Route, actor: Actor) -> bool:
    """Whether the route's declaration lets ``actor`` in. Most name one permission; the import
    and settings pages open for any of several, as their menu entries do."""
    declaration = route.declaration
    if isinstance(declaration, ImportsPermission):
        return any(actor.can(kind.write_permission) for kind in IMPORT_KINDS.values())
    if isinstance(declaration, SettingsPermission):
        return any(actor.can(permission) for permission in SETTINGS_PERMISSIONS)
    if isinstance(declaration, KindPermission):
        kind = SETTINGS_KINDS[SETTINGS_KIND]
        return actor.can(kind.write if declaration.write else kind.read)
    return route.permission is None or actor.can(route.permission)


def visit(web: WebClient, route: Route, path: str, csrf_token: str) -> Response:
    if route.method == "GET":
        return web.get(path)
    return web.post_raw(path, {"csrf_token": csrf_token})


def _to_login(response: Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


def problem_with(route: Route, persona: Persona | None, response: Response) -> str | None:
    status = response.status_code
    if route.public:
        return None if status not in (401, 403) else f"public page answered {status}"
    if persona is None:
        return None if _to_login(response) else f"nobody signed in got {status}, not the login page"
    holds = admits(route, persona.actor)
    name = persona.user.username
    if holds and (status in (401, 403) or _to_login(response)):
        return f"{name} holds {route.permission} but got {status}"
    if not holds and status != 403:
        return f"{name} lacks {route.permission} but got {status}"
    return None


@pytest.mark.parametrize("role", [None, *ROLES])
@pytest.mark.usefixtures("sqlite_only")
def test_every_page_and_form_answers_each_role_as_its_declared_permission_says(
    app: FastAPI,
    new_browser: BrowserFactory,
    personas: Personas,
    session: Session,
    role: str | None,
) -> None:
    rows: Rows = make_rows(session)
    persona: Persona | None = getattr(personas, role) if role is not None else None
    web = new_browser()
    if persona is not None:
        assert web.sign_in(persona.user.username).status_code == 303
    csrf_token = web.csrf_token()
    walked = web_routes(app)
    assert len(walked) > 50
    problems = []
    for route in walked:
        if route.path in ("/logout", "/login") and route.method == "POST":
            continue  # signing in or out changes who the rest of the walk is
        path = rows.fill(route.path.replace("/settings/{kind}", f"/settings/{SETTINGS_KIND}"))
        problem = problem_with(route, persona, visit(web, route, path, csrf_token))
        if problem is not None:
            problems.append(f"{route}: {problem}")
    assert problems == []
