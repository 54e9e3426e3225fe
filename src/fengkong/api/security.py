"""Access declarations. Every route states who may call it, through exactly one of these
dependencies; ``check_access_declared`` refuses to build an app with a route that does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import PermissionDenied


class RequirePermission:
    """Insist the request's actor holds ``permission`` (``None``: any signed-in actor). Subclasses
    say where the actor comes from (a bearer token, the session cookie) in their ``__call__``."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    def check(self, actor: Actor) -> Actor:
        if self.permission is not None and not actor.can(self.permission):
            raise PermissionDenied(
                f"this needs the {self.permission} permission, which the {actor.role} role lacks",
                details={"permission": self.permission.value, "role": actor.role.value},
            )
        return actor


class Public:
    """Marks a route anyone may call (health check, login page, language switch)."""

    def __call__(self) -> None:
        return None


def _declarations(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if isinstance(sub.call, RequirePermission | Public):
            yield sub.call
        yield from _declarations(sub)


def undeclared_routes(app: FastAPI) -> list[str]:
    """Routes (method + path) that declare neither a permission nor ``Public``.

    Walks included routers with their router-level dependencies, as FastAPI itself resolves them.
    """
    missing: list[str] = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        if not any(_declarations(context.dependant)):
            missing.extend(f"{method} {context.path}" for method in sorted(context.methods or ()))
    return missing


def check_access_declared(app: FastAPI) -> None:
    missing = undeclared_routes(app)
    if missing:
        raise RuntimeError(f"routes without a declared permission: {', '.join(missing)}")
