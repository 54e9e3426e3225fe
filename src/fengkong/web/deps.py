"""Request dependencies for the web UI: who is signed in (from the session cookie), in which
language the page is shown, and the ``WebPermission`` declaration every page route makes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from fengkong.api.deps import DbSession
from fengkong.api.security import Public, RequirePermission
from fengkong.auth import service as auth_service
from fengkong.auth import user_sessions
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import NotAuthenticated
from fengkong.i18n import resolve_locale
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.kit.time import utcnow
from fengkong.settings import Locale, Settings
from fengkong.web import sessions


def app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def session_actor(request: Request, session: DbSession) -> Actor | None:
    """The signed-in actor, or ``None``. Also settles the page language, which may be the user's
    saved preference, and makes the actor the author of this request's audited writes."""
    settings = app_settings(request)
    token = sessions.session_token(request)
    user = (
        user_sessions.resume(
            session, token, now=utcnow(), policy=user_sessions.SessionPolicy.of(settings)
        )
        if token is not None
        else None
    )
    if user is None and token is not None:
        sessions.end(request)  # expired, revoked or deactivated: sign the browser out
    actor = auth_service.actor_for(user) if user is not None else None
    preference = user.locale if user is not None else None
    if actor is not None:
        session.info["actor"] = actor
        session.info["provenance"] = Provenance.of(DataSource.UI, actor.username)
    request.state.actor = actor
    request.state.locale = resolve_locale(
        user_preference=preference,
        session_choice=sessions.chosen_locale(request),
        default=settings.default_locale,
    )
    return actor


OptionalActor = Annotated[Actor | None, Depends(session_actor)]


class WebPermission(RequirePermission):
    """Insist a signed-in user holds the permission; nobody signed in is sent to the login page."""

    def __call__(self, actor: OptionalActor) -> Actor:
        if actor is None:
            raise NotAuthenticated("sign in to see this page")
        return self.check(actor)


def requires(permission: Permission | None) -> Any:
    """Use in ``Annotated[Actor, requires(Permission.X)]``; ``None`` admits any signed-in user."""
    return Depends(WebPermission(permission))


PUBLIC = Depends(Public())


def request_actor(request: Request) -> Actor | None:
    """The actor ``session_actor`` found for this request (``None`` if it did not run)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    return actor


def request_locale(request: Request) -> Locale:
    """The page language ``session_actor`` chose, or, where it did not run (an unknown URL),
    the browser's choice or the default."""
    locale: Locale | None = getattr(request.state, "locale", None)
    if locale is not None:
        return locale
    session = request.scope.get("session") or {}
    return resolve_locale(
        user_preference=None,
        session_choice=session.get(sessions.LOCALE),
        default=app_settings(request).default_locale,
    )
