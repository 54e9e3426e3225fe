"""The start page after signing in: who you are and where you can go."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.web.deps import requires
from fengkong.web.routes import exposure
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, session: DbSession, actor: Annotated[Actor, requires(None)]) -> Response:
    """The start page: shortcuts, and portfolio exposure for those who may read it."""
    return render(request, "home/index.html", exposure.portfolio_section(request, session, actor))
