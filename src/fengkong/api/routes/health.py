from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from fengkong import __version__
from fengkong.api.deps import PUBLIC, DbSession

router = APIRouter(tags=["health"])


@router.get("/healthz", dependencies=[PUBLIC])
def healthz(session: DbSession) -> dict[str, str]:
    """Liveness and database reachability, for load balancers and `make run`'s wait loop."""
    session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__, "database": session.get_bind().dialect.name}
