from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from fengkong.api.deps import authenticated
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission, Role

router = APIRouter(tags=["auth"])


class MeRead(BaseModel):
    user_id: int | None
    username: str
    role: Role
    permissions: list[Permission]


@router.get("/me", response_model=MeRead)
def me(actor: Actor = authenticated()) -> MeRead:
    """Who the token belongs to and what it may do; any authenticated caller may ask."""
    return MeRead(
        user_id=actor.user_id,
        username=actor.username,
        role=actor.role,
        permissions=sorted(actor.permissions),
    )
