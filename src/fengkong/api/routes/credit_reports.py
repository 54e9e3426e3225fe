from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from fengkong.api.deps import DbSession, requires
from fengkong.api.etags import ExpectedVersion, tag
from fengkong.api.idempotency import IdempotentRoute, writes
from fengkong.api.params import PageParams, page_fields
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.credit_reports import service
from fengkong.credit_reports.schemas import (
    CreditReportCreate,
    CreditReportRead,
    CreditReportUpdate,
)
from fengkong.kit.schemas import PageOut

router = APIRouter(prefix="/credit-reports", tags=["credit reports"], route_class=IdempotentRoute)

Reader = Annotated[Actor, requires(Permission.CREDIT_REPORTS_READ)]
Writer = Annotated[Actor, writes(Permission.CREDIT_REPORTS_WRITE)]


class CreditReportPage(PageOut):
    items: list[CreditReportRead]


@router.get("", response_model=CreditReportPage)
def list_credit_reports(
    session: DbSession,
    actor: Reader,
    page: PageParams,
    customer_id: int | None = None,
    agency: Annotated[str | None, Query(max_length=100)] = None,
    reported_from: date | None = None,
    reported_to: date | None = None,
    verified: bool | None = None,
    include_archived: bool = False,
    sort: service.CreditReportSort = service.CreditReportSort.REPORT_DATE_DESC,
) -> CreditReportPage:
    result = service.list_credit_reports(
        session,
        actor,
        criteria=service.CreditReportFilter(
            customer_id=customer_id,
            agency=agency,
            reported_from=reported_from,
            reported_to=reported_to,
            verified=verified,
            include_archived=include_archived,
        ),
        sort=sort,
        page=page,
    )
    return CreditReportPage(
        items=[CreditReportRead.of(report) for report in result.items], **page_fields(result)
    )


@router.get("/{credit_report_id}", response_model=CreditReportRead)
def get_credit_report(
    credit_report_id: int, session: DbSession, response: Response, actor: Reader
) -> CreditReportRead:
    report = service.get_credit_report(session, actor, credit_report_id=credit_report_id)
    tag(response, report.version)
    return CreditReportRead.of(report)


@router.post("", response_model=CreditReportRead, status_code=status.HTTP_201_CREATED)
def create_credit_report(
    data: CreditReportCreate, session: DbSession, response: Response, actor: Writer
) -> CreditReportRead:
    report = service.create_credit_report(session, actor, data=data)
    tag(response, report.version, location=f"/api/v1/credit-reports/{report.id}")
    return CreditReportRead.of(report)


@router.patch("/{credit_report_id}", response_model=CreditReportRead)
def update_credit_report(
    credit_report_id: int,
    data: CreditReportUpdate,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CreditReportRead:
    report = service.update_credit_report(
        session, actor, credit_report_id=credit_report_id, data=data, expected_version=expected
    )
    tag(response, report.version)
    return CreditReportRead.of(report)


@router.post("/{credit_report_id}/archive", response_model=CreditReportRead)
def archive_credit_report(
    credit_report_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CreditReportRead:
    report = service.archive_credit_report(
        session, actor, credit_report_id=credit_report_id, expected_version=expected
    )
    tag(response, report.version)
    return CreditReportRead.of(report)


@router.post("/{credit_report_id}/restore", response_model=CreditReportRead)
def restore_credit_report(
    credit_report_id: int,
    session: DbSession,
    response: Response,
    expected: ExpectedVersion,
    actor: Writer,
) -> CreditReportRead:
    report = service.restore_credit_report(
        session, actor, credit_report_id=credit_report_id, expected_version=expected
    )
    tag(response, report.version)
    return CreditReportRead.of(report)
