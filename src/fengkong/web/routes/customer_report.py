"""The customer credit report as a page (printable, with a link to its PDF) and as the PDF
itself; both are made by ``fengkong.reports.customer_report``, which checks the reader's scope
and masks personal data, so these routes only pick the language and the format."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.reports.customer_report import customer_report_file
from fengkong.reports.files import ReportFile
from fengkong.web.deps import request_locale, requires

router = APIRouter(prefix="/customers", include_in_schema=False)

CustomersReader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]


def _served(report: ReportFile, *, disposition: str) -> Response:
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{report.filename}"'},
    )


@router.get("/{customer_id:int}/report")
def customer_report_page(
    request: Request, customer_id: int, session: DbSession, actor: CustomersReader
) -> Response:
    report = customer_report_file(
        session, actor, customer_id, fmt="html", locale=request_locale(request)
    )
    return _served(report, disposition="inline")


@router.get("/{customer_id:int}/report.pdf")
def customer_report_pdf(
    request: Request, customer_id: int, session: DbSession, actor: CustomersReader
) -> Response:
    report = customer_report_file(
        session, actor, customer_id, fmt="pdf", locale=request_locale(request)
    )
    return _served(report, disposition="attachment")
