"""Data-quality reports for one customer and for the portfolio."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from fengkong.api.deps import DbSession, requires
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.time import business_today
from fengkong.quality import service
from fengkong.quality.rules import Thresholds
from fengkong.quality.schemas import CustomerQualityRead, PortfolioQualityRead
from fengkong.settings import Settings

router = APIRouter(tags=["data quality"])


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.get("/customers/{customer_id}/data-quality", response_model=CustomerQualityRead)
def customer_data_quality(
    customer_id: int,
    request: Request,
    session: DbSession,
    actor: Actor = requires(Permission.CUSTOMERS_READ),
) -> CustomerQualityRead:
    """Completeness of the key fields, stale statements and reports, USCC verification, and
    where each kind of data came from and when."""
    settings = _settings(request)
    quality = service.customer_quality(
        session,
        actor,
        customer_id,
        today=business_today(settings.zone),
        thresholds=Thresholds.of(settings),
    )
    return CustomerQualityRead.of(quality)


@router.get("/data-quality", response_model=PortfolioQualityRead)
def portfolio_data_quality(
    request: Request,
    session: DbSession,
    worst: Annotated[
        int, Query(ge=0, le=service.MAX_WORST, description="how many worst files to list")
    ] = 20,
    actor: Actor = requires(Permission.CUSTOMERS_READ),
) -> PortfolioQualityRead:
    """How many customers have each issue, and the customers whose files need work most."""
    settings = _settings(request)
    quality = service.portfolio_quality(
        session,
        actor,
        today=business_today(settings.zone),
        thresholds=Thresholds.of(settings),
        worst=worst,
    )
    return PortfolioQualityRead.of(quality)
