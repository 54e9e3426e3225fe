"""``GET /reports/portfolio``: the monthly portfolio report as PDF, HTML or an Excel workbook,
in the language asked for (``lang=zh-CN|en``). It sums the whole book, so it needs
``customers:all`` (and ``exposure:read``, checked with the audit entry by
``fengkong.reports.portfolio_report``)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from fengkong.api.deps import DbSession, requires
from fengkong.api.routes.customer_report import LOCALES, ReportLanguage
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.time import business_today
from fengkong.reports.portfolio_report import portfolio_report_file, report_month
from fengkong.settings import get_settings

router = APIRouter(prefix="/reports", tags=["reports"])

BookReader = Annotated[Actor, requires(Permission.CUSTOMERS_ALL)]


class PortfolioFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"
    XLSX = "xlsx"


@router.get(
    "/portfolio",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/pdf": {},
                "text/html": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            },
            "description": "The monthly portfolio report.",
        }
    },
)
def get_portfolio_report(
    session: DbSession,
    actor: BookReader,
    month: Annotated[
        str | None,
        Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM; default: the last complete month"),
    ] = None,
    format: Annotated[PortfolioFormat, Query()] = PortfolioFormat.PDF,
    lang: Annotated[ReportLanguage | None, Query()] = None,
) -> Response:
    """The portfolio report of ``month``: grades and migration, exposure and expected loss,
    concentration, ageing, and the month's alerts and reviews (docs/reports.md)."""
    settings = get_settings()
    first = report_month(month, today=business_today(settings.zone))
    locale = LOCALES[lang] if lang is not None else settings.default_locale
    report = portfolio_report_file(session, actor, month=first, fmt=format.value, locale=locale)
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
