"""The signed-in user's email preferences per notification topic (docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.notifications import service
from fengkong.notifications.status import EmailMode
from fengkong.web import sessions
from fengkong.web.deps import request_locale, requires
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400
MODE_LABELS: dict[EmailMode, str] = {
    EmailMode.IMMEDIATE: N_("Email each at once"),
    EmailMode.DAILY_DIGEST: N_("Daily digest"),
    EmailMode.OFF: N_("Off"),
}
TOPIC_LABELS: dict[str, str] = {
    "*": N_("All other topics"),
    "alert.raised": N_("Alert raised"),
    "alert.escalated": N_("Alert escalated"),
    "review.overdue": N_("Review overdue"),
    "model.drifted": N_("Model drifted"),
}
_SAVED = N_("Preference saved.")
_REMOVED = N_("Preference removed.")


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


@router.get("/me/notifications")
def preferences_page(
    request: Request, session: DbSession, actor: Annotated[Actor, requires(None)]
) -> Response:
    rows = (
        service.list_subscriptions(session, actor, user_id=actor.user_id)
        if actor.user_id is not None
        else []
    )
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "modes": MODE_LABELS, "topics": TOPIC_LABELS},
    )


@router.post("/me/notifications")
def save_preference(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(None)],
    topic: Annotated[str, Form(max_length=64)],
    mode: Annotated[EmailMode, Form()],
    email: Annotated[str, Form(max_length=254)],
) -> Response:
    try:
        with session.begin_nested():
            service.set_subscription(
                session, actor, user_id=actor.user_id or 0, topic=topic, mode=mode, email=email
            )
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        sessions.flash(request, "success", _gettext(request)(_SAVED))
    return RedirectResponse("/me/notifications", status_code=303)


@router.post("/me/notifications/delete")
def delete_preference(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(None)],
    topic: Annotated[str, Form(max_length=64)],
) -> Response:
    try:
        with session.begin_nested():
            service.delete_subscription(session, actor, user_id=actor.user_id or 0, topic=topic)
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        sessions.flash(request, "success", _gettext(request)(_REMOVED))
    return RedirectResponse("/me/notifications", status_code=303)
