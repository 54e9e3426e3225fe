"""Render every error as ``{"error": {"code", "message", "details"}}``.

Browser pages get their HTML counterpart through ``html_renderer`` (set by the web layer), so the
same domain error reads well on either side.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fengkong.errors import Conflict, DomainError, NotAuthenticated
from fengkong.logs import mask_text, mask_value

logger = logging.getLogger("fengkong.api")

HtmlRenderer = Callable[[Request, int, str, str, Any], Response | None]


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The error envelope, with personal data masked: a message or detail that repeats what the
    client sent (a USCC check naming the value, a field error's ``value``) must not echo an ID
    number, phone or e-mail address back into a response, a proxy log or a browser cache."""
    return {
        "error": {
            "code": code,
            "message": mask_text(message),
            "details": mask_value(jsonable_encoder(details)),
        }
    }


_MACHINE_PATHS = ("/api/", "/healthz")
_HEADERS: dict[int, dict[str, str]] = {
    401: {"WWW-Authenticate": "Bearer"},
    503: {"Retry-After": "1"},
}
_LOCK_NOT_AVAILABLE = "55P03"
"""PostgreSQL's SQLSTATE when a ``lock_timeout`` expires."""


def _wants_html(request: Request) -> bool:
    """Pages get HTML errors; the API and the health check (read by machines) get JSON."""
    return not request.url.path.startswith(_MACHINE_PATHS)


def _respond(
    request: Request, status: int, code: str, message: str, details: Any = None
) -> Response:
    renderer: HtmlRenderer | None = getattr(request.app.state, "html_error_renderer", None)
    if renderer is not None and _wants_html(request):
        page = renderer(request, status, code, message, details)
        if page is not None:
            return page
    headers = _HEADERS.get(status)
    return JSONResponse(error_body(code, message, details), status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        details.append(
            {
                "field": ".".join(location[1:]) if len(location) > 1 else ".".join(location),
                "location": location[0] if location else None,
                "message": error.get("msg"),
                "type": error.get("type"),
            }
        )
    return details


_UNIQUE_VIOLATIONS = frozenset({"SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"})


def is_unique_violation(exc: IntegrityError) -> bool:
    """PostgreSQL's SQLSTATE 23505, or SQLite's unique/primary-key constraint."""
    original = exc.orig
    return (
        getattr(original, "sqlstate", None) == "23505"
        or getattr(original, "sqlite_errorname", None) in _UNIQUE_VIOLATIONS
    )


def _unexpected_error(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    logger.error(
        "unhandled error %s on %s %s",
        incident,
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    return _respond(
        request,
        500,
        "internal_error",
        f"an unexpected error occurred (incident {incident}); it has been logged",
        {"incident": incident},
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return _respond(request, exc.status_code, exc.code, exc.message, exc.details)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return _respond(
            request, 422, "invalid_request", "the request is not valid", _validation_details(exc)
        )

    @app.exception_handler(StaleDataError)
    async def _stale(request: Request, exc: StaleDataError) -> Response:
        error = Conflict("the record was changed by someone else; reload it and try again")
        return _respond(request, error.status_code, error.code, error.message)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # Services check natural keys first; this catches the race in which a concurrent
        # transaction committed the same key between that check and this one's insert.
        if not is_unique_violation(exc):
            return _unexpected_error(request, exc)
        error = Conflict("another record with the same identifying values was saved meanwhile")
        return _respond(request, error.status_code, "duplicate", error.message)

    @app.exception_handler(OperationalError)
    async def _operational(request: Request, exc: OperationalError) -> Response:
        # A lock waited for past its timeout (a credit check sets one for its whole transaction,
        # so a wait on another transaction's uncommitted order number is bounded too): nothing
        # was stored, and the same request, sent again, is the right answer — a busy server,
        # not a broken one.
        if getattr(exc.orig, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            return _unexpected_error(request, exc)
        return _respond(request, 503, "busy", "other requests hold the data; retry shortly")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _respond(request, exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        return _unexpected_error(request, exc)


__all__ = ["NotAuthenticated", "error_body", "install"]
