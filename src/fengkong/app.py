"""The composition root: one ASGI app serving the REST API (/api/v1) and the web UI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from fastapi import Depends, FastAPI

from fengkong import __version__
from fengkong.api import errors, openapi
from fengkong.api.params import refuse_unstorable_parameters
from fengkong.api.recent_tokens import RecentTokens
from fengkong.api.routes import (
    alerts,
    collections,
    connectors,
    contracts,
    credit_checks,
    credit_reports,
    customer_interactions,
    customer_report,
    customers,
    docs,
    events,
    exposure,
    financial_statements,
    health,
    imports,
    invoices,
    legal_events,
    limits,
    me,
    models,
    notifications,
    orders,
    payments,
    portfolio_report,
    privacy,
    quality,
    related_parties,
    reviews,
    risk,
)
from fengkong.api.security import check_access_declared
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.kit.heap import freeze_startup_objects
from fengkong.privacy.keys import keyring_from_settings
from fengkong.settings import Settings, get_settings
from fengkong.web import setup as web_setup

API_PREFIX = "/api/v1"


@asynccontextmanager
async def _lifespan(_app: FastAPI) -> AsyncIterator[None]:
    """Each server process, once started, freezes what start-up built (``kit.heap``)."""
    freeze_startup_objects()
    yield


def create_app(database: Database | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Fengkong 风控",
        version=__version__,
        description="Customer credit-risk management: data, scores, limits, monitoring.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(refuse_unstorable_parameters)],
        lifespan=_lifespan,
    )
    app.state.settings = settings
    # Unusable personal-data keys stop the start, not the first customer read; development keys
    # are logged as such (docs/security.md, "Personal data").
    keyring_from_settings(settings)
    app.state.database = database or open_database(settings.resolved_database_url)
    app.state.recent_tokens = RecentTokens(settings.api_token_cache_seconds)
    app.state.credit_check_threads = CapacityLimiter(settings.credit_check_threads)

    app.include_router(health.router)
    app.include_router(docs.router)
    # Each area's router is included on the app itself, not under one /api/v1 router: FastAPI
    # matches included routers recursively, and a nested level made every request scan the
    # API's routes several times (docs/performance.md). The credit check comes first: an ERP
    # calls it on every order, and routers are matched in the order they were included (it
    # saves ~0.13 ms of its ~3 ms).
    for router in (
        credit_checks.router,
        me.router,
        customers.router,
        related_parties.router,
        customer_interactions.router,
        customer_report.router,
        portfolio_report.router,
        financial_statements.router,
        invoices.router,
        payments.router,
        orders.router,
        contracts.router,
        credit_reports.router,
        legal_events.router,
        connectors.router,
        quality.router,
        risk.router,
        exposure.router,
        collections.router,
        limits.router,
        models.router,
        alerts.router,
        imports.router,
        events.router,
        notifications.router,
        reviews.router,
        privacy.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    errors.install(app)
    openapi.install(app)
    web_setup.install(app, settings)
    check_access_declared(app)
    return app
