"""Pull credit data for a customer, and see what the providers cost."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request

from fengkong.api.deps import DbSession, requires
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.connectors import service
from fengkong.connectors.schemas import CostReportRead, PullRequest, PullSummaryRead
from fengkong.settings import Settings

router = APIRouter(tags=["connectors"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post("/customers/{customer_id}/credit-data/pull", response_model=PullSummaryRead)
def pull_credit_data(
    customer_id: int,
    request: Request,
    session: DbSession,
    data: Annotated[PullRequest | None, Body()] = None,
    actor: Actor = requires(Permission.CREDIT_REPORTS_WRITE),
) -> PullSummaryRead:
    """Ask the configured providers for the customer's agency report, registry record and court
    records (or the ``kinds`` sent). Calls cost money: data newer than the age rule allows is not
    pulled again unless ``force`` is set."""
    data = data or PullRequest()
    summary = service.pull(
        session,
        actor,
        customer_id=customer_id,
        kinds=data.kinds,
        force=data.force,
        config=service.connector_config(_settings(request)),
    )
    return PullSummaryRead.of(summary)


@router.get("/connectors/costs", response_model=CostReportRead)
def connector_costs(
    request: Request,
    session: DbSession,
    months: Annotated[int, Query(ge=1, le=60, description="calendar months to break down")] = 12,
    actor: Actor = requires(Permission.CREDIT_REPORTS_READ),
) -> CostReportRead:
    """Calls and charges per provider (all time) and per month and provider."""
    report = service.cost_report(session, actor, months=months, zone=_settings(request).zone)
    return CostReportRead.of(report)
