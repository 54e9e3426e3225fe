"""The composition root: one ASGI app serving the REST API (/api/v1) and the web UI."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from fengkong import __version__
from fengkong.api import errors
from fengkong.api.routes import (
    alerts,
    collections,
    connectors,
    contracts,
    credit_checks,
    credit_reports,
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
    quality,
    related_parties,
    reviews,
    risk,
)
from fengkong.api.security import check_access_declared
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.settings import Settings, get_settings
from fengkong.web import setup as web_setup


def create_app(database: Database | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Fengkong 风控",
        version=__version__,
        description="Customer credit-risk management: data, scores, limits, monitoring.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database or open_database(settings.resolved_database_url)

    api = APIRouter(prefix="/api/v1")
    api.include_router(me.router)
    api.include_router(customers.router)
    for router in (
        related_parties.router,
        financial_statements.router,
        invoices.router,
        payments.router,
        orders.router,
        contracts.router,
        credit_reports.router,
        legal_events.router,
    ):
        api.include_router(router)
    api.include_router(connectors.router)
    api.include_router(quality.router)
    api.include_router(risk.router)
    api.include_router(exposure.router)
    api.include_router(credit_checks.router)
    api.include_router(collections.router)
    api.include_router(limits.router)
    api.include_router(models.router)
    api.include_router(alerts.router)
    api.include_router(imports.router)
    api.include_router(events.router)
    api.include_router(notifications.router)
    api.include_router(reviews.router)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(api)
    errors.install(app)
    web_setup.install(app, settings)
    check_access_declared(app)
    return app
