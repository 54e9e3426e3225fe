"""Request dependencies for the REST API: the unit of work and the bearer-token actor."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from fengkong.api.recent_tokens import RecentTokens
from fengkong.api.security import Public, RequirePermission
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.auth.service import TokenGrant
from fengkong.db import Database, end_session
from fengkong.errors import NotAuthenticated
from fengkong.i18n import negotiate_locale
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.settings import Locale, Settings

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="An API token from `fengkong token create`")


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the work itself on the credit check's hot path.


def locale_of(request: Request) -> Locale:
    """The language the client asks for (``Accept-Language``), else the deployment's."""
    settings: Settings = request.app.state.settings
    return negotiate_locale(request.headers.get("accept-language"), settings.default_locale)


async def caller_locale(request: Request) -> Locale:
    return locale_of(request)


CallerLocale = Annotated[Locale, Depends(caller_locale)]


async def unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One transaction per request, committed before the response is sent (scope="function"),
    so a client never sees success for a write that then failed to commit. Opening the session
    does no I/O; only its end takes a worker thread. (The database is read off the app, not
    from a dependency of its own: each dependency costs every request its solving.)"""
    database: Database = request.app.state.database
    session = database.open_session()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(end_session, session, commit=False)
        raise
    if session.in_transaction():
        await run_in_threadpool(end_session, session, commit=True)
    else:
        # The route committed in its own hop (``commit_in_hop``): nothing left to send.
        session.close()


async def commit_in_hop(
    request: Request,
    session: Session,
    work: Callable[[], T],
    *,
    limiter: CapacityLimiter | None = None,
) -> T:
    """Run a route's blocking ``work`` and commit it in the same worker-thread hop: a hot route
    then holds a database connection only while in its thread, and the unit of work has no
    blocking end left. A request that claimed an ``Idempotency-Key`` keeps the commit for the
    unit of work, after its response is stored in the same transaction. ``limiter`` bounds how
    many such hops run at once (anyio's default pool otherwise)."""
    claimed = getattr(request.state, "idempotency_claim", None) is not None

    def work_and_commit() -> T:
        result = work()
        if not claimed:
            session.commit()
        return result

    return await anyio.to_thread.run_sync(work_and_commit, limiter=limiter)


DbSession = Annotated[Session, Depends(unit_of_work, scope="function")]


def _read_grant(session: Session, token: str, recent: RecentTokens) -> TokenGrant | None:
    """Committed at once (the token's last-use mark), so the connection goes back to the pool
    instead of being held while the request waits for its next worker thread."""
    grant = auth_service.grant_of_token(session, token)
    session.commit()
    if grant is not None:
        recent.remember(token, grant)
    return grant


BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


async def bearer_actor(
    request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
) -> Actor:
    """The token's actor, from memory when it was read in the last few seconds. Called by the
    permission dependencies rather than being one of its own: each dependency costs every API
    request its solving (about 3 % of a credit check's CPU)."""
    if credentials is None:
        raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")
    token = credentials.credentials
    recent: RecentTokens = request.app.state.recent_tokens
    actor = recent.actor_of(token)
    if actor is None:
        grant = await run_in_threadpool(_read_grant, session, token, recent)
        if grant is None:
            raise NotAuthenticated("the API token is unknown, revoked or expired")
        actor = grant.actor
    session.info["actor"] = actor
    session.info["provenance"] = Provenance.of(DataSource.API, actor.username)
    return actor


class ApiPermission(RequirePermission):
    async def __call__(
        self, request: Request, session: DbSession, credentials: BearerCredentials
    ) -> Actor:
        return self.check(await bearer_actor(request, session, credentials))


def requires(permission: Permission) -> Actor:
    """Use as a parameter default: ``actor: Actor = requires(Permission.CUSTOMERS_READ)``."""
    result: Actor = Depends(ApiPermission(permission))
    return result


def authenticated() -> Actor:
    """Any valid token, whatever its role (e.g. ``/me``)."""
    result: Actor = Depends(ApiPermission(None))
    return result


PUBLIC = Depends(Public())
