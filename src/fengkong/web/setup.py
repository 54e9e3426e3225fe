"""Wire the web UI into the app: session cookie, security headers, static files, page routes,
HTML error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from fengkong.api.security_headers import SecurityHeadersMiddleware
from fengkong.settings import Settings
from fengkong.web.csrf import verify_csrf
from fengkong.web.errors import render_error
from fengkong.web.routes import ROUTERS
from fengkong.web.templating import Templates

STATIC_DIR = Path(__file__).resolve().parent / "static"
SESSION_COOKIE = "fengkong_session"


def install(app: FastAPI, settings: Settings) -> None:
    """Called once by ``create_app``. Every web router gets the CSRF check here, so no page
    route can be added without it."""
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.cookie_secure,
    )
    # Added last, so outermost: error pages and the session middleware's own answers get them too.
    app.add_middleware(SecurityHeadersMiddleware, https=settings.cookie_secure)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(verify_csrf)])
    app.state.templates = Templates(settings)
    app.state.html_error_renderer = render_error
