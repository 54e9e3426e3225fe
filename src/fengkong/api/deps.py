"""Request dependencies for the REST API: the unit of work and the bearer-token actor."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from fengkong.api.security import Public, RequirePermission
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.db import Database
from fengkong.errors import NotAuthenticated
from fengkong.i18n import negotiate_locale
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.settings import Locale, Settings

_bearer = HTTPBearer(auto_error=False, description="An API token from `fengkong token create`")


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in a
# worker thread, a hop that costs more than the work itself on the credit check's hot path.


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def caller_locale(request: Request) -> Locale:
    """The language the client asks for (``Accept-Language``), else the deployment's."""
    settings: Settings = request.app.state.settings
    return negotiate_locale(request.headers.get("accept-language"), settings.default_locale)


CallerLocale = Annotated[Locale, Depends(caller_locale)]


def unit_of_work(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent (scope="function"),
    so a client never sees success for a write that then failed to commit."""
    with database.session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(unit_of_work, scope="function")]


def bearer_actor(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None:
        raise NotAuthenticated("send an API token as 'Authorization: Bearer <token>'")
    actor = auth_service.actor_for_token(session, credentials.credentials)
    if actor is None:
        raise NotAuthenticated("the API token is unknown, revoked or expired")
    session.info["actor"] = actor
    session.info["provenance"] = Provenance.of(DataSource.API, actor.username)
    return actor


class ApiPermission(RequirePermission):
    async def __call__(self, actor: Annotated[Actor, Depends(bearer_actor)]) -> Actor:
        return self.check(actor)


def requires(permission: Permission) -> Actor:
    """Use as a parameter default: ``actor: Actor = requires(Permission.CUSTOMERS_READ)``."""
    result: Actor = Depends(ApiPermission(permission))
    return result


def authenticated() -> Actor:
    """Any valid token, whatever its role (e.g. ``/me``)."""
    result: Actor = Depends(ApiPermission(None))
    return result


PUBLIC = Depends(Public())
