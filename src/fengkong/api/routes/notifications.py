"""Notifications over REST: the caller's own email preferences; webhook endpoints and the
delivery list with its dead letters and their retry (``notifications:manage``)
(docs/notifications.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from fengkong.api.deps import DbSession, authenticated, requires
from fengkong.api.etags import tag
from fengkong.api.idempotency import ApiWrite, IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import PermissionDenied
from fengkong.notifications import service
from fengkong.notifications.schemas import (
    DeliveryList,
    DeliveryOut,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookList,
    WebhookOut,
    WebhookPatch,
)
from fengkong.notifications.status import Channel, DeliveryStatus

router = APIRouter(tags=["notifications"], route_class=IdempotentRoute)

Anyone = Annotated[Actor, authenticated()]
AnyoneWriting = Annotated[Actor, Depends(ApiWrite(None))]
Manager = Annotated[Actor, requires(Permission.NOTIFICATIONS_MANAGE)]
ManagerWriting = Annotated[Actor, writes(Permission.NOTIFICATIONS_MANAGE)]


def _own_user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise PermissionDenied("only a user has notification preferences")
    return actor.user_id


@router.get("/me/notification-preferences", response_model=SubscriptionList)
def my_preferences(session: DbSession, actor: Anyone) -> SubscriptionList:
    """Per topic: email each notification at once, in a daily digest, or not at all; topic
    ``*`` is the default for topics without their own row."""
    rows = service.list_subscriptions(session, actor, user_id=_own_user_id(actor))
    return SubscriptionList(items=[SubscriptionOut.model_validate(row) for row in rows])


@router.put("/me/notification-preferences/{topic}", response_model=SubscriptionOut)
def set_my_preference(
    topic: str, data: SubscriptionIn, session: DbSession, actor: AnyoneWriting
) -> SubscriptionOut:
    row = service.set_subscription(
        session, actor, user_id=_own_user_id(actor), topic=topic, mode=data.mode, email=data.email
    )
    return SubscriptionOut.model_validate(row)


@router.delete("/me/notification-preferences/{topic}", status_code=status.HTTP_204_NO_CONTENT)
def delete_my_preference(topic: str, session: DbSession, actor: AnyoneWriting) -> Response:
    service.delete_subscription(session, actor, user_id=_own_user_id(actor), topic=topic)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/webhooks", response_model=WebhookCreatedOut, status_code=status.HTTP_201_CREATED)
def create_webhook(
    data: WebhookIn, session: DbSession, response: Response, actor: ManagerWriting
) -> WebhookCreatedOut:
    """The signing secret is in this response only; it is never returned again."""
    endpoint, secret = service.create_webhook(
        session, actor, name=data.name, url=data.url, topics=data.topics
    )
    tag(response, endpoint.version, location=f"/api/v1/webhooks/{endpoint.id}")
    out = WebhookOut.model_validate(endpoint)
    return WebhookCreatedOut(**out.model_dump(), secret=secret)


@router.get("/webhooks", response_model=WebhookList)
def list_webhooks(session: DbSession, actor: Manager) -> WebhookList:
    rows = service.list_webhooks(session, actor)
    return WebhookList(items=[WebhookOut.model_validate(row) for row in rows])


@router.get("/webhooks/{endpoint_id}", response_model=WebhookOut)
def get_webhook(
    endpoint_id: int, session: DbSession, response: Response, actor: Manager
) -> WebhookOut:
    endpoint = service.get_webhook(session, actor, endpoint_id=endpoint_id)
    tag(response, endpoint.version)
    return WebhookOut.model_validate(endpoint)


@router.patch("/webhooks/{endpoint_id}", response_model=WebhookOut)
def update_webhook(
    endpoint_id: int,
    data: WebhookPatch,
    session: DbSession,
    response: Response,
    actor: ManagerWriting,
) -> WebhookOut:
    endpoint = service.update_webhook(
        session,
        actor,
        endpoint_id=endpoint_id,
        url=data.url,
        topics=data.topics,
        active=data.active,
    )
    tag(response, endpoint.version)
    return WebhookOut.model_validate(endpoint)


@router.get("/deliveries", response_model=DeliveryList)
def list_deliveries(
    session: DbSession,
    actor: Manager,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    channel: Channel | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> DeliveryList:
    """Deliveries, newest first; ``status=dead`` is the dead-letter list."""
    rows = service.list_deliveries(session, actor, status=status_, channel=channel, limit=limit)
    return DeliveryList(items=[DeliveryOut.model_validate(row) for row in rows])


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut)
def retry_delivery(delivery_id: int, session: DbSession, actor: ManagerWriting) -> DeliveryOut:
    """Send a dead letter round again, its attempts counted from zero."""
    delivery = service.retry_delivery(session, actor, delivery_id=delivery_id)
    return DeliveryOut.model_validate(delivery)
