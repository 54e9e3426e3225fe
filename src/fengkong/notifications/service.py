"""Notification use cases: queue a notification for its recipients' email and the webhooks that
subscribe to its topic (``notify``, in the caller's transaction), send what is due with retries
and backoff (``deliver_pending``), bundle digest-mode notifications into one email per user and
day (``send_digests``), manage preferences and webhook endpoints, list and retry dead letters.
Callers own the transaction; nothing here commits.

Network I/O (SMTP, HTTP) happens inside ``deliver_pending``; every other function only writes
rows. Webhooks never follow redirects and refuse non-public addresses unless allow-listed
(``FENGKONG_WEBHOOK_ALLOWED_NETWORKS``).
"""

from __future__ import annotations

import ipaddress
import json
import re
import smtplib
import socket
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import NotFound, PermissionDenied, ValidationFailed
from fengkong.i18n import N_, Message
from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.time import business_today, ensure_utc, utcnow
from fengkong.notifications import policy, signing
from fengkong.notifications.models import (
    Delivery,
    DeliveryAttachment,
    NotificationSubscription,
    WebhookEndpoint,
)
from fengkong.notifications.status import (
    DELIVERY_TRANSITIONS,
    Channel,
    DeliveryStatus,
    EmailMode,
)
from fengkong.records import change_status, field_error
from fengkong.settings import Locale, Settings, get_settings

ANY_TOPIC = "*"
DIGEST_TOPIC = "digest"
SMTP_NOT_CONFIGURED = "SMTP not configured (FENGKONG_SMTP_HOST)"
MAX_ERROR = 1000
_TOPIC = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
_DUE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class DeliveryNotFound(NotFound):
    code = "delivery_not_found"


class WebhookNotFound(NotFound):
    code = "webhook_endpoint_not_found"


class SubscriptionNotFound(NotFound):
    code = "notification_subscription_not_found"


class DeliveryError(Exception):
    """One attempt failed; the message is kept as the delivery's ``last_error``."""


@dataclass(frozen=True, slots=True)
class NotifySummary:
    queued: int
    duplicates: int


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    waiting: int = 0
    """Emails that wait because no SMTP server is configured (no attempt counted)."""


def retry_policy(settings: Settings | None = None) -> policy.RetryPolicy:
    settings = settings or get_settings()
    return policy.RetryPolicy(
        max_attempts=settings.notify_max_attempts,
        base=timedelta(seconds=settings.notify_backoff_base_seconds),
        cap=timedelta(seconds=settings.notify_backoff_cap_seconds),
    )


def _check_topic(topic: str, *, allow_any: bool = False) -> str:
    if (allow_any and topic == ANY_TOPIC) or _TOPIC.fullmatch(topic):
        return topic
    message = "a topic is lower-case words joined by dots, e.g. alert.raised"
    raise ValidationFailed(message, details=[field_error("topic", topic, message)])


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        message = "not an email address"
        raise ValidationFailed(message, details=[field_error("email", email, message)])
    return email


# --- queueing ---------------------------------------------------------------------------------


def _subscriptions(
    session: Session, user_ids: Sequence[int], topic: str
) -> dict[int, NotificationSubscription]:
    """Each user's subscription for ``topic``: the topic's own row, else their ``*`` row."""
    rows = session.scalars(
        select(NotificationSubscription).where(
            NotificationSubscription.user_id.in_(user_ids),
            NotificationSubscription.topic.in_((topic, ANY_TOPIC)),
        )
    ).all()
    chosen: dict[int, NotificationSubscription] = {}
    for row in rows:
        if row.topic == topic or row.user_id not in chosen:
            chosen[row.user_id] = row
    return chosen


Text = str | Message
"""What a notification says: a message said in each reader's language, or plain text."""

_DIGEST_SUBJECT = N_("Fengkong daily digest %(day)s: %(count)s notifications")


def _said(text: Text, locale: Locale) -> str:
    return text.render(locale) if isinstance(text, Message) else text


def _webhooks_for(session: Session, topic: str) -> list[WebhookEndpoint]:
    endpoints = session.scalars(
        select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)).order_by(WebhookEndpoint.id)
    ).all()
    return [e for e in endpoints if topic in e.topics or ANY_TOPIC in e.topics]


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a topic reaches: the recipients' subscriptions and languages and the webhooks
    subscribed to it. Looked up once for a batch of notifications of one topic (the alerts an
    evaluation raises), not once each."""

    topic: str
    user_ids: tuple[int, ...]
    subscriptions: Mapping[int, NotificationSubscription]
    locales: Mapping[int, Locale]
    webhooks: tuple[WebhookEndpoint, ...]


def audience(session: Session, *, topic: str, recipients: Sequence[int] | None) -> Audience:
    """The audience of ``topic`` for ``recipients`` (None: webhooks only), as of now."""
    _check_topic(topic)
    user_ids = tuple(sorted(set(recipients or ())))
    subscriptions = _subscriptions(session, user_ids, topic) if user_ids else {}
    return Audience(
        topic=topic,
        user_ids=user_ids,
        subscriptions=subscriptions,
        locales=auth_service.locales_of(session, list(subscriptions)),
        webhooks=tuple(_webhooks_for(session, topic)),
    )


def _queue(session: Session, delivery: Delivery) -> bool:
    """Add ``delivery`` unless its (channel, target, dedupe key) is queued already."""
    exists = session.scalar(
        select(Delivery.id).where(
            Delivery.channel == delivery.channel,
            Delivery.target == delivery.target,
            Delivery.dedupe_key == delivery.dedupe_key,
        )
    )
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(delivery)
    except IntegrityError:  # a concurrent transaction queued the same one first
        return False
    return True


def notify(
    session: Session,
    actor: Actor,
    *,
    topic: str,
    subject: Text,
    body: Text,
    recipients: Sequence[int] | None,
    payload: Mapping[str, Any],
    dedupe_key: str,
    today: date | None = None,
    now: datetime | None = None,
    reaching: Audience | None = None,
) -> NotifySummary:
    """Queue ``topic`` for each recipient's email (per their preference for the topic) and for
    every active webhook subscribed to it, in the caller's transaction. Notifying again with the
    same ``dedupe_key`` queues nothing new. ``recipients=None`` notifies webhooks only.
    ``reaching``: the :func:`audience` of ``topic`` and ``recipients`` already looked up by a
    caller sending several.

    A :class:`Message` is written in each recipient's chosen language (the default language for
    those who chose none, and for webhooks, whose payload is what machines read)."""
    del actor  # the recorders audit the rows under the session's actor
    _check_topic(topic)
    if not dedupe_key or len(dedupe_key) > 200:
        message = "a dedupe key of 1 to 200 characters is required"
        raise ValidationFailed(message, details=[field_error("dedupe_key", dedupe_key, message)])
    moment = ensure_utc(now) if now is not None else utcnow()
    zone = get_settings().zone
    day = today or (moment.astimezone(zone).date() if now is not None else business_today(zone))
    data = to_jsonable(dict(payload))
    queued = duplicates = 0

    def add(delivery: Delivery) -> None:
        nonlocal queued, duplicates
        if _queue(session, delivery):
            queued += 1
        else:
            duplicates += 1

    default_locale = get_settings().default_locale
    common = {
        "topic": topic,
        "payload": data,
        "dedupe_key": dedupe_key,
        "status": DeliveryStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": moment,
        "created_at": moment,
    }
    if reaching is None:
        reaching = audience(session, topic=topic, recipients=recipients)
    elif (reaching.topic, reaching.user_ids) != (topic, tuple(sorted(set(recipients or ())))):
        raise ValueError("the audience was looked up for another topic or other recipients")
    for user_id in reaching.user_ids:
        subscription = reaching.subscriptions.get(user_id)
        if subscription is None or subscription.mode is EmailMode.OFF:
            continue
        digest = subscription.mode is EmailMode.DAILY_DIGEST
        locale = reaching.locales.get(user_id, default_locale)
        add(
            Delivery(
                channel=Channel.EMAIL,
                target=subscription.email,
                user_id=user_id,
                message_id=uuid.uuid4().hex,
                digest_on=day if digest else None,
                subject=_said(subject, locale)[:300],
                body=_said(body, locale),
                **common,
            )
        )
    for endpoint in reaching.webhooks:
        add(
            Delivery(
                channel=Channel.WEBHOOK,
                target=f"webhook:{endpoint.id}",
                endpoint_id=endpoint.id,
                message_id="msg_" + uuid.uuid4().hex,
                subject=_said(subject, default_locale)[:300],
                body=_said(body, default_locale),
                **common,
            )
        )
    session.flush()
    return NotifySummary(queued=queued, duplicates=duplicates)


def queue_email(
    session: Session,
    *,
    user_id: int | None,
    email: str,
    topic: str,
    subject: str,
    body: str,
    dedupe_key: str,
    attachments: Sequence[DeliveryAttachment] = (),
    now: datetime | None = None,
) -> bool:
    """Queue one e-mail to ``email`` outside the topic preferences (a message the user asked
    for by address, such as a subscribed report), carrying ``attachments``. Queues nothing and
    returns ``False`` if the same ``dedupe_key`` went to that address before."""
    _check_topic(topic)
    moment = ensure_utc(now) if now is not None else utcnow()
    delivery = Delivery(
        channel=Channel.EMAIL,
        target=check_email(email),
        user_id=user_id,
        topic=topic,
        subject=subject[:300],
        body=body,
        payload={"attachments": [attachment.filename for attachment in attachments]},
        dedupe_key=dedupe_key,
        message_id=uuid.uuid4().hex,
        status=DeliveryStatus.PENDING,
        attempts=0,
        next_attempt_at=moment,
        created_at=moment,
    )
    if not _queue(session, delivery):
        return False
    for attachment in attachments:
        attachment.delivery_id = delivery.id
        session.add(attachment)
    session.flush()
    return True


# --- sending ----------------------------------------------------------------------------------


def _send_email(
    settings: Settings, delivery: Delivery, attachments: Sequence[DeliveryAttachment] = ()
) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = delivery.target
    message["Subject"] = delivery.subject
    message["Message-ID"] = make_msgid(idstring=delivery.message_id)
    message.set_content(delivery.body)
    for attachment in attachments:
        maintype, _, subtype = attachment.media_type.partition(";")[0].strip().partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
        )
    try:
        with smtplib.SMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        ) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        raise DeliveryError(f"SMTP: {error}") from error


def _resolve(host: str, port: int) -> list[policy.Address]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}") from error
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _check_target(url: str, settings: Settings) -> policy.Address:
    """The address to connect to: every address the host resolves to must be public or
    allow-listed (an attacker's name may resolve to both a public and a private one)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError(f"not an http(s) URL: {url}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    allowed = policy.parse_networks(settings.webhook_allowed_networks)
    addresses = _resolve(parts.hostname, port)
    refused = policy.refused_addresses(addresses, allowed)
    if refused:
        listed = ", ".join(str(address) for address in refused)
        raise DeliveryError(f"refused: {parts.hostname} resolves to non-public {listed}")
    if not addresses:
        raise DeliveryError(f"cannot resolve {parts.hostname}")
    return addresses[0]


def _pinned(url: str, address: policy.Address) -> tuple[str, dict[str, str]]:
    """For plain HTTP: the URL with the checked address in place of the name, and the Host
    header, so a second DNS answer (rebinding) cannot send the request elsewhere. HTTPS keeps the
    name: the certificate check refuses a rebound host."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        return url, {}
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)), {"host": parts.netloc}


def webhook_body(delivery: Delivery) -> bytes:
    document = {
        "type": delivery.topic,
        "timestamp": to_jsonable(delivery.created_at),
        "data": delivery.payload,
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _send_webhook(
    settings: Settings, endpoint: WebhookEndpoint, delivery: Delivery, now: datetime
) -> None:
    url, host = _pinned(endpoint.url, _check_target(endpoint.url, settings))
    body = webhook_body(delivery)
    headers = signing.headers(
        endpoint.secret, message_id=delivery.message_id, timestamp=int(now.timestamp()), body=body
    )
    try:
        response = httpx2.post(
            url,
            content=body,
            headers=headers | host,
            timeout=settings.webhook_timeout_seconds,
            follow_redirects=False,
        )
    except httpx2.HTTPError as error:
        raise DeliveryError(f"HTTP: {type(error).__name__}: {error}") from error
    if response.is_redirect:
        raise DeliveryError(f"HTTP {response.status_code}: redirects are not followed")
    if not response.is_success:
        raise DeliveryError(f"HTTP {response.status_code}")


def _due(session: Session, now: datetime, limit: int) -> Sequence[Delivery]:
    query = (
        select(Delivery)
        .where(
            Delivery.status.in_(_DUE),
            Delivery.digest_on.is_(None),
            Delivery.next_attempt_at <= now,
        )
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Several runners share the queue: each takes rows nobody else holds.
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).all()


def deliver_pending(
    session: Session,
    *,
    now: datetime | None = None,
    limit: int = 500,
    settings: Settings | None = None,
) -> DeliverySummary:
    """Send the deliveries that are due. A failure is retried with exponential backoff; after
    the last allowed attempt the delivery is dead (listed for a person to retry)."""
    settings = settings or get_settings()
    moment = ensure_utc(now) if now is not None else utcnow()
    retry = retry_policy(settings)
    sent = failed = dead = waiting = 0
    for delivery in _due(session, moment, limit):
        try:
            if delivery.channel is Channel.EMAIL:
                if not settings.smtp_host:
                    delivery.last_error = SMTP_NOT_CONFIGURED
                    waiting += 1
                    continue
                attachments = session.scalars(
                    select(DeliveryAttachment)
                    .where(DeliveryAttachment.delivery_id == delivery.id)
                    .order_by(DeliveryAttachment.id)
                ).all()
                _send_email(settings, delivery, attachments)
            else:
                endpoint = (
                    session.get(WebhookEndpoint, delivery.endpoint_id)
                    if delivery.endpoint_id is not None
                    else None
                )
                if endpoint is None or not endpoint.active:
                    raise DeliveryError("the webhook endpoint is gone or inactive")
                _send_webhook(settings, endpoint, delivery, moment)
        except DeliveryError as error:
            delivery.attempts += 1
            delivery.last_error = str(error)[:MAX_ERROR]
            retry_at = retry.next_attempt(delivery.attempts, moment)
            if retry_at is None:
                delivery.status = change_status(
                    delivery.status, DeliveryStatus.DEAD, DELIVERY_TRANSITIONS
                )
                dead += 1
            else:
                delivery.status = change_status(
                    delivery.status, DeliveryStatus.FAILED, DELIVERY_TRANSITIONS
                )
                delivery.next_attempt_at = retry_at
                failed += 1
            continue
        delivery.attempts += 1
        delivery.status = change_status(delivery.status, DeliveryStatus.SENT, DELIVERY_TRANSITIONS)
        delivery.sent_at = moment
        delivery.last_error = None
        sent += 1
    session.flush()
    return DeliverySummary(sent=sent, failed=failed, dead=dead, waiting=waiting)


def send_digests(session: Session, *, today: date, now: datetime | None = None) -> int:
    """Bundle each user's digest-mode notifications of ``today`` and before into one email
    (queued; ``deliver_pending`` sends it). Returns how many digests were queued."""
    moment = ensure_utc(now) if now is not None else utcnow()
    items = session.scalars(
        select(Delivery)
        .where(
            Delivery.channel == Channel.EMAIL,
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.digest_on.is_not(None),
            Delivery.digest_on <= today,
        )
        .order_by(Delivery.id)
    ).all()
    groups: dict[tuple[int | None, str], list[Delivery]] = defaultdict(list)
    for item in items:
        groups[(item.user_id, item.target)].append(item)
    locales = auth_service.locales_of(
        session, [user_id for user_id, _ in groups if user_id is not None]
    )
    default_locale = get_settings().default_locale
    for (user_id, target), group in groups.items():
        lines = [f"- [{item.topic}] {item.subject}" for item in group]
        details = "\n\n".join(f"{item.subject}\n{item.body}" for item in group)
        digest = Delivery(
            channel=Channel.EMAIL,
            target=target,
            user_id=user_id,
            topic=DIGEST_TOPIC,
            subject=Message(
                _DIGEST_SUBJECT, {"day": today.isoformat(), "count": len(group)}
            ).render(default_locale if user_id is None else locales.get(user_id, default_locale)),
            body="\n".join(lines) + "\n\n" + details,
            payload={"day": today.isoformat(), "deliveries": [item.id for item in group]},
            dedupe_key=f"digest:{today.isoformat()}:{group[0].id}",
            message_id=uuid.uuid4().hex,
            status=DeliveryStatus.PENDING,
            attempts=0,
            next_attempt_at=moment,
            created_at=moment,
        )
        session.add(digest)
        session.flush()
        for item in group:
            item.status = change_status(item.status, DeliveryStatus.DIGESTED, DELIVERY_TRANSITIONS)
            item.digest_id = digest.id
            item.sent_at = moment
    session.flush()
    return len(groups)


# --- dead letters -----------------------------------------------------------------------------


def list_deliveries(
    session: Session,
    actor: Actor,
    *,
    status: DeliveryStatus | None = None,
    channel: Channel | None = None,
    limit: int = 100,
) -> list[Delivery]:
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    query = select(Delivery).order_by(Delivery.id.desc()).limit(limit)
    if status is not None:
        query = query.where(Delivery.status == status)
    if channel is not None:
        query = query.where(Delivery.channel == channel)
    return list(session.scalars(query).all())


def get_delivery(session: Session, actor: Actor, *, delivery_id: int) -> Delivery:
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise DeliveryNotFound(f"delivery {delivery_id} not found")
    return delivery


def retry_delivery(
    session: Session, actor: Actor, *, delivery_id: int, now: datetime | None = None
) -> Delivery:
    """Send a dead letter round again: its attempts start from zero."""
    delivery = get_delivery(session, actor, delivery_id=delivery_id)
    delivery.status = change_status(delivery.status, DeliveryStatus.PENDING, DELIVERY_TRANSITIONS)
    delivery.attempts = 0
    delivery.next_attempt_at = ensure_utc(now) if now is not None else utcnow()
    session.flush()
    return delivery


# --- preferences ------------------------------------------------------------------------------


def _may_manage_user(actor: Actor, user_id: int) -> None:
    if actor.user_id == user_id:
        return
    if not actor.can(Permission.NOTIFICATIONS_MANAGE):
        raise PermissionDenied(f"{actor.username} may only change their own preferences")


def list_subscriptions(
    session: Session, actor: Actor, *, user_id: int
) -> list[NotificationSubscription]:
    _may_manage_user(actor, user_id)
    return list(
        session.scalars(
            select(NotificationSubscription)
            .where(NotificationSubscription.user_id == user_id)
            .order_by(NotificationSubscription.topic)
        ).all()
    )


def set_subscription(
    session: Session, actor: Actor, *, user_id: int, topic: str, mode: EmailMode, email: str
) -> NotificationSubscription:
    """Create or replace the user's preference for ``topic`` (``*``: every other topic)."""
    _may_manage_user(actor, user_id)
    _check_topic(topic, allow_any=True)
    address = check_email(email)
    row = session.scalars(
        select(NotificationSubscription).where(
            NotificationSubscription.user_id == user_id, NotificationSubscription.topic == topic
        )
    ).one_or_none()
    if row is None:
        row = NotificationSubscription(user_id=user_id, topic=topic, mode=mode, email=address)
        session.add(row)
    else:
        row.mode = mode
        row.email = address
    session.flush()
    return row


def delete_subscription(session: Session, actor: Actor, *, user_id: int, topic: str) -> None:
    _may_manage_user(actor, user_id)
    row = session.scalars(
        select(NotificationSubscription).where(
            NotificationSubscription.user_id == user_id, NotificationSubscription.topic == topic
        )
    ).one_or_none()
    if row is None:
        raise SubscriptionNotFound(f"no preference for topic {topic}")
    session.delete(row)
    session.flush()


# --- webhook endpoints ------------------------------------------------------------------------


def _check_url(url: str) -> str:
    parts = urlsplit(url)
    message = ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        message = "an http or https URL is required"
    elif parts.username or parts.password:
        message = "credentials in the URL are not allowed"
    elif len(url) > 2000:
        message = "at most 2,000 characters"
    if message:
        raise ValidationFailed(message, details=[field_error("url", url, message)])
    return url


def _check_topics(topics: Sequence[str]) -> list[str]:
    if not topics:
        message = "subscribe to at least one topic (or *)"
        raise ValidationFailed(message, details=[field_error("topics", topics, message)])
    return sorted({_check_topic(topic, allow_any=True) for topic in topics})


def create_webhook(
    session: Session, actor: Actor, *, name: str, url: str, topics: Sequence[str]
) -> tuple[WebhookEndpoint, str]:
    """The endpoint and its signing secret, which is shown this once."""
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        name=name.strip()[:100] or url,
        url=_check_url(url),
        secret=secret,
        topics=_check_topics(topics),
        active=True,
        created_by=actor.username,
    )
    session.add(endpoint)
    session.flush()
    return endpoint, secret


def list_webhooks(session: Session, actor: Actor) -> list[WebhookEndpoint]:
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    return list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all())


def last_webhook_deliveries(session: Session, actor: Actor) -> dict[int, Delivery]:
    """Each endpoint's most recent delivery (by endpoint id): whether its receiver is taking
    messages shows on the webhook list."""
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    latest = (
        select(func.max(Delivery.id))
        .where(Delivery.channel == Channel.WEBHOOK, Delivery.endpoint_id.is_not(None))
        .group_by(Delivery.endpoint_id)
    )
    rows = session.scalars(select(Delivery).where(Delivery.id.in_(latest))).all()
    return {row.endpoint_id: row for row in rows if row.endpoint_id is not None}


def get_webhook(session: Session, actor: Actor, *, endpoint_id: int) -> WebhookEndpoint:
    auth_service.ensure_permission(actor, Permission.NOTIFICATIONS_MANAGE)
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise WebhookNotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint


def update_webhook(
    session: Session,
    actor: Actor,
    *,
    endpoint_id: int,
    url: str | None = None,
    topics: Sequence[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    endpoint = get_webhook(session, actor, endpoint_id=endpoint_id)
    if url is not None:
        endpoint.url = _check_url(url)
    if topics is not None:
        endpoint.topics = _check_topics(topics)
    if active is not None:
        endpoint.active = active
    session.flush()
    return endpoint
