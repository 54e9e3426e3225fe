"""``Idempotency-Key`` on API writes: a retried POST or PATCH returns the first response and
writes nothing twice.

Two parts, because the response exists only after the route has run but must be stored before its
transaction commits. ``writes(permission)`` — the access declaration of every write route — checks
the permission and claims the key in the request's transaction (``fengkong.idempotency.service``).
``IdempotentRoute`` then stores the serialized response before the unit of work commits, and turns
a claim that found a stored response into its replay. The key is optional; without it a write
behaves as any other request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fengkong.api.deps import BearerCredentials, DbSession, bearer_actor
from fengkong.api.security import RequirePermission
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.idempotency import service
from fengkong.idempotency.models import IdempotencyKey

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT_HEADERS = ("ETag", "Location")
"""Response headers a replay repeats; the rest (date, length) describe the new response."""


class _Replay(Exception):
    """Raised by the claim to answer with the stored response instead of running the route."""

    def __init__(self, stored: service.StoredResponse) -> None:
        super().__init__(stored.status_code)
        self.stored = stored


@dataclass(frozen=True, slots=True)
class _Claim:
    session: Session
    row: IdempotencyKey

    def store(self, response: Response) -> None:
        body = json.loads(bytes(response.body)) if response.body else None
        headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
        service.store_response(
            self.session, self.row, service.StoredResponse(response.status_code, body, headers)
        )


def _replayed(stored: service.StoredResponse) -> Response:
    return JSONResponse(
        stored.body,
        status_code=stored.status_code,
        headers={**stored.headers, REPLAYED_HEADER: "true"},
    )


class IdempotentRoute(APIRoute):
    """The route class of every router with write routes (``APIRouter(route_class=...)``)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def idempotent_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except _Replay as replay:
                return _replayed(replay.stored)
            claim: _Claim | None = getattr(request.state, "idempotency_claim", None)
            if claim is not None:
                # Still inside the request's unit of work: it commits after this returns.
                await run_in_threadpool(claim.store, response)
            return response

        return idempotent_handler


def _request_path(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


async def _request_body(request: Request) -> bytes:
    """The bytes a retry must repeat. For a route with Form fields FastAPI has already parsed
    the form, which consumes the stream, so it is fingerprinted from its fields and files."""
    route = request.scope.get("route")
    parsed = isinstance(route, APIRoute) and route.body_field is not None
    if not parsed or not request.headers.get("content-type", "").startswith(_FORM_TYPES):
        return await request.body()
    parts: list[list[str]] = []
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str):
            parts.append([name, value])
        else:
            content = await value.read()
            await value.seek(0)
            parts.append([name, value.filename or "", hashlib.sha256(content).hexdigest()])
    return json.dumps(parts, ensure_ascii=False).encode()


class ApiWrite(RequirePermission):
    """Insist on ``permission``, then claim the request's ``Idempotency-Key`` if it sent one."""

    async def __call__(
        self,
        request: Request,
        session: DbSession,
        credentials: BearerCredentials,
        idempotency_key: Annotated[
            str | None,
            Header(
                alias=IDEMPOTENCY_HEADER,
                min_length=1,
                max_length=service.MAX_KEY_LENGTH,
                pattern=r"^[\x21-\x7e]+$",
                description="Any unique string (a UUID); a retry with the same key and request "
                "returns the first response and writes nothing. Kept for 24 hours.",
            ),
        ] = None,
    ) -> Actor:
        actor = self.check(await bearer_actor(request, session, credentials))
        if idempotency_key is None:
            return actor
        if not isinstance(request.scope.get("route"), IdempotentRoute):
            raise RuntimeError(f"{request.url.path} needs route_class=IdempotentRoute")
        if actor.user_id is None:
            raise RuntimeError("API actors are users: bearer tokens belong to one")
        path = _request_path(request)
        fingerprint = service.request_fingerprint(
            method=request.method,
            path=path,
            body=await _request_body(request),
            preconditions=request.headers.get("if-match", ""),
        )
        outcome = await run_in_threadpool(
            service.claim_key,
            session,
            actor_id=actor.user_id,
            key=idempotency_key,
            method=request.method,
            path=path,
            request_sha256=fingerprint,
        )
        if isinstance(outcome, service.StoredResponse):
            raise _Replay(outcome)
        request.state.idempotency_claim = _Claim(session, outcome)
        return actor


def writes(permission: Permission) -> Any:
    """The access declaration of a write route: ``Annotated[Actor, writes(Permission.X)]``."""
    return Depends(ApiWrite(permission))
