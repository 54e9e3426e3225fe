"""API shapes of the notifications area. A webhook's secret appears only in the creation
response (``WebhookCreatedOut``), never when an endpoint is read or listed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.notifications.status import Channel, DeliveryStatus, EmailMode


class SubscriptionIn(InputModel):
    mode: EmailMode
    email: str = Field(max_length=254)


class SubscriptionOut(OutputModel):
    topic: str
    mode: EmailMode
    email: str


class SubscriptionList(OutputModel):
    items: list[SubscriptionOut]


class WebhookIn(InputModel):
    name: str = Field(default="", max_length=100)
    url: str = Field(max_length=2000)
    topics: list[str] = Field(min_length=1, max_length=50)


class WebhookPatch(InputModel):
    url: str | None = Field(default=None, max_length=2000)
    topics: list[str] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None


class WebhookOut(OutputModel):
    id: int
    version: int
    name: str
    url: str
    topics: list[str]
    active: bool
    created_by: str
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str
    """Shown once: store it to verify the ``webhook-signature`` header."""


class WebhookList(OutputModel):
    items: list[WebhookOut]


class DeliveryOut(OutputModel):
    id: int
    channel: Channel
    target: str
    topic: str
    subject: str
    payload: dict[str, Any]
    dedupe_key: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    digest_on: date | None


class DeliveryList(OutputModel):
    items: list[DeliveryOut]
