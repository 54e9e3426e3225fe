"""A local SMTP server (aiosmtpd) and a local HTTP receiver, both on 127.0.0.1, for the delivery
tests; settings that point at them and allow-list loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from fengkong.settings import Settings


@dataclass
class Inbox:
    messages: list[Envelope] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


@dataclass
class Receiver:
    """Records each POST (headers, body) and answers with ``status`` (and ``location``)."""

    port: int = 0
    status: int = 200
    location: str | None = None
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # the controller checks it is up by connecting: no port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def delivery_settings(*, smtp_port: int | None = None, allow_loopback: bool = True) -> Settings:
    return Settings(
        smtp_host="127.0.0.1" if smtp_port else "",
        smtp_port=smtp_port or 25,
        smtp_from="fengkong@example.com",
        webhook_allowed_networks=("127.0.0.1/32",) if allow_loopback else (),
        webhook_timeout_seconds=2,
        notify_max_attempts=3,
        notify_backoff_base_seconds=60,
        notify_backoff_cap_seconds=3600,
    )
