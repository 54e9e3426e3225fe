"""Cross-site request forgery protection for every state-changing web request.

A synchroniser token: a random value kept in the session and echoed by each form (field
``csrf_token``) or htmx request (header ``X-CSRF-Token``, set once on ``<body hx-headers>``). The
session cookie is also ``SameSite=Lax``; the token is what actually proves the request came from
one of our pages. The check is a router-level dependency added to every web router in
``fengkong.web.setup``, so a new route cannot forget it.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request

from fengkong.errors import PermissionDenied
from fengkong.web import sessions

FORM_FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


def csrf_token(request: Request) -> str:
    """This session's token, created on first use."""
    token = request.session.get(sessions.CSRF_TOKEN)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[sessions.CSRF_TOKEN] = token
    return token


async def _submitted_token(request: Request) -> str | None:
    header = request.headers.get(HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORM_TYPES):
        # Starlette caches the parsed form on the request: the endpoint's Form fields share it.
        value = (await request.form()).get(FORM_FIELD)
        return value if isinstance(value, str) else None
    return None


async def verify_csrf(request: Request) -> None:
    """Refuse an unsafe request whose token is missing or not this session's (403)."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(sessions.CSRF_TOKEN)
    submitted = await _submitted_token(request)
    if not isinstance(expected, str) or not submitted:
        raise CsrfFailed("the form is missing its security token; reload the page and retry")
    if not secrets.compare_digest(expected.encode(), submitted.encode()):
        raise CsrfFailed("the form's security token does not match; reload the page and retry")
