"""Signing in and out with a username and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth import signin, user_sessions
from fengkong.i18n import N_, translations
from fengkong.kit.time import utcnow
from fengkong.recorders import record_action
from fengkong.web import sessions
from fengkong.web.deps import PUBLIC, OptionalActor, app_settings, request_locale
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
    same (wrong password, unknown user, locked out), so the page never tells which it was."""
    next_path = safe_local_path(next)
    settings = app_settings(request)
    now = utcnow()
    client = request.client.host if request.client else ""
    user = None
    if (
        username
        and password
        and len(username) <= MAX_USERNAME_LENGTH
        and len(password) <= MAX_PASSWORD_LENGTH
    ):
        attempt = signin.Attempt(username=username, password=password, client=client)
        user = signin.sign_in(session, attempt, policy=signin.ThrottlePolicy.of(settings), now=now)
    if user is None:
        return _login_page(
            request,
            next_path=next_path,
            username=username[:MAX_USERNAME_LENGTH],
            error=LOGIN_FAILED,
        )
    previous = sessions.session_token(request)
    if previous is not None:
        user_sessions.end(session, previous, now=now)
    token = user_sessions.start(
        session,
        user,
        now=now,
        policy=user_sessions.SessionPolicy.of(settings),
        user_agent=request.headers.get("user-agent", ""),
        ip_address=client,
    )
    sessions.begin(request, token)
    return RedirectResponse(next_path, status_code=303)


@router.post("/logout", dependencies=[PUBLIC])
def logout(request: Request, session: DbSession, actor: OptionalActor) -> Response:
    """Sign out: the server-side session is revoked, so a copy of the cookie is worthless too.
    The browser keeps the language it was showing."""
    locale = request_locale(request)
    token = sessions.session_token(request)
    ended = token is not None and user_sessions.end(session, token, now=utcnow()) is not None
    if ended and actor is not None:
        record_action(session, action="logout", entity_type="user", entity_id=str(actor.user_id))
    sessions.end(request)
    sessions.choose_locale(request, locale)
    sessions.flash(request, "success", translations(locale).gettext(SIGNED_OUT))
    return RedirectResponse("/login", status_code=303)
