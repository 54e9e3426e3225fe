"""What the browser session holds, in one place.

The session is Starlette's signed cookie: readable by its owner, tamper-proof, never stored on the
server. It keeps only the user id and when they signed in, the chosen language, the CSRF token and
flash messages waiting to be shown.
"""

from __future__ import annotations

import time
from typing import Any, Literal

from starlette.requests import Request

USER_ID = "user_id"
SIGNED_IN_AT = "signed_in_at"
LOCALE = "locale"
CSRF_TOKEN = "csrf_token"  # noqa: S105 - the session key, not a secret
FLASHES = "flashes"

FlashLevel = Literal["success", "info", "warning", "error"]


def _session(request: Request) -> dict[str, Any]:
    session: dict[str, Any] = request.session
    return session


def _reset(request: Request) -> dict[str, Any]:
    """Empty the session except for the language choice, which belongs to the browser."""
    session = _session(request)
    locale = session.get(LOCALE)
    session.clear()
    if locale is not None:
        session[LOCALE] = locale
    return session


def begin(request: Request, user_id: int) -> None:
    """Start a signed-in session from scratch: nothing planted before sign-in (a CSRF token, a
    user id) survives into the authenticated session."""
    session = _reset(request)
    session[USER_ID] = user_id
    session[SIGNED_IN_AT] = int(time.time())


def end(request: Request) -> None:
    """Forget who was signed in, and their CSRF token."""
    _reset(request)


def signed_in_user_id(request: Request, max_age_seconds: int) -> int | None:
    """The user id, unless the sign-in is older than ``max_age_seconds``.

    The cookie's own expiry restarts whenever the session changes (a language switch, a flash),
    so the sign-in time is what bounds how long one password entry lasts.
    """
    session = _session(request)
    user_id = session.get(USER_ID)
    signed_in_at = session.get(SIGNED_IN_AT)
    if not isinstance(user_id, int) or not isinstance(signed_in_at, int):
        return None
    if time.time() - signed_in_at > max_age_seconds:
        return None
    return user_id


def chosen_locale(request: Request) -> str | None:
    locale = _session(request).get(LOCALE)
    return locale if isinstance(locale, str) else None


def choose_locale(request: Request, locale: str) -> None:
    _session(request)[LOCALE] = locale


def flash(request: Request, level: FlashLevel, message: str) -> None:
    """Queue an already translated message for the next page this browser renders."""
    session = _session(request)
    session[FLASHES] = [*session.get(FLASHES, []), {"level": level, "message": message}]


def pop_flashes(request: Request) -> list[dict[str, str]]:
    session = _session(request)
    if FLASHES not in session:
        return []
    flashes: list[dict[str, str]] = session.pop(FLASHES)
    return flashes
