"""Page routes, one module per area. ``ROUTERS`` is what ``fengkong.web.setup`` mounts."""

from __future__ import annotations

from fastapi import APIRouter

from fengkong.web.routes import (
    alerts,
    auth,
    collections,
    credit_checks,
    customer_report,
    customers,
    home,
    imports,
    limits,
    locale,
    models,
    notifications,
    portfolio_report,
    quality,
    report_subscriptions,
    reviews,
    risk,
    settings,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    locale.router,
    home.router,
    customers.router,
    customer_report.router,
    portfolio_report.router,
    quality.router,
    imports.router,
    risk.router,
    credit_checks.router,
    limits.router,
    collections.router,
    models.router,
    alerts.router,
    reviews.router,
    notifications.router,
    report_subscriptions.router,
    settings.router,
)
