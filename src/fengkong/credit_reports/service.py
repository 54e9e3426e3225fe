"""Credit report use cases: agencies' ratings and scores of a customer, one per agency and date.
Callers own the transaction; nothing here commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.credit_reports.models import CreditReport
from fengkong.credit_reports.schemas import CreditReportCreate, CreditReportUpdate
from fengkong.customers.service import resolve_customer
from fengkong.errors import Conflict, NotFound, ValidationFailed
from fengkong.kit.pagination import Page, PageRequest, paginate
from fengkong.records import archive, check_version, ensure_not_archived, field_error, restore


class CreditReportNotFound(NotFound):
    code = "credit_report_not_found"


class DuplicateCreditReport(Conflict):
    code = "duplicate_credit_report"


class CreditReportSort(StrEnum):
    REPORT_DATE = "report_date"
    REPORT_DATE_DESC = "-report_date"
    AGENCY = "agency"


_SORT_COLUMNS: dict[CreditReportSort, ColumnElement[Any]] = {
    CreditReportSort.REPORT_DATE: CreditReport.report_date.asc(),
    CreditReportSort.REPORT_DATE_DESC: CreditReport.report_date.desc(),
    CreditReportSort.AGENCY: CreditReport.agency.asc(),
}


@dataclass(frozen=True, slots=True)
class CreditReportFilter:
    customer_id: int | None = None
    agency: str | None = None
    reported_from: date | None = None
    reported_to: date | None = None
    verified: bool | None = None
    include_archived: bool = False


def _filtered(criteria: CreditReportFilter) -> Select[CreditReport]:
    statement = select(CreditReport)
    if criteria.customer_id is not None:
        statement = statement.where(CreditReport.customer_id == criteria.customer_id)
    if criteria.agency:
        statement = statement.where(CreditReport.agency == criteria.agency.strip())
    if criteria.reported_from is not None:
        statement = statement.where(CreditReport.report_date >= criteria.reported_from)
    if criteria.reported_to is not None:
        statement = statement.where(CreditReport.report_date <= criteria.reported_to)
    if criteria.verified is not None:
        statement = statement.where(CreditReport.verified.is_(criteria.verified))
    if not criteria.include_archived:
        statement = statement.where(CreditReport.archived_at.is_(None))
    return statement


def list_credit_reports(
    session: Session,
    actor: Actor,
    *,
    criteria: CreditReportFilter = CreditReportFilter(),
    sort: CreditReportSort = CreditReportSort.REPORT_DATE_DESC,
    page: PageRequest = PageRequest(),  # noqa: B008 - frozen, safe as a default
) -> Page[CreditReport]:
    statement = _filtered(criteria).order_by(_SORT_COLUMNS[sort], CreditReport.id.asc())
    return paginate(session, statement, page)


def find_credit_report(session: Session, *, credit_report_id: int) -> CreditReport | None:
    return session.get(CreditReport, credit_report_id)


def get_credit_report(session: Session, actor: Actor, *, credit_report_id: int) -> CreditReport:
    report = find_credit_report(session, credit_report_id=credit_report_id)
    if report is None:
        raise CreditReportNotFound(f"no credit report with id {credit_report_id}")
    return report


def _ensure_unique(
    session: Session,
    *,
    customer_id: int,
    agency: str,
    report_date: date,
    own_id: int | None = None,
) -> None:
    statement = select(CreditReport.id).where(
        CreditReport.customer_id == customer_id,
        CreditReport.agency == agency,
        CreditReport.report_date == report_date,
    )
    if own_id is not None:
        statement = statement.where(CreditReport.id != own_id)
    existing = session.scalar(statement)
    if existing is not None:
        message = f"already recorded as credit report {existing}"
        raise DuplicateCreditReport(
            f"customer {customer_id} already has a report by {agency} dated {report_date} "
            f"(credit report {existing})",
            details=[
                field_error("customer_id", customer_id, message),
                field_error("agency", agency, message),
                field_error("report_date", report_date, message),
            ],
        )


def _check_dates(report_date: date, valid_until: date | None) -> None:
    if valid_until is not None and valid_until < report_date:
        raise ValidationFailed(
            "a report cannot expire before its date",
            details=[field_error("valid_until", valid_until, f"before report_date {report_date}")],
        )


def create_credit_report(
    session: Session, actor: Actor, *, data: CreditReportCreate
) -> CreditReport:
    customer = resolve_customer(
        session, customer_id=data.customer_id, customer_uscc=data.customer_uscc
    )
    _check_dates(data.report_date, data.valid_until)
    _ensure_unique(
        session, customer_id=customer.id, agency=data.agency, report_date=data.report_date
    )
    report = CreditReport(
        customer_id=customer.id,
        **data.model_dump(exclude={"customer_id", "customer_uscc"}),
    )
    session.add(report)
    session.flush()
    return report


def update_credit_report(
    session: Session,
    actor: Actor,
    *,
    credit_report_id: int,
    data: CreditReportUpdate,
    expected_version: int | None = None,
) -> CreditReport:
    report = get_credit_report(session, actor, credit_report_id=credit_report_id)
    label = f"credit report {credit_report_id}"
    check_version(report, expected_version, label=label)
    ensure_not_archived(report, label=label)
    changes = data.model_dump(exclude_unset=True)
    report_date = changes.get("report_date", report.report_date)
    _check_dates(report_date, changes.get("valid_until", report.valid_until))
    agency = changes.get("agency", report.agency)
    if (agency, report_date) != (report.agency, report.report_date):
        _ensure_unique(
            session,
            customer_id=report.customer_id,
            agency=agency,
            report_date=report_date,
            own_id=report.id,
        )
    for field, value in changes.items():
        setattr(report, field, value)
    session.flush()
    return report


def archive_credit_report(
    session: Session, actor: Actor, *, credit_report_id: int, expected_version: int | None = None
) -> CreditReport:
    report = get_credit_report(session, actor, credit_report_id=credit_report_id)
    check_version(report, expected_version, label=f"credit report {credit_report_id}")
    archive(report)
    session.flush()
    return report


def restore_credit_report(
    session: Session, actor: Actor, *, credit_report_id: int, expected_version: int | None = None
) -> CreditReport:
    report = get_credit_report(session, actor, credit_report_id=credit_report_id)
    check_version(report, expected_version, label=f"credit report {credit_report_id}")
    restore(report)
    session.flush()
    return report
