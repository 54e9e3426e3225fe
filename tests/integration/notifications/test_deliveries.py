"""Queueing notifications and delivering them: email to a local SMTP server, signed webhooks to a
local HTTP server, retries with backoff, dead letters, dedupe, the SSRF guard and the digest."""

from __future__ import annotations

import json
import socket
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.errors import PermissionDenied
from fengkong.i18n import Message as Text
from fengkong.notifications import service, signing
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import Channel, DeliveryStatus, EmailMode
from tests import factories
from tests.integration.notifications.conftest import Inbox, Receiver, delivery_settings

SYSTEM = Actor.system("test")
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
TODAY = date(2026, 6, 30)


def _subscribe(session: Session, mode: EmailMode = EmailMode.IMMEDIATE, topic: str = "*") -> int:
    user = factories.user()
    service.set_subscription(
        session,
        SYSTEM,
        user_id=user.id,
        topic=topic,
        mode=mode,
        email=f"{user.username}@example.com",
    )
    return user.id


def _notify(
    session: Session, recipients: list[int] | None, key: str = "alert:1"
) -> service.NotifySummary:
    return service.notify(
        session,
        SYSTEM,
        topic="alert.raised",
        subject="Alert 1: DPD over 30",
        body="Customer 7 is 45 days past due.",
        recipients=recipients,
        payload={"alert_id": 1, "customer_id": 7},
        dedupe_key=key,
        today=TODAY,
        now=NOW,
    )


def _subject(content: bytes | str | None) -> str:
    assert isinstance(content, bytes)
    return str(make_header(decode_header(message_from_bytes(content)["Subject"])))


def _deliveries(session: Session) -> list[Delivery]:
    return list(session.scalars(select(Delivery).order_by(Delivery.id)).all())


def test_an_email_arrives_at_the_smtp_server_with_its_subject_and_body(
    session: Session, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    user_id = _subscribe(session)
    assert _notify(session, [user_id]) == service.NotifySummary(queued=1, duplicates=0)

    summary = service.deliver_pending(session, now=NOW, settings=delivery_settings(smtp_port=port))

    assert summary.sent == 1
    assert len(inbox.messages) == 1
    message: Message = message_from_bytes(inbox.messages[0].content)  # type: ignore[arg-type]
    assert message["Subject"] == "Alert 1: DPD over 30"
    assert message["From"] == "fengkong@example.com"
    assert "45 days past due" in message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    [delivery] = _deliveries(session)
    assert (delivery.status, delivery.attempts, delivery.sent_at) == (DeliveryStatus.SENT, 1, NOW)


def test_without_an_smtp_host_emails_wait_marked_not_configured_without_counting_an_attempt(
    session: Session,
) -> None:
    user_id = _subscribe(session)
    _notify(session, [user_id])

    summary = service.deliver_pending(session, now=NOW, settings=delivery_settings())

    assert summary.waiting == 1
    [delivery] = _deliveries(session)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 0
    assert delivery.last_error == service.SMTP_NOT_CONFIGURED


def test_a_user_who_turned_the_topic_off_gets_no_email_while_their_default_says_immediate(
    session: Session,
) -> None:
    user_id = _subscribe(session)
    service.set_subscription(
        session,
        SYSTEM,
        user_id=user_id,
        topic="alert.raised",
        mode=EmailMode.OFF,
        email="x@example.com",
    )
    assert _notify(session, [user_id]).queued == 0


def test_the_same_dedupe_key_queues_each_target_once(session: Session, receiver: Receiver) -> None:
    user_id = _subscribe(session)
    service.create_webhook(session, SYSTEM, name="erp", url=receiver.url, topics=["alert.raised"])
    assert _notify(session, [user_id]) == service.NotifySummary(queued=2, duplicates=0)
    assert _notify(session, [user_id]) == service.NotifySummary(queued=0, duplicates=2)
    assert _notify(session, [user_id], key="alert:2").queued == 2
    assert len(_deliveries(session)) == 4


def test_an_audience_looked_up_once_serves_several_notifications_and_only_its_own_recipients(
    session: Session, receiver: Receiver
) -> None:
    user_id = _subscribe(session)
    service.create_webhook(session, SYSTEM, name="erp", url=receiver.url, topics=["alert.raised"])
    reaching = service.audience(session, topic="alert.raised", recipients=[user_id])
    assert (reaching.user_ids, len(reaching.webhooks)) == ((user_id,), 1)
    for key in ("alert:1", "alert:2"):
        summary = service.notify(
            session,
            SYSTEM,
            topic="alert.raised",
            subject="DPD over 30",
            body="45 days past due.",
            recipients=[user_id],
            payload={"alert_id": key},
            dedupe_key=key,
            now=NOW,
            reaching=reaching,
        )
        assert summary == service.NotifySummary(queued=2, duplicates=0)
    assert {(d.channel, d.dedupe_key) for d in _deliveries(session)} == {
        (channel, key)
        for channel in (Channel.EMAIL, Channel.WEBHOOK)
        for key in ("alert:1", "alert:2")
    }
    with pytest.raises(ValueError, match="another topic or other recipients"):
        service.notify(
            session,
            SYSTEM,
            topic="alert.raised",
            subject="s",
            body="b",
            recipients=None,
            payload={},
            dedupe_key="alert:3",
            reaching=reaching,
        )


def test_a_webhook_carries_a_standard_webhooks_signature_the_receiver_can_verify(
    session: Session, receiver: Receiver
) -> None:
    endpoint, secret = service.create_webhook(
        session, SYSTEM, name="erp", url=receiver.url, topics=["alert.raised"]
    )
    _notify(session, None)

    summary = service.deliver_pending(session, now=NOW, settings=delivery_settings())

    assert summary.sent == 1
    [(headers, body)] = receiver.requests
    assert signing.verify(
        secret,
        message_id=headers["webhook-id"],
        timestamp=int(headers["webhook-timestamp"]),
        body=body,
        signature_header=headers["webhook-signature"],
        now=int(NOW.timestamp()),
    )
    document = json.loads(body)
    assert document["type"] == "alert.raised"
    assert document["data"] == {"alert_id": 1, "customer_id": 7}
    assert endpoint.secret not in body.decode()


def test_a_failing_endpoint_is_retried_with_backoff_and_dead_lettered_after_the_last_attempt(
    session: Session, receiver: Receiver
) -> None:
    receiver.status = 500
    service.create_webhook(session, SYSTEM, name="erp", url=receiver.url, topics=["*"])
    _notify(session, None)
    settings = delivery_settings()  # three attempts, one minute doubling

    first = service.deliver_pending(session, now=NOW, settings=settings)
    [delivery] = _deliveries(session)
    assert (first.failed, delivery.status, delivery.attempts) == (1, DeliveryStatus.FAILED, 1)
    assert delivery.next_attempt_at == NOW + timedelta(minutes=1)
    assert delivery.last_error == "HTTP 500"

    too_early = service.deliver_pending(session, now=NOW + timedelta(seconds=59), settings=settings)
    assert too_early == service.DeliverySummary()
    assert len(receiver.requests) == 1

    service.deliver_pending(session, now=NOW + timedelta(minutes=1), settings=settings)
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == NOW + timedelta(minutes=3)

    last = service.deliver_pending(session, now=NOW + timedelta(minutes=3), settings=settings)
    assert (last.dead, delivery.status, delivery.attempts) == (1, DeliveryStatus.DEAD, 3)
    assert len(receiver.requests) == 3
    assert (
        service.deliver_pending(session, now=NOW + timedelta(days=1), settings=settings).dead == 0
    )

    dead = service.list_deliveries(session, SYSTEM, status=DeliveryStatus.DEAD)
    assert [d.id for d in dead] == [delivery.id]

    receiver.status = 204
    service.retry_delivery(session, SYSTEM, delivery_id=delivery.id, now=NOW + timedelta(days=1))
    again = service.deliver_pending(session, now=NOW + timedelta(days=1), settings=settings)
    assert (again.sent, delivery.status, delivery.attempts) == (1, DeliveryStatus.SENT, 1)
    # every retry of one message keeps its webhook-id, so receivers can drop repeats
    assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    session: Session, receiver: Receiver
) -> None:
    receiver.status = 302
    receiver.location = "http://169.254.169.254/latest/meta-data/"
    service.create_webhook(session, SYSTEM, name="erp", url=receiver.url, topics=["*"])
    _notify(session, None)

    summary = service.deliver_pending(session, now=NOW, settings=delivery_settings())

    assert summary.failed == 1
    [delivery] = _deliveries(session)
    assert delivery.last_error is not None
    assert "redirects are not followed" in delivery.last_error
    assert len(receiver.requests) == 1


def test_the_ssrf_guard_refuses_a_loopback_target_that_is_not_allow_listed(
    session: Session, receiver: Receiver
) -> None:
    service.create_webhook(session, SYSTEM, name="internal", url=receiver.url, topics=["*"])
    _notify(session, None)

    summary = service.deliver_pending(
        session, now=NOW, settings=delivery_settings(allow_loopback=False)
    )

    assert summary.failed == 1
    [delivery] = _deliveries(session)
    assert delivery.last_error is not None
    assert "non-public 127.0.0.1" in delivery.last_error
    assert receiver.requests == []


def test_the_ssrf_guard_refuses_a_private_ip_literal(session: Session) -> None:
    service.create_webhook(session, SYSTEM, name="lan", url="http://10.0.0.5/hook", topics=["*"])
    _notify(session, None)

    service.deliver_pending(session, now=NOW, settings=delivery_settings())

    [delivery] = _deliveries(session)
    assert delivery.last_error == "refused: 10.0.0.5 resolves to non-public 10.0.0.5"


def test_digest_mode_notifications_go_out_as_one_email_per_user_and_day(
    session: Session, smtp_inbox: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_inbox
    digest_user = _subscribe(session, EmailMode.DAILY_DIGEST)
    immediate_user = _subscribe(session, EmailMode.IMMEDIATE)
    _notify(session, [digest_user, immediate_user], key="alert:1")
    _notify(session, [digest_user, immediate_user], key="alert:2")
    settings = delivery_settings(smtp_port=port)

    assert service.deliver_pending(session, now=NOW, settings=settings).sent == 2
    assert service.send_digests(session, today=TODAY, now=NOW) == 1
    assert service.send_digests(session, today=TODAY, now=NOW) == 0
    assert service.deliver_pending(session, now=NOW, settings=settings).sent == 1

    subjects = [_subject(m.content) for m in inbox.messages]
    assert len(inbox.messages) == 3
    assert subjects.count("风控每日摘要 2026-06-30：2 条通知") == 1
    digested = session.scalars(
        select(Delivery).where(Delivery.status == DeliveryStatus.DIGESTED)
    ).all()
    assert {d.user_id for d in digested} == {digest_user}
    assert len(digested) == 2


def test_users_manage_their_own_preferences_only_unless_they_manage_notifications(
    session: Session,
) -> None:
    alice = factories.user()
    bob = factories.user()
    alice_actor = Actor(user_id=alice.id, username=alice.username, role=alice.role)
    service.set_subscription(
        session,
        alice_actor,
        user_id=alice.id,
        topic="*",
        mode=EmailMode.DAILY_DIGEST,
        email="a@example.com",
    )
    with pytest.raises(PermissionDenied):
        service.set_subscription(
            session,
            alice_actor,
            user_id=bob.id,
            topic="*",
            mode=EmailMode.OFF,
            email="b@example.com",
        )
    [row] = service.list_subscriptions(session, alice_actor, user_id=alice.id)
    assert (row.topic, row.mode, row.email) == ("*", EmailMode.DAILY_DIGEST, "a@example.com")


def test_webhook_deliveries_target_only_active_endpoints_subscribed_to_the_topic(
    session: Session, receiver: Receiver
) -> None:
    service.create_webhook(
        session, SYSTEM, name="alerts", url=receiver.url, topics=["alert.raised"]
    )
    service.create_webhook(
        session, SYSTEM, name="reviews", url=receiver.url, topics=["review.overdue"]
    )
    off, _ = service.create_webhook(session, SYSTEM, name="off", url=receiver.url, topics=["*"])
    service.update_webhook(session, SYSTEM, endpoint_id=off.id, active=False)

    _notify(session, None)

    assert [(d.channel, d.target) for d in _deliveries(session)] == [
        (Channel.WEBHOOK, f"webhook:{off.id - 2}")
    ]


def test_a_plain_http_webhook_connects_to_the_address_it_checked_and_keeps_the_host_header(
    session: Session, receiver: Receiver
) -> None:
    first = socket.getaddrinfo("localhost", receiver.port, type=socket.SOCK_STREAM)[0][4][0]
    if first != "127.0.0.1":
        pytest.skip("localhost resolves to IPv6 first here; the receiver listens on IPv4")
    url = f"http://localhost:{receiver.port}/hook"
    service.create_webhook(session, SYSTEM, name="local", url=url, topics=["*"])
    _notify(session, None)
    settings = delivery_settings().model_copy(
        update={"webhook_allowed_networks": ("127.0.0.0/8", "::1/128")}
    )

    summary = service.deliver_pending(session, now=NOW, settings=settings)

    assert summary.sent == 1, _deliveries(session)[0].last_error
    [(headers, _body)] = receiver.requests
    assert headers["host"] == f"localhost:{receiver.port}"


def test_each_reader_gets_a_message_in_the_language_they_chose(session: Session) -> None:
    chinese, english, unset = (_subscribe(session) for _ in range(3))
    for user_id, locale in ((chinese, "zh_CN"), (english, "en")):
        user = session.get(User, user_id)
        assert user is not None
        user.locale = locale
    service.notify(
        session,
        SYSTEM,
        topic="review.overdue",
        subject=Text(
            "Review %(review_id)s of customer %(customer_id)s is %(days)s days overdue",
            {"review_id": 3, "customer_id": 7, "days": 5},
        ),
        body=Text("Status"),
        recipients=[chinese, english, unset],
        payload={},
        dedupe_key="review:3",
        today=TODAY,
        now=NOW,
    )

    subjects = {d.user_id: d.subject for d in _deliveries(session)}
    assert subjects == {
        chinese: "客户 7 的复审 3 已逾期 5 天",
        english: "Review 3 of customer 7 is 5 days overdue",
        unset: "客户 7 的复审 3 已逾期 5 天",
    }
