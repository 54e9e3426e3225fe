"""The language switch in the page header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth import service as auth_service
from fengkong.i18n import as_locale
from fengkong.web import sessions
from fengkong.web.deps import PUBLIC, OptionalActor
from fengkong.web.redirects import safe_local_path

router = APIRouter(include_in_schema=False)


@router.post("/locale", dependencies=[PUBLIC])
def switch_locale(
    request: Request,
    session: DbSession,
    actor: OptionalActor,
    locale: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "",
) -> Response:
    """Remember the language for this browser and, when signed in, as the user's preference,
    then return to the page the switch was pressed on. An unknown language changes nothing."""
    chosen = as_locale(locale)
    if chosen is not None:
        sessions.choose_locale(request, chosen)
        if actor is not None:
            auth_service.set_locale(session, actor, locale=chosen)
    return RedirectResponse(safe_local_path(next), status_code=303)
