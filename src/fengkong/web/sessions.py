"""What the browser session holds, in one place.

The cookie is Starlette's signed cookie: readable by its owner, tamper-proof. It keeps the token
of the server-side session (``fengkong.auth.user_sessions``: whose it is, until when, whether it
was revoked), the chosen language, the CSRF token and flash messages waiting to be shown.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request

SESSION_TOKEN = "session_token"  # noqa: S105 - the session key, not a secret
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


def begin(request: Request, token: str) -> None:
    """Start a signed-in session from scratch: nothing planted before sign-in (a CSRF token, an
    earlier session's token) survives into the authenticated session."""
    session = _reset(request)
    session[SESSION_TOKEN] = token


def end(request: Request) -> None:
    """Forget the session token and the CSRF token (the server-side session is revoked apart)."""
    _reset(request)


def session_token(request: Request) -> str | None:
    """The server-side session token this browser holds, if any."""
    token = _session(request).get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


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
