"""The monthly portfolio report from the menu: the page itself (HTML, printable), its PDF or its
workbook, in the reader's language; ``fengkong.reports.portfolio_report`` checks permissions
and audits each generation."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.kit.time import business_today
from fengkong.reports.portfolio_report import portfolio_report_file, report_month
from fengkong.web.deps import app_settings, request_locale, requires

router = APIRouter(prefix="/reports", include_in_schema=False)

BookReader = Annotated[Actor, requires(Permission.CUSTOMERS_ALL)]


class PortfolioFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"


@router.get("/portfolio")
def portfolio_report_page(
    request: Request,
    session: DbSession,
    actor: BookReader,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}$")] = None,
    format: Annotated[PortfolioFormat, Query()] = PortfolioFormat.HTML,
) -> Response:
    first = report_month(month, today=business_today(app_settings(request).zone))
    report = portfolio_report_file(
        session, actor, month=first, fmt=format.value, locale=request_locale(request)
    )
    disposition = "inline" if format is PortfolioFormat.HTML else "attachment"
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{report.filename}"'},
    )
