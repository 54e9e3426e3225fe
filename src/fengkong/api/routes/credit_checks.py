"""The ERP order credit check over REST, the hold queue and credit decisions, check rule sets and
policy simulation (docs/credit-checks.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from fengkong.api.deps import CallerLocale, DbSession, commit_in_hop, locale_of, requires
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import (
    ConfigImportIn,
    ConfigVersionList,
    ConfigVersionOut,
    ConfigVersionYamlOut,
)
from fengkong.credit_checks import configs, service, simulation
from fengkong.credit_checks.schemas import (
    CreditCheckIn,
    CreditCheckOut,
    CreditHoldList,
    CreditHoldOut,
    RejectIn,
    ReleaseIn,
    SimulationIn,
    SimulationOut,
)
from fengkong.credit_checks.status import HoldStatus
from fengkong.kit.money import Money
from fengkong.settings import Locale

router = APIRouter(tags=["credit checks"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CREDIT_CHECKS_READ)]
Checker = Annotated[Actor, writes(Permission.CREDIT_CHECKS_RUN)]
Decider = Annotated[Actor, writes(Permission.CREDIT_CHECKS_DECIDE)]
Configurer = Annotated[Actor, writes(Permission.CREDIT_CHECKS_CONFIGURE)]


@router.post(
    "/credit-checks",
    response_model=CreditCheckOut,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": CreditCheckOut, "description": "the stored answer, repeated"}},
)
async def check_order(
    data: CreditCheckIn,
    request: Request,
    response: Response,
    session: DbSession,
    actor: Checker,
) -> CreditCheckOut:
    """Approve, hold or reject an order. The same ``order_id`` with the same payload answers
    200 with the stored decision; a changed order is checked again (201)."""
    locale = locale_of(request)  # not a dependency: each costs every check its solving
    # One worker-thread hop for the check, its answer and the commit: a plain ``def`` route
    # takes one for the route, one for FastAPI's validation of what it returns and one to commit.
    # The hops have threads of their own, few of them (FENGKONG_CREDIT_CHECK_THREADS).
    answer, replayed = await commit_in_hop(
        request,
        session,
        lambda: _check_order(data, session, actor, locale),
        limiter=request.app.state.credit_check_threads,
    )
    if replayed:
        response.status_code = status.HTTP_200_OK
    return answer


def _check_order(
    data: CreditCheckIn, session: Session, actor: Actor, locale: Locale
) -> tuple[CreditCheckOut, bool]:
    answer = service.check_order(
        session,
        actor,
        request=service.CheckRequest(
            order_number=data.order_id,
            amount=data.money(),
            customer_id=data.customer_id,
            customer_uscc=data.customer_uscc,
            stage=data.stage,
            requested_delivery_on=data.requested_delivery_on,
        ),
    )
    out = CreditCheckOut.of(answer.check, answer.hold, answer.rule_set_version, locale)
    return out, answer.replayed


@router.get("/credit-checks/{check_id}", response_model=CreditCheckOut)
def get_check(
    check_id: int, session: DbSession, actor: Reader, locale: CallerLocale
) -> CreditCheckOut:
    view = service.get_check(session, actor, check_id=check_id)
    return CreditCheckOut.of(view.check, view.hold, view.rule_set_version, locale)


@router.get("/credit-holds", response_model=CreditHoldList)
def list_holds(
    session: DbSession,
    actor: Reader,
    locale: CallerLocale,
    hold_status: Annotated[HoldStatus | None, Query(alias="status")] = HoldStatus.OPEN,
    customer_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> CreditHoldList:
    """Holds, the open ones oldest first (the queue a credit manager works)."""
    holds = service.list_holds(
        session, actor, status=hold_status, customer_id=customer_id, limit=limit
    )
    return CreditHoldList(items=[CreditHoldOut.of(hold, locale) for hold in holds])


@router.get("/credit-holds/{hold_id}", response_model=CreditHoldOut)
def get_hold(
    hold_id: int, session: DbSession, actor: Reader, locale: CallerLocale
) -> CreditHoldOut:
    return CreditHoldOut.of(service.get_hold(session, actor, hold_id=hold_id), locale)


def _money(amount: object, currency: str) -> Money | None:
    return None if amount is None else Money.of(amount, currency)


@router.post("/credit-holds/{hold_id}/release", response_model=CreditHoldOut)
def release_hold(
    hold_id: int, data: ReleaseIn, session: DbSession, actor: Decider, locale: CallerLocale
) -> CreditHoldOut:
    """Release fully, partially (``approved_amount``) or on prepayment terms (``prepayment``),
    with a reason code and comment. The requester of the check cannot release it."""
    hold = service.get_hold(session, actor, hold_id=hold_id)
    released = service.release_hold(
        session,
        actor,
        hold_id=hold_id,
        kind=data.kind,
        reason=data.reason_code,
        comment=data.comment,
        approved_amount=_money(data.approved_amount, hold.currency),
        prepayment=_money(data.prepayment, hold.currency),
    )
    return CreditHoldOut.of(released, locale)


@router.post("/credit-holds/{hold_id}/reject", response_model=CreditHoldOut)
def reject_hold(
    hold_id: int, data: RejectIn, session: DbSession, actor: Decider, locale: CallerLocale
) -> CreditHoldOut:
    rejected = service.reject_hold(
        session, actor, hold_id=hold_id, reason=data.reason_code, comment=data.comment
    )
    return CreditHoldOut.of(rejected, locale)


@router.get("/credit-check-rule-sets", response_model=ConfigVersionList)
def list_rule_sets(session: DbSession, actor: Reader) -> ConfigVersionList:
    rows = configs.rule_sets.list_versions(session, actor)
    return ConfigVersionList(items=[ConfigVersionOut.of(row) for row in rows])


@router.get("/credit-check-rule-sets/{version}", response_model=ConfigVersionYamlOut)
def get_rule_set(version: int, session: DbSession, actor: Reader) -> ConfigVersionYamlOut:
    return ConfigVersionYamlOut.of(configs.rule_sets.get_version(session, actor, version=version))


@router.post(
    "/credit-check-rule-sets",
    response_model=ConfigVersionOut,
    status_code=status.HTTP_201_CREATED,
)
def import_rule_set(
    data: ConfigImportIn, session: DbSession, actor: Configurer
) -> ConfigVersionOut:
    """Store a rule set's YAML as the next version (a draft unless ``activate``)."""
    row = configs.rule_sets.import_version(
        session, actor, yaml_text=data.yaml, note=data.note, activate=data.activate
    )
    return ConfigVersionOut.of(row)


@router.post("/credit-check-rule-sets/{version}/activate", response_model=ConfigVersionOut)
def activate_rule_set(version: int, session: DbSession, actor: Configurer) -> ConfigVersionOut:
    return ConfigVersionOut.of(configs.rule_sets.activate_version(session, actor, version=version))


@router.post("/credit-checks/simulations", response_model=SimulationOut)
def simulate(data: SimulationIn, session: DbSession, actor: Configurer) -> SimulationOut:
    """Replay the last ``months`` of orders under a draft rule set: what it would have held,
    and how much of the later 60+ days overdue exposure that would have avoided."""
    result = simulation.simulate(
        session, actor, version=data.version, yaml_text=data.yaml, months=data.months
    )
    return SimulationOut.of(result)
