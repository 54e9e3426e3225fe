"""PIPL requests (export, erasure) and legal holds (docs/security.md, "PIPL requests")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, status

from fengkong.api.deps import DbSession, requires
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.privacy import pipl
from fengkong.privacy.schemas import ErasureOut, LegalHoldIn, LegalHoldOut, SubjectIn

router = APIRouter(prefix="/privacy", tags=["privacy"])

Officer = Annotated[Actor, requires(Permission.PIPL_MANAGE)]
HoldKeeper = Annotated[Actor, requires(Permission.RISK_WRITE)]


@router.post("/exports")
def export_personal_data(data: SubjectIn, session: DbSession, actor: Officer) -> dict[str, Any]:
    """Everything held about a natural person, with the automated decisions' reason codes."""
    return pipl.export_subject(session, actor, data.query())


@router.post("/erasures", response_model=ErasureOut)
def erase_personal_data(data: SubjectIn, session: DbSession, actor: Officer) -> ErasureOut:
    """Erase the person where no legal hold applies; 409 naming the holds when all apply."""
    result = pipl.erase_subject(session, actor, data.query())
    return ErasureOut(
        request_id=result.request_id,
        contacts_deleted=result.contacts_deleted,
        representatives_erased=result.representatives_erased,
        held=result.held,
    )


@router.get("/legal-holds", response_model=list[LegalHoldOut])
def list_legal_holds(
    session: DbSession,
    actor: HoldKeeper,
    customer_id: int | None = None,
    include_released: bool = False,
) -> list[LegalHoldOut]:
    holds = pipl.list_holds(session, actor, customer_id=customer_id, active=not include_released)
    return [LegalHoldOut.model_validate(hold) for hold in holds]


@router.post("/legal-holds", response_model=LegalHoldOut, status_code=status.HTTP_201_CREATED)
def set_legal_hold(data: LegalHoldIn, session: DbSession, actor: HoldKeeper) -> LegalHoldOut:
    hold = pipl.set_hold(session, actor, customer_id=data.customer_id, reason=data.reason)
    return LegalHoldOut.model_validate(hold)


@router.post("/legal-holds/{hold_id}/release", response_model=LegalHoldOut)
def release_legal_hold(hold_id: int, session: DbSession, actor: HoldKeeper) -> LegalHoldOut:
    return LegalHoldOut.model_validate(pipl.release_hold(session, actor, hold_id))
