"""Webhook endpoints and failed deliveries in the UI (``notifications:manage``): the endpoint list
with each one's last delivery, creating one (its signing secret shown on that page only, never
again), switching one off and on, and the dead letters and failing deliveries with a retry for
the dead. Through the notifications service, as the REST API does (docs/notifications.md)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.notifications import service
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import Channel, DeliveryStatus
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
    local_time,
)
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.routes.notifications import TOPIC_LABELS
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[Actor, requires(Permission.NOTIFICATIONS_MANAGE)]

MAX_FLASH_LENGTH = 400
DELIVERIES_SHOWN = 200
WEBHOOK_TOPICS: dict[str, str] = {
    **TOPIC_LABELS,
    "*": N_("Every topic"),
    "model.drifted": N_("Model drift"),
}
DELIVERY_STATUS_LABELS: dict[DeliveryStatus, str] = {
    DeliveryStatus.PENDING: N_("Waiting to be sent"),
    DeliveryStatus.SENT: N_("Sent"),
    DeliveryStatus.FAILED: N_("Failed, will retry"),
    DeliveryStatus.DEAD: N_("Dead letter"),
    DeliveryStatus.DIGESTED: N_("Sent in a digest"),
}
CHANNEL_LABELS: dict[Channel, str] = {Channel.EMAIL: N_("Email"), Channel.WEBHOOK: N_("Webhook")}
_SWITCHED_ON = N_("Webhook %(name)s is on: it receives its topics again.")
_SWITCHED_OFF = N_("Webhook %(name)s is off: nothing is sent to it.")
_RETRIED = N_("Delivery %(id)s is queued again; its attempts start from zero.")


def _gettext(request: Request) -> Any:
    return translations(request_locale(request)).gettext


def _topics(chosen: Sequence[str], other: str) -> list[str]:
    """The ticked topics and those typed (separated by commas or spaces), once each."""
    typed = other.replace(",", " ").split()
    return list(dict.fromkeys([*chosen, *typed]))


def _render_webhooks(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    created: tuple[str, str] | None = None,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "settings/webhooks.html",
        {
            "endpoints": service.list_webhooks(session, actor),
            "last": service.last_webhook_deliveries(session, actor),
            "topics": WEBHOOK_TOPICS,
            "delivery_statuses": DELIVERY_STATUS_LABELS,
            "created": created,
            "error": error,
            "form": form or {"name": "", "url": "", "topics": [], "other_topics": ""},
        },
        status_code=status_code,
    )


@router.get("/settings/webhooks")
def webhooks_page(request: Request, session: DbSession, actor: Manager) -> Response:
    return _render_webhooks(request, session, actor)


@router.post("/settings/webhooks")
def create_webhook(
    request: Request,
    session: DbSession,
    actor: Manager,
    url: Annotated[str, Form(max_length=2000)],
    name: Annotated[str, Form(max_length=100)] = "",
    topics: Annotated[list[str] | None, Form(max_length=50)] = None,
    other_topics: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """The page comes back with the signing secret, the only time it is shown (no redirect: a
    flash message would carry it in the cookie)."""
    chosen = _topics(topics or [], other_topics)
    try:
        with session.begin_nested():
            endpoint, secret = service.create_webhook(
                session, actor, name=name, url=url.strip(), topics=chosen
            )
    except DomainError as error:
        form = {"name": name, "url": url, "topics": topics or [], "other_topics": other_topics}
        return _render_webhooks(
            request,
            session,
            actor,
            error=error.message[:MAX_FLASH_LENGTH],
            form=form,
            status_code=400,
        )
    return _render_webhooks(request, session, actor, created=(endpoint.name, secret))


@router.post("/settings/webhooks/{endpoint_id:int}/active")
def switch_webhook(
    request: Request,
    session: DbSession,
    actor: Manager,
    endpoint_id: int,
    active: Annotated[bool, Form()],
) -> Response:
    endpoint = service.update_webhook(session, actor, endpoint_id=endpoint_id, active=active)
    message = _SWITCHED_ON if endpoint.active else _SWITCHED_OFF
    sessions.flash(request, "success", _gettext(request)(message) % {"name": endpoint.name})
    return RedirectResponse("/settings/webhooks", status_code=303)


@router.get("/settings/deliveries")
def deliveries_page(request: Request, session: DbSession, actor: Manager) -> Response:
    return render(
        request,
        "settings/deliveries.html",
        {
            "dead": service.list_deliveries(
                session, actor, status=DeliveryStatus.DEAD, limit=DELIVERIES_SHOWN
            ),
            "failed": service.list_deliveries(
                session, actor, status=DeliveryStatus.FAILED, limit=DELIVERIES_SHOWN
            ),
            "endpoints": {
                endpoint.id: endpoint for endpoint in service.list_webhooks(session, actor)
            },
            "channels": CHANNEL_LABELS,
            "shown": DELIVERIES_SHOWN,
        },
    )


@router.get("/settings/deliveries/export.{fmt}")
def export_deliveries(request: Request, session: DbSession, actor: Manager, fmt: str) -> Response:
    """The dead and the still-failing deliveries, as the page lists them, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = _gettext(request)
    zone = app_settings(request).zone
    table: ExportTable[Delivery] = ExportTable(
        N_("Failed deliveries"),
        [
            ExportColumn(N_("Delivery"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Status"), lambda d: gettext(DELIVERY_STATUS_LABELS[d.status])),
            ExportColumn(N_("Channel"), lambda d: gettext(CHANNEL_LABELS[d.channel])),
            ExportColumn(N_("Target"), attrgetter("target")),
            ExportColumn(N_("Topic"), attrgetter("topic")),
            ExportColumn(N_("Subject"), attrgetter("subject")),
            ExportColumn(N_("Attempts"), attrgetter("attempts"), ColumnKind.NUMBER),
            ExportColumn(N_("Last error"), attrgetter("last_error")),
            ExportColumn(
                N_("Created"), lambda d: local_time(d.created_at, zone), ColumnKind.DATETIME
            ),
        ],
    )
    rows = [
        delivery
        for status in (DeliveryStatus.DEAD, DeliveryStatus.FAILED)
        for delivery in service.list_deliveries(
            session, actor, status=status, limit=MAX_EXPORT_ROWS
        )
    ]
    return export_response(
        request, session, actor, entity_type="deliveries", table=table, rows=rows, fmt=chosen
    )


@router.post("/settings/deliveries/{delivery_id:int}/retry")
def retry_delivery(
    request: Request, session: DbSession, actor: Manager, delivery_id: int
) -> Response:
    try:
        with session.begin_nested():
            service.retry_delivery(session, actor, delivery_id=delivery_id)
    except DomainError as error:
        sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])
    else:
        sessions.flash(request, "success", _gettext(request)(_RETRIED) % {"id": delivery_id})
    return RedirectResponse("/settings/deliveries", status_code=303)
