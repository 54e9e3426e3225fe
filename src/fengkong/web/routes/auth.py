"""Signing in and out with a username and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth import service as auth_service
from fengkong.i18n import N_, translations
from fengkong.web import sessions
from fengkong.web.deps import PUBLIC, OptionalActor, request_locale
from fengkong.web.redirects import safe_local_path
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

# Longer input is refused before hashing: hashing megabytes per attempt invites abuse.
MAX_USERNAME_LENGTH = 64
MAX_PASSWORD_LENGTH = 1024
LOGIN_FAILED = N_("The username or password is incorrect.")
SIGNED_OUT = N_("You have signed out.")


def _login_page(
    request: Request, *, next_path: str, username: str = "", error: str | None = None
) -> Response:
    return render(
        request,
        "auth/login.html",
        {"next_path": next_path, "username": username, "error": error},
        status_code=400 if error else 200,
    )


@router.get("/login", dependencies=[PUBLIC])
def login_form(request: Request, actor: OptionalActor, next: str | None = None) -> Response:
    next_path = safe_local_path(next)
    if actor is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path=next_path)


@router.post("/login", dependencies=[PUBLIC])
def login(
    request: Request,
    session: DbSession,
    _actor: OptionalActor,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Sign in on a fresh session and go where the user was heading. Every failure reads the
    same, so the page never tells whether a username exists."""
    next_path = safe_local_path(next)
    user = None
    if (
        username
        and password
        and len(username) <= MAX_USERNAME_LENGTH
        and len(password) <= MAX_PASSWORD_LENGTH
    ):
        user = auth_service.authenticate(session, username=username, password=password)
    if user is None:
        return _login_page(
            request,
            next_path=next_path,
            username=username[:MAX_USERNAME_LENGTH],
            error=LOGIN_FAILED,
        )
    # A password rehash during sign-in is a write, audited under the user who signed in.
    session.info["actor"] = auth_service.actor_for(user)
    sessions.begin(request, user.id)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request, _actor: OptionalActor) -> Response:
    """Sign out; the browser keeps the language it was showing."""
    locale = request_locale(request)
    sessions.end(request)
    sessions.choose_locale(request, locale)
    sessions.flash(request, "success", translations(locale).gettext(SIGNED_OUT))
    return RedirectResponse("/login", status_code=303)
