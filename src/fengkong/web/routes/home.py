"""The start page after signing in: who you are and where you can go."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fengkong.web.deps import requires
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", dependencies=[requires(None)])
def home(request: Request) -> Response:
    """A landing page for now; the dashboard replaces it."""
    return render(request, "home/index.html")
