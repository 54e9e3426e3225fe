"""``GET /customers/{id}/report``: the customer credit report as PDF or HTML, in the language
asked for (``lang=zh-CN|en``, default the deployment's). Scope, masking and the audit entry are
``fengkong.reports.customer_report``'s."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from fengkong.api.deps import DbSession, requires
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.reports.customer_report import customer_report_file
from fengkong.settings import Locale, get_settings

router = APIRouter(prefix="/customers", tags=["reports"])

Reader = Annotated[Actor, requires(Permission.CUSTOMERS_READ)]


class ReportFormat(StrEnum):
    PDF = "pdf"
    HTML = "html"


class ReportLanguage(StrEnum):
    ZH_CN = "zh-CN"
    EN = "en"


LOCALES: dict[ReportLanguage, Locale] = {ReportLanguage.ZH_CN: "zh_CN", ReportLanguage.EN: "en"}


@router.get(
    "/{customer_id}/report",
    response_class=Response,
    responses={
        200: {
            "content": {"application/pdf": {}, "text/html": {}},
            "description": "The customer credit report.",
        }
    },
)
def get_customer_report(
    customer_id: int,
    session: DbSession,
    actor: Reader,
    format: Annotated[ReportFormat, Query()] = ReportFormat.PDF,
    lang: Annotated[ReportLanguage | None, Query()] = None,
) -> Response:
    """The customer credit report (客户资信报告); 404 for a customer outside the reader's scope."""
    locale = LOCALES[lang] if lang is not None else get_settings().default_locale
    report = customer_report_file(session, actor, customer_id, fmt=format.value, locale=locale)
    return Response(
        report.content,
        media_type=report.media_type,
        headers={"Content-Disposition": f'attachment; filename="{report.filename}"'},
    )
