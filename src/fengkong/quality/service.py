"""Data-quality reports: one customer's file, and the whole portfolio. Read-only.

Both are the same SQL: one row per customer with its key fields present or not, its newest
statement and credit report, and whether it holds unverified outside data (correlated subqueries on
indexed ``customer_id`` columns). The portfolio report aggregates those rows in the database, so a
hundred thousand customers never travel to Python; the customer report reads its one row and adds
where each kind of data came from and when.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Row,
    RowMapping,
    Subquery,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.connectors.models import CreditDataPull, DataKind, PullOutcome
from fengkong.contracts.models import Contract
from fengkong.credit_reports.models import CreditReport
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer, CustomerContact, RelatedParty
from fengkong.customers.status import USCCVerification
from fengkong.financials.models import FinancialStatement
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow
from fengkong.legal_events.models import LegalEvent
from fengkong.orders.models import Order
from fengkong.quality.rules import KEY_FIELDS, Flags, Issue, KeyField, Thresholds
from fengkong.receivables.models import Invoice, Payment

OUTSIDE_SOURCES: tuple[DataSource, ...] = (DataSource.CONNECTOR, DataSource.IMPORT)
"""Data that arrived from another system rather than from a person: it counts as unverified
outside data until matched on the USCC."""
MAX_WORST = 100
_STREAM_BATCH = 2_000
"""Rows fetched at a time when the whole list is streamed (an export)."""


class Category(StrEnum):
    """The kinds of data whose source and freshness the customer page shows."""

    CUSTOMER = "customer"
    FINANCIAL_STATEMENTS = "financial_statements"
    CREDIT_REPORTS = "credit_reports"
    LEGAL_EVENTS = "legal_events"
    RELATED_PARTIES = "related_parties"
    CONTRACTS = "contracts"
    ORDERS = "orders"
    INVOICES = "invoices"
    PAYMENTS = "payments"


_CATEGORY_MODELS: Mapping[Category, Any] = {
    Category.FINANCIAL_STATEMENTS: FinancialStatement,
    Category.CREDIT_REPORTS: CreditReport,
    Category.LEGAL_EVENTS: LegalEvent,
    Category.RELATED_PARTIES: RelatedParty,
    Category.CONTRACTS: Contract,
    Category.ORDERS: Order,
    Category.INVOICES: Invoice,
    Category.PAYMENTS: Payment,
}
_VERIFIABLE = (CreditReport, LegalEvent, RelatedParty)


# -- the per-customer row, in SQL ------------------------------------------------------------


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _filled(column: Any) -> ColumnElement[bool]:
    return func.coalesce(func.trim(column), "") != ""


def _unverified_outside(model: Any) -> ColumnElement[bool]:
    return (
        exists()
        .where(
            model.customer_id == Customer.id,
            model.archived_at.is_(None),
            model.verified == false(),
            model.source.in_(OUTSIDE_SOURCES),
        )
        .correlate(Customer)
    )


def _customer_rows(*, customer_id: int | None = None) -> CTE:
    """One row per customer: each key field as 1 (present) or 0, the newest statement's period
    end and credit report's date, and the outside-data flag. The portfolio is every customer not
    archived; one customer asked for by id is reported archived or not.

    A materialised CTE: the rules below read the newest dates several times, and a planner that
    inlined the correlated subqueries would run them once per mention (SQLite did: 3× slower)."""
    latest_statement = (
        select(func.max(FinancialStatement.period_end))
        .where(
            FinancialStatement.customer_id == Customer.id,
            FinancialStatement.archived_at.is_(None),
        )
        .correlate(Customer)
        .scalar_subquery()
    )
    latest_report = (
        select(func.max(CreditReport.report_date))
        .where(CreditReport.customer_id == Customer.id, CreditReport.archived_at.is_(None))
        .correlate(Customer)
        .scalar_subquery()
    )
    has_contact = exists().where(CustomerContact.customer_id == Customer.id).correlate(Customer)
    statement = select(
        Customer.id.label("customer_id"),
        Customer.name.label("name"),
        Customer.uscc.label("uscc"),
        _flag(Customer.uscc_verification == USCCVerification.VERIFIED).label("uscc_verified"),
        _flag(Customer.uscc_verification == USCCVerification.MISMATCH).label("uscc_mismatch"),
        _flag(_filled(Customer.name)).label("has_name"),
        _flag(_filled(Customer.industry_code)).label("has_industry"),
        _flag(_filled(Customer.region_code)).label("has_region"),
        _flag(Customer.registered_capital_minor.is_not(None)).label("has_registered_capital"),
        _flag(Customer.established_on.is_not(None)).label("has_established_on"),
        _flag(_filled(Customer.legal_representative)).label("has_legal_representative"),
        _flag(has_contact).label("has_contact"),
        latest_statement.label("latest_statement"),
        latest_report.label("latest_report"),
        _flag(or_(*(_unverified_outside(model) for model in _VERIFIABLE))).label(
            "unverified_outside"
        ),
    )
    if customer_id is None:
        statement = statement.where(Customer.archived_at.is_(None))
    else:
        statement = statement.where(Customer.id == customer_id)
    return statement.cte("customer_rows").prefix_with("MATERIALIZED")


_FIELD_COLUMNS: Mapping[KeyField, str] = {
    KeyField.USCC_VERIFIED: "uscc_verified",
    KeyField.NAME: "has_name",
    KeyField.INDUSTRY: "has_industry",
    KeyField.REGION: "has_region",
    KeyField.REGISTERED_CAPITAL: "has_registered_capital",
    KeyField.ESTABLISHED_ON: "has_established_on",
    KeyField.LEGAL_REPRESENTATIVE: "has_legal_representative",
    KeyField.CONTACT: "has_contact",
    KeyField.FINANCIAL_STATEMENT: "has_financial_statement",
    KeyField.CREDIT_REPORT: "has_credit_report",
}


def _flags(thresholds: Thresholds, today: date, *, customer_id: int | None = None) -> Subquery:
    """The customer rows with the rules applied: present fields, staleness, points and issues."""
    rows = _customer_rows(customer_id=customer_id)
    statement_cutoff = literal(
        thresholds.statement_cutoff(today), FinancialStatement.period_end.type
    )
    report_cutoff = literal(thresholds.report_cutoff(today), CreditReport.report_date.type)
    latest_statement, latest_report = rows.c.latest_statement, rows.c.latest_report
    has_statement = _flag(latest_statement.is_not(None))
    has_report = _flag(latest_report.is_not(None))
    stale_statement = _flag(
        and_(latest_statement.is_not(None), latest_statement < statement_cutoff)
    )
    stale_report = _flag(and_(latest_report.is_not(None), latest_report < report_cutoff))
    points = (
        rows.c.uscc_verified
        + rows.c.has_name
        + rows.c.has_industry
        + rows.c.has_region
        + rows.c.has_registered_capital
        + rows.c.has_established_on
        + rows.c.has_legal_representative
        + rows.c.has_contact
        + has_statement
        + has_report
    )
    issues = (len(KEY_FIELDS) - points) + stale_statement + stale_report + rows.c.unverified_outside
    return select(
        *rows.c,
        has_statement.label("has_financial_statement"),
        has_report.label("has_credit_report"),
        stale_statement.label("stale_statement"),
        stale_report.label("stale_report"),
        points.label("points"),
        issues.label("issue_count"),
    ).subquery("customer_flags")


def _to_flags(values: RowMapping) -> Flags:
    return Flags(
        complete=frozenset(field for field, column in _FIELD_COLUMNS.items() if values[column]),
        uscc_mismatch=bool(values["uscc_mismatch"]),
        stale_statement=bool(values["stale_statement"]),
        stale_report=bool(values["stale_report"]),
        unverified_outside_data=bool(values["unverified_outside"]),
    )


# -- one customer ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Staleness:
    latest: date | None
    cutoff: date
    months: int
    stale: bool


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a kind of data last came from: the newest record's provenance."""

    category: Category
    records: int
    source: DataSource | None
    reference: str | None
    sourced_at: datetime | None
    age_days: int | None
    verified: int | None
    """Records matched on the USCC (``None`` for kinds that are not matched to one)."""
    unverified: int | None
    """Unverified outside records: from a connector or an import, not matched on the USCC."""


@dataclass(frozen=True, slots=True)
class LatestPull:
    kind: DataKind
    provider: str
    outcome: PullOutcome
    requested_at: datetime
    cost: Money | None


@dataclass(frozen=True, slots=True)
class CustomerQuality:
    customer_id: int
    name: str
    as_of: date
    flags: Flags
    statement: Staleness
    report: Staleness
    uscc_verification: USCCVerification
    uscc_verified_at: datetime | None
    uscc_verification_note: str | None
    sources: tuple[SourceInfo, ...]
    pulls: tuple[LatestPull, ...]

    @property
    def score(self) -> float:
        return self.flags.score

    @property
    def complete(self) -> tuple[KeyField, ...]:
        return tuple(field for field in KEY_FIELDS if field in self.flags.complete)

    @property
    def missing(self) -> tuple[KeyField, ...]:
        return self.flags.missing

    @property
    def issues(self) -> tuple[Issue, ...]:
        return self.flags.issues


def customer_quality(
    session: Session,
    actor: Actor,
    customer_id: int,
    *,
    today: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, safe as a default
) -> CustomerQuality:
    """The quality of one customer's file on ``today`` (the business date)."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    customer = customers_service.get_customer(session, actor, customer_id)
    query = select(_flags(thresholds, today, customer_id=customer.id))
    values = session.execute(query).one()._mapping
    now = utcnow()
    return CustomerQuality(
        customer_id=customer.id,
        name=customer.name,
        as_of=today,
        flags=_to_flags(values),
        statement=Staleness(
            latest=values["latest_statement"],
            cutoff=thresholds.statement_cutoff(today),
            months=thresholds.statement_stale_months,
            stale=bool(values["stale_statement"]),
        ),
        report=Staleness(
            latest=values["latest_report"],
            cutoff=thresholds.report_cutoff(today),
            months=thresholds.report_stale_months,
            stale=bool(values["stale_report"]),
        ),
        uscc_verification=customer.uscc_verification,
        uscc_verified_at=customer.uscc_verified_at,
        uscc_verification_note=customer.uscc_verification_note,
        sources=(_customer_source(customer, now), *_sources(session, customer.id, now)),
        pulls=_latest_pulls(session, customer.id),
    )


def _customer_source(customer: Customer, now: datetime) -> SourceInfo:
    return SourceInfo(
        category=Category.CUSTOMER,
        records=1,
        source=customer.source,
        reference=customer.source_ref,
        sourced_at=customer.sourced_at,
        age_days=(now - customer.sourced_at).days,
        verified=None,
        unverified=None,
    )


def _sources(session: Session, customer_id: int, now: datetime) -> list[SourceInfo]:
    """Per kind of data, the newest record's provenance plus counts, one indexed query each
    (window aggregates over the customer's rows, so the newest row carries the totals)."""
    sources = []
    for category, model in _CATEGORY_MODELS.items():
        verifiable = model in _VERIFIABLE
        counts = (
            (
                func.sum(_flag(model.verified == true())).over(),
                func.sum(
                    _flag(and_(model.verified == false(), model.source.in_(OUTSIDE_SOURCES)))
                ).over(),
            )
            if verifiable
            else (literal(None), literal(None))
        )
        row = session.execute(
            select(model.source, model.source_ref, model.sourced_at, func.count().over(), *counts)
            .where(model.customer_id == customer_id, model.archived_at.is_(None))
            .order_by(model.sourced_at.desc(), model.id.desc())
            .limit(1)
        ).one_or_none()
        if row is None:
            none_yet = 0 if verifiable else None
            sources.append(SourceInfo(category, 0, None, None, None, None, none_yet, none_yet))
            continue
        source, reference, sourced_at, records, verified, unverified = row
        sources.append(
            SourceInfo(
                category=category,
                records=int(records),
                source=source,
                reference=reference,
                sourced_at=sourced_at,
                age_days=(now - sourced_at).days,
                verified=int(verified) if verifiable else None,
                unverified=int(unverified) if verifiable else None,
            )
        )
    return sources


def _latest_pulls(session: Session, customer_id: int) -> tuple[LatestPull, ...]:
    pulls = []
    for kind in DataKind:
        pull = session.scalars(
            select(CreditDataPull)
            .where(CreditDataPull.customer_id == customer_id, CreditDataPull.kind == kind)
            .order_by(CreditDataPull.requested_at.desc(), CreditDataPull.id.desc())
            .limit(1)
        ).one_or_none()
        if pull is not None:
            pulls.append(
                LatestPull(kind, pull.provider, pull.outcome, pull.requested_at, pull.cost)
            )
    return tuple(pulls)


# -- the portfolio ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueCount:
    issue: Issue
    customers: int
    share: float


@dataclass(frozen=True, slots=True)
class CustomerScore:
    customer_id: int
    name: str
    uscc: str
    score: float
    issues: tuple[Issue, ...]


@dataclass(frozen=True, slots=True)
class PortfolioQuality:
    as_of: date
    thresholds: Thresholds
    customers: int
    average_score: float
    complete_files: int
    """Customers with every key field present."""
    issues: tuple[IssueCount, ...]
    worst: tuple[CustomerScore, ...]


def portfolio_quality(
    session: Session,
    actor: Actor,
    *,
    today: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, safe as a default
    worst: int = 20,
) -> PortfolioQuality:
    """Counts and shares of each issue over all customers not archived, and the ``worst``
    customers (lowest completeness, then most issues), in one query."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    _without_jit(session)
    flags = _flags(thresholds, today)
    c = flags.c
    issue_sums: dict[Issue, ColumnElement[Any]] = {
        Issue.MISSING_NAME: 1 - c.has_name,
        Issue.MISSING_INDUSTRY: 1 - c.has_industry,
        Issue.MISSING_REGION: 1 - c.has_region,
        Issue.MISSING_REGISTERED_CAPITAL: 1 - c.has_registered_capital,
        Issue.MISSING_ESTABLISHED_ON: 1 - c.has_established_on,
        Issue.MISSING_LEGAL_REPRESENTATIVE: 1 - c.has_legal_representative,
        Issue.MISSING_CONTACT: 1 - c.has_contact,
        Issue.MISSING_FINANCIAL_STATEMENT: 1 - c.has_financial_statement,
        Issue.MISSING_CREDIT_REPORT: 1 - c.has_credit_report,
        Issue.USCC_UNVERIFIED: 1 - c.uscc_verified - c.uscc_mismatch,
        Issue.USCC_MISMATCH: c.uscc_mismatch,
        Issue.STALE_STATEMENT: c.stale_statement,
        Issue.STALE_REPORT: c.stale_report,
        Issue.UNVERIFIED_OUTSIDE_DATA: c.unverified_outside,
    }
    # One pass: the totals are window aggregates over every customer, carried by each of the
    # worst rows (at least one row is fetched, so an empty worst list still brings the totals).
    totals = [
        func.count().over(),
        func.sum(c.points).over(),
        func.sum(_flag(c.points == len(KEY_FIELDS))).over(),
        *(func.sum(expression).over() for expression in issue_sums.values()),
    ]
    shown = max(0, min(worst, MAX_WORST))
    rows = session.execute(
        select(flags, *totals)
        .order_by(c.points.asc(), c.issue_count.desc(), c.customer_id.asc())
        .limit(max(shown, 1))
    ).all()
    width = len(totals)
    customers, points, complete_files, *counts = (
        (int(value) for value in rows[0][-width:]) if rows else [0] * (3 + len(issue_sums))
    )
    worst_rows = rows[:shown]
    return PortfolioQuality(
        as_of=today,
        thresholds=thresholds,
        customers=customers,
        average_score=points / (customers * len(KEY_FIELDS)) if customers else 0.0,
        complete_files=complete_files,
        issues=tuple(
            IssueCount(issue, count, count / customers if customers else 0.0)
            for issue, count in zip(issue_sums, counts, strict=True)
        ),
        worst=tuple(_scored(row) for row in worst_rows),
    )


def customer_scores(
    session: Session,
    actor: Actor,
    *,
    today: date,
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, safe as a default
    limit: int,
) -> Iterator[CustomerScore]:
    """Every customer not archived with its completeness and issues, the files that need work
    most first (the portfolio page's order), streamed for an export of the whole list."""
    auth_service.ensure_permission(actor, Permission.CUSTOMERS_READ)
    _without_jit(session)
    flags = _flags(thresholds, today)
    c = flags.c
    rows = session.execute(
        select(flags)
        .order_by(c.points.asc(), c.issue_count.desc(), c.customer_id.asc())
        .limit(limit)
        .execution_options(yield_per=_STREAM_BATCH)
    )
    for row in rows:
        yield _scored(row)


def _without_jit(session: Session) -> None:
    """PostgreSQL's JIT compiles this query for longer (1.5 s on 10,000 customers) than it runs
    (0.25 s): the per-customer subqueries make its cost estimate look huge. Off for the rest of
    this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))


def _scored(row: Row[Any]) -> CustomerScore:
    values = row._mapping
    flags = _to_flags(values)
    return CustomerScore(
        customer_id=values["customer_id"],
        name=values["name"],
        uscc=values["uscc"],
        score=flags.score,
        issues=flags.issues,
    )


__all__: Sequence[str] = (
    "Category",
    "CustomerQuality",
    "CustomerScore",
    "IssueCount",
    "LatestPull",
    "PortfolioQuality",
    "SourceInfo",
    "Staleness",
    "customer_quality",
    "customer_scores",
    "portfolio_quality",
)
