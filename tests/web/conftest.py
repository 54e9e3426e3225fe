"""Helpers for driving the web UI through the ASGI test client, as a browser would: cookies,
CSRF tokens scraped from the page, forms posted without following redirects."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response

from fengkong.web.setup import SESSION_COOKIE
from tests.personas import PASSWORD, Persona

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token_in(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)


class WebClient:
    """One browser: its own cookie jar, so several users can be signed in at once in a test."""

    def __init__(self, client: TestClient) -> None:
        self.http = client

    def get(self, url: str, **kwargs: Any) -> Response:
        return self.http.get(url, follow_redirects=False, **kwargs)

    def page(self, url: str, **kwargs: Any) -> Response:
        """GET following redirects, as a browser does when it lands somewhere."""
        return self.http.get(url, follow_redirects=True, **kwargs)

    def csrf_token(self) -> str:
        return csrf_token_in(self.page("/login").text)

    def post(self, url: str, data: Mapping[str, str] | None = None) -> Response:
        """Post a form the way our pages do, with this session's CSRF token."""
        return self.post_raw(url, {"csrf_token": self.csrf_token(), **(data or {})})

    def post_raw(self, url: str, data: Mapping[str, str], **kwargs: Any) -> Response:
        return self.http.post(url, data=dict(data), follow_redirects=False, **kwargs)

    def sign_in(self, username: str, password: str = PASSWORD, next_path: str = "") -> Response:
        return self.post("/login", {"username": username, "password": password, "next": next_path})

    @property
    def session_cookie(self) -> str | None:
        return self.http.cookies.get(SESSION_COOKIE)


BrowserFactory = Callable[[], WebClient]
SignedIn = Callable[[Persona], WebClient]


@pytest.fixture
def new_browser(app: FastAPI) -> Iterator[BrowserFactory]:
    clients: list[TestClient] = []

    def _new() -> WebClient:
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return WebClient(client)

    yield _new
    for client in clients:
        client.close()


@pytest.fixture
def browser(new_browser: BrowserFactory) -> WebClient:
    """Nobody signed in yet."""
    return new_browser()


@pytest.fixture
def signed_in(new_browser: BrowserFactory) -> SignedIn:
    """A fresh browser signed in as ``persona``."""

    def _sign_in(persona: Persona) -> WebClient:
        web = new_browser()
        response = web.sign_in(persona.user.username)
        assert response.status_code == 303, response.text
        return web

    return _sign_in
