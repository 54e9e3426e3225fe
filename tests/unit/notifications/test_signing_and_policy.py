"""Standard Webhooks signatures, the retry schedule and the outgoing-address rules."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

from fengkong.notifications import policy, signing

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def test_the_signature_is_a_base64_hmac_sha256_of_id_timestamp_and_body() -> None:
    body = b'{"type":"alert.raised"}'
    expected = hmac.new(b"k" * 32, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    signature = signing.sign(SECRET, message_id="msg_1", timestamp=1_700_000_000, body=body)
    assert signature == "v1," + base64.b64encode(expected).decode()


def test_a_receiver_verifies_the_headers_and_rejects_a_changed_body_or_an_old_timestamp() -> None:
    body = b'{"a":1}'
    headers = signing.headers(SECRET, message_id="msg_2", timestamp=1_000, body=body)

    def check(payload: bytes, now: int) -> bool:
        return signing.verify(
            SECRET,
            message_id=headers["webhook-id"],
            timestamp=int(headers["webhook-timestamp"]),
            body=payload,
            signature_header=headers["webhook-signature"],
            now=now,
        )

    assert check(body, 1_100)
    assert not check(b'{"a":2}', 1_100)
    assert not check(body, 1_000 + 301)


def test_new_secrets_carry_the_prefix_and_32_random_bytes() -> None:
    first, second = signing.new_secret(), signing.new_secret()
    assert first.startswith("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32


def test_the_backoff_doubles_from_the_base_up_to_the_cap_and_stops_after_the_last_attempt() -> None:
    retry = policy.RetryPolicy(max_attempts=5, base=timedelta(minutes=1), cap=timedelta(minutes=5))
    assert [retry.delay_after(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
        timedelta(minutes=5),
    ]
    now = datetime(2026, 6, 30, 12, tzinfo=UTC)
    assert retry.next_attempt(4, now) == now + timedelta(minutes=5)
    assert retry.next_attempt(5, now) is None


def test_private_loopback_and_link_local_addresses_are_refused_unless_allow_listed() -> None:
    addresses = [
        ipaddress.ip_address(text)
        for text in ("10.1.2.3", "127.0.0.1", "169.254.169.254", "::1", "8.8.8.8", "192.168.1.1")
    ]
    refused = policy.refused_addresses(addresses, ())
    assert [str(a) for a in refused] == [
        "10.1.2.3",
        "127.0.0.1",
        "169.254.169.254",
        "::1",
        "192.168.1.1",
    ]
    allowed = policy.parse_networks(["127.0.0.1/32", "10.0.0.0/8"])
    assert [str(a) for a in policy.refused_addresses(addresses, allowed)] == [
        "169.254.169.254",
        "::1",
        "192.168.1.1",
    ]
