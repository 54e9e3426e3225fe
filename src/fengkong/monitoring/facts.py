"""Build each customer's ``CustomerFacts`` as known on a date, set-based: one query per source
for all the customers asked (in chunks of ids, or without an id filter for everyone), then
grouped in Python. Read-only.

Sources are read from their tables directly, as ``risk.ledgers`` and ``limits.inputs`` do: the
areas' services answer one record or one page at a time and check permissions per call, while an
evaluation of the whole book needs a handful of set queries. Grades come through
``risk.service.grades_of`` and overdue reviews through ``reviews.service.overdue_by_customer``.
Amounts count CNY records only (invoices, orders, limits, legal
event amounts): other currencies are left out, not converted (a known gap, docs/monitoring.md).
A stream job passes the ledger rows it read once for scoring, the rules and exposure
(``fengkong.ledger_rows``): its customers' invoices, payments, orders, statements, credit reports
and legal events come from those, filtered here as the SQL below would filter them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache
from itertools import chain
from typing import Any

from sqlalchemy import Date, Select, bindparam, or_, select
from sqlalchemy.orm import Session

from fengkong import hot_statements, ledger_rows
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer, RelatedParty
from fengkong.financials.models import FinancialStatement
from fengkong.kit.id_sets import IdSet, IdsParameter, id_sets
from fengkong.kit.plain_rows import flushed_connection, plain_rows
from fengkong.ledger_rows import LedgerRows
from fengkong.legal_events.models import LegalEvent
from fengkong.limits.models import CreditLimit
from fengkong.limits.status import LimitStatus
from fengkong.monitoring.rules import (
    AgencyRating,
    CustomerFacts,
    LegalFact,
    RelatedFact,
    ScorePoint,
)
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.reviews import service as reviews_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import RiskScore

CURRENCY = "CNY"
CHUNK = 1_000
SCORE_LOOKBACK_DAYS = 366
INVOICE_LOOKBACK_DAYS = 400
ORDER_WINDOWS = 7
WINDOW_DAYS = 30
DSO_DAYS = 90
PAYMENT_RECENT_DAYS = 90
PAYMENT_BEFORE_DAYS = 180


def _chunks(session: Session, ids: Sequence[int] | None) -> Iterator[IdSet | None]:
    """``None`` for everyone, else the ids as the dialect reads them (``kit.id_sets``)."""
    if ids is None:
        yield None
        return
    yield from id_sets(session, ids, chunk=CHUNK)


def _rows(
    session: Session,
    statement: Select[*tuple[Any, ...]],
    column: Any,
    ids: Sequence[int] | None,
) -> Iterator[Any]:
    for part in _chunks(session, ids):
        query = statement if part is None else statement.where(part.among(column))
        yield from plain_rows(session, query)


@dataclass(frozen=True, slots=True)
class _Source:
    """Where the rows of the customers asked come from: ``held`` from a stream job's shared
    read (filtered here as the SQL would), ``rest`` by SQL (``None``: everyone)."""

    shared: LedgerRows | None
    held: frozenset[int]
    rest: Sequence[int] | None

    @classmethod
    def of(cls, ids: Sequence[int] | None, shared: LedgerRows | None, as_of: date) -> _Source:
        if ids is None or shared is None or shared.as_of != as_of:
            return cls(None, frozenset(), ids)
        held, rest = shared.split(ids)
        return cls(shared, held, rest)

    def shared_rows(self, table: str) -> Iterable[Any]:
        if self.shared is None:
            return ()
        rows: Sequence[Any] = getattr(self.shared, table)
        return (row for row in rows if row.customer_id in self.held)

    def rows(
        self,
        session: Session,
        table: str,
        keep: Callable[[Any], bool],
        statement: Select[*tuple[Any, ...]],
        column: Any,
    ) -> Iterator[Any]:
        """The shared rows that ``keep`` accepts, then the SQL rows of the rest."""
        held = (row for row in self.shared_rows(table) if keep(row))
        return chain(held, _rows(session, statement, column, self.rest))


Profiles = Mapping[int, tuple[str | None, str | None]]
"""Customer → its industry and region codes."""


def customer_profiles_of(
    session: Session,
    customer_ids: Sequence[int] | None,
    shared: LedgerRows | None = None,
) -> Profiles:
    """The customers to evaluate — those asked that exist and are not archived (all when
    None) — with their profiles: an evaluation needs both, and reads them in one statement
    (none for the customers of ``shared``)."""
    statement = select(Customer.id, Customer.industry_code, Customer.region_code).where(
        Customer.archived_at.is_(None)
    )
    found: dict[int, tuple[str | None, str | None]] = {}
    rest = customer_ids
    if shared is not None and customer_ids is not None:
        held, rest = shared.split(customer_ids)
        for row in shared.customers:
            if row.id in held and row.archived_at is None:
                found[row.id] = (row.industry_code, row.region_code)
    for row in _rows(session, statement, Customer.id, rest):
        found[row.id] = (row.industry_code, row.region_code)
    return found


@dataclass(slots=True)
class _Invoice:
    customer_id: int
    issue_date: date
    due_date: date
    amount: int
    status: InvoiceStatus
    paid: list[tuple[date, int]]


def _invoices(session: Session, source: _Source, as_of: date) -> dict[int, list[_Invoice]]:
    since = as_of - timedelta(days=INVOICE_LOOKBACK_DAYS)
    statement = (
        select(
            Invoice.id,
            Invoice.customer_id,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.amount_minor,
            Invoice.status,
        )
        .where(Invoice.archived_at.is_(None))
        .where(Invoice.currency == CURRENCY)
        .where(Invoice.status != InvoiceStatus.CANCELLED)
        .where(Invoice.issue_date <= as_of)
        .where(or_(Invoice.issue_date > since, Invoice.status == InvoiceStatus.OPEN))
    )

    def kept(row: Any) -> bool:
        return bool(
            row.currency == CURRENCY
            and row.issue_date <= as_of
            and (row.issue_date > since or row.status == InvoiceStatus.OPEN)
        )

    by_id: dict[int, _Invoice] = {}
    grouped: dict[int, list[_Invoice]] = defaultdict(list)
    for row in source.rows(session, "invoices", kept, statement, Invoice.customer_id):
        by_id[row.id] = invoice = _Invoice(
            row.customer_id, row.issue_date, row.due_date, row.amount_minor, row.status, []
        )
        grouped[row.customer_id].append(invoice)
    allocations = (
        select(PaymentAllocation.invoice_id, Payment.paid_on, PaymentAllocation.amount_minor)
        .join(Payment, Payment.id == PaymentAllocation.payment_id)
        .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
        .where(Payment.archived_at.is_(None))
        .where(Payment.paid_on <= as_of)
    )
    if by_id:
        if source.shared is not None:
            for row in source.shared.allocations:
                found = by_id.get(row.invoice_id)
                if (
                    found is not None
                    and found.customer_id in source.held
                    and row.payment_archived_at is None
                    and row.paid_on <= as_of
                ):
                    found.paid.append((row.paid_on, row.amount_minor))
        for row in _rows(session, allocations, Invoice.customer_id, source.rest):
            found = by_id.get(row.invoice_id)
            if found is not None:
                found.paid.append((row.paid_on, row.amount_minor))
    return grouped


@dataclass(frozen=True, slots=True)
class _Ledger:
    days_past_due: int
    overdue: int
    open_receivables: int
    dso_recent: float | None
    dso_before: float | None
    payment_days_recent: float | None
    payment_days_before: float | None


@dataclass(frozen=True, slots=True)
class _Windows:
    """The days that bound ``_ledger``'s windows, for one ``as_of``."""

    quarter_ago: date
    sales_then_start: date
    recent_start: date
    before_start: date


@lru_cache(maxsize=64)
def _windows(as_of: date) -> _Windows:
    """Once a day, not once a customer: a job derives the figures of hundreds of customers."""
    quarter_ago = as_of - timedelta(days=DSO_DAYS)
    recent_start = as_of - timedelta(days=PAYMENT_RECENT_DAYS)
    return _Windows(
        quarter_ago=quarter_ago,
        sales_then_start=quarter_ago - timedelta(days=DSO_DAYS),
        recent_start=recent_start,
        before_start=recent_start - timedelta(days=PAYMENT_BEFORE_DAYS),
    )


def _ledger(invoices: list[_Invoice], as_of: date) -> _Ledger:
    """Every figure in one pass over the invoices and their payments: a job derives them for
    thousands of customers, and a pass a figure (six) cost twice as much.

    An invoice is open on a day by its amount less what was paid by then (never below zero;
    nothing once written off or before it was issued). DSO on a day is what is open then over
    the sales of the 90 days to it, times 90; payment days are the days from issue to payment,
    weighted by the amounts paid in the window."""
    windows = _windows(as_of)
    quarter_ago = windows.quarter_ago
    sales_then_start = windows.sales_then_start
    recent_start = windows.recent_start
    before_start = windows.before_start
    dpd = overdue = receivables = receivables_then = sales = sales_then = 0
    recent_days = recent_paid = before_days = before_paid = 0
    for item in invoices:
        issued = item.issue_date
        paid = paid_then = 0
        for paid_on, amount in item.paid:
            if paid_on <= as_of:
                paid += amount
                if paid_on <= quarter_ago:
                    paid_then += amount
            if recent_start < paid_on <= as_of:
                recent_days += (paid_on - issued).days * amount
                recent_paid += amount
            elif before_start < paid_on <= recent_start:
                before_days += (paid_on - issued).days * amount
                before_paid += amount
        if issued > as_of:
            continue
        if issued > quarter_ago:
            sales += item.amount
        elif issued > sales_then_start:
            sales_then += item.amount
        if item.status is InvoiceStatus.WRITTEN_OFF:
            continue
        open_amount = item.amount - paid
        if open_amount > 0:
            receivables += open_amount
            if item.due_date < as_of:
                overdue += open_amount
                days = (as_of - item.due_date).days
                if days > dpd:
                    dpd = days
        if issued <= quarter_ago and item.amount > paid_then:
            receivables_then += item.amount - paid_then
    return _Ledger(
        days_past_due=dpd,
        overdue=overdue,
        open_receivables=receivables,
        dso_recent=receivables / sales * DSO_DAYS if sales > 0 else None,
        dso_before=receivables_then / sales_then * DSO_DAYS if sales_then > 0 else None,
        payment_days_recent=recent_days / recent_paid if recent_paid > 0 else None,
        payment_days_before=before_days / before_paid if before_paid > 0 else None,
    )


def _orders(
    session: Session, source: _Source, as_of: date
) -> tuple[dict[int, list[list[int]]], dict[int, int]]:
    """Per customer, (count, amount) of each 30-day window back from ``as_of`` (window 0 is the
    last 30 days), and the amount of orders still open or shipped (exposure)."""
    since = as_of - timedelta(days=WINDOW_DAYS * ORDER_WINDOWS)
    statement = (
        select(Order.customer_id, Order.ordered_on, Order.amount_minor, Order.status)
        .where(Order.archived_at.is_(None))
        .where(Order.currency == CURRENCY)
        .where(Order.status != OrderStatus.CANCELLED)
        .where(Order.ordered_on <= as_of)
        .where(
            or_(
                Order.ordered_on > since,
                Order.status.in_([OrderStatus.OPEN, OrderStatus.SHIPPED]),
            )
        )
    )
    windows: dict[int, list[list[int]]] = defaultdict(
        lambda: [[0, 0] for _ in range(ORDER_WINDOWS)]
    )
    open_orders: dict[int, int] = defaultdict(int)

    def kept(row: Any) -> bool:
        return bool(
            row.currency == CURRENCY
            and row.ordered_on <= as_of
            and (row.ordered_on > since or row.status in (OrderStatus.OPEN, OrderStatus.SHIPPED))
        )

    for row in source.rows(session, "orders", kept, statement, Order.customer_id):
        if row.status in (OrderStatus.OPEN, OrderStatus.SHIPPED):
            open_orders[row.customer_id] += row.amount_minor
        index = (as_of - row.ordered_on).days // WINDOW_DAYS
        if 0 <= index < ORDER_WINDOWS and row.ordered_on > since:
            window = windows[row.customer_id][index]
            window[0] += 1
            window[1] += row.amount_minor
    return windows, open_orders


def _limits(session: Session, ids: Sequence[int] | None, as_of: date) -> dict[int, int]:
    statement = (
        select(CreditLimit.customer_id, CreditLimit.amount_minor)
        .where(CreditLimit.status == LimitStatus.ACTIVE)
        .where(CreditLimit.currency == CURRENCY)
        .where(CreditLimit.valid_from <= as_of)
        .where(or_(CreditLimit.valid_until.is_(None), CreditLimit.valid_until >= as_of))
    )
    found: dict[int, int] = defaultdict(int)
    for row in _rows(session, statement, CreditLimit.customer_id, ids):
        found[row.customer_id] += row.amount_minor
    return found


def _latest_first(row: Any) -> tuple[int, int, int]:
    return (row.customer_id, -row.period_end.toordinal(), -row.period_months)


def _statements(
    session: Session, source: _Source, as_of: date
) -> dict[int, tuple[date, float | None]]:
    fs = FinancialStatement
    statement = (
        select(fs.customer_id, fs.period_end, fs.total_liabilities_minor, fs.total_assets_minor)
        .where(fs.archived_at.is_(None))
        .where(fs.published_on <= as_of)
        .order_by(fs.customer_id, fs.period_end.desc(), fs.period_months.desc())
    )
    found: dict[int, tuple[date, float | None]] = {}
    held = sorted(source.shared_rows("statements"), key=_latest_first)
    for row in chain(held, _rows(session, statement, fs.customer_id, source.rest)):
        if row.customer_id in found:
            continue
        ratio = None
        if row.total_assets_minor and row.total_liabilities_minor is not None:
            ratio = row.total_liabilities_minor / row.total_assets_minor
        found[row.customer_id] = (row.period_end, ratio)
    return found


def _scores(
    session: Session, ids: Sequence[int] | None, as_of: date
) -> dict[int, list[ScorePoint]]:
    """The score history of the customers ``ids`` (everyone's when ``None``). For ids, a
    statement built once a process, run through ``hot_statements`` (a stream job's read)."""
    since = as_of - timedelta(days=SCORE_LOOKBACK_DAYS)
    rows: Iterable[Any]
    if ids is None:
        rows = flushed_connection(session).execute(
            _scores_statement(None), {"as_of": as_of, "since": since}
        )
    else:
        rows = hot_statements.records_by_ids(
            session, _scores_statement, ids, {"as_of": as_of, "since": since}, chunk=CHUNK
        )
    found: dict[int, list[ScorePoint]] = defaultdict(list)
    for row in rows:
        found[row.customer_id].append(ScorePoint(row.as_of, float(row.score), row.grade))
    return found


@cache
def _scores_statement(ids: IdsParameter | None) -> Select[int, date, float, str]:
    statement = (
        select(RiskScore.customer_id, RiskScore.as_of, RiskScore.score, RiskScore.grade)
        .where(RiskScore.as_of <= bindparam("as_of", type_=Date()))
        .where(RiskScore.as_of > bindparam("since", type_=Date()))
        .order_by(RiskScore.customer_id, RiskScore.id)
    )
    return statement if ids is None else statement.where(ids.among(RiskScore.customer_id))


def _reports(session: Session, source: _Source, as_of: date) -> dict[int, list[AgencyRating]]:
    statement = ledger_rows.credit_reports_as_of(as_of)
    found: dict[int, list[AgencyRating]] = defaultdict(list)
    rows = chain(
        source.shared_rows("credit_reports"),
        _rows(session, statement, CreditReport.customer_id, source.rest),
    )
    for row in rows:
        found[row.customer_id].append(AgencyRating(row.agency, row.report_date, row.rating))
    return found


def _legal(session: Session, source: _Source, as_of: date) -> dict[int, list[LegalFact]]:
    statement = ledger_rows.legal_events_as_of(as_of)
    found: dict[int, list[LegalFact]] = defaultdict(list)
    rows = chain(
        source.shared_rows("legal_events"),
        _rows(session, statement, LegalEvent.customer_id, source.rest),
    )
    for row in rows:
        amount = row.amount_minor if row.currency in (None, CURRENCY) else None
        found[row.customer_id].append(
            LegalFact(row.id, str(row.event_type), row.occurred_on, amount, row.resolved_on)
        )
    return found


def _related(session: Session, ids: Sequence[int] | None) -> dict[int, list[tuple[int, str]]]:
    statement = select(
        RelatedParty.customer_id, RelatedParty.related_customer_id, RelatedParty.relation_type
    ).where(RelatedParty.archived_at.is_(None))
    found: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for part in _chunks(session, ids):
        # Either side may be asked: one statement with both indexed columns, not one each.
        query = (
            statement
            if part is None
            else statement.where(
                or_(
                    part.among(RelatedParty.customer_id),
                    part.among(RelatedParty.related_customer_id),
                )
            )
        )
        for row in plain_rows(session, query):
            found[row.customer_id].add((row.related_customer_id, str(row.relation_type)))
            found[row.related_customer_id].add((row.customer_id, str(row.relation_type)))
    return {cid: sorted(parties) for cid, parties in found.items()}


def _profiles(session: Session, ids: Sequence[int]) -> dict[int, tuple[str | None, str | None]]:
    statement = select(Customer.id, Customer.industry_code, Customer.region_code)
    return {
        row.id: (row.industry_code, row.region_code)
        for row in _rows(session, statement, Customer.id, ids)
    }


def _grades(
    session: Session, customer_ids: Sequence[int], ratings: Mapping[int, risk_service.Rating]
) -> dict[int, str]:
    """Current grades: those of ``ratings`` as they are, the rest read."""
    found = {cid: ratings[cid].grade for cid in customer_ids if cid in ratings}
    found.update(
        risk_service.grades_of(session, [cid for cid in customer_ids if cid not in ratings])
    )
    return found


def _reviews_overdue(session: Session, ids: Sequence[int] | None, as_of: date) -> dict[int, date]:
    found: dict[int, date] = {}
    for part in _chunks(session, ids):
        found.update(
            reviews_service.overdue_by_customer(
                session, today=as_of, customer_ids=None if part is None else part.ids
            )
        )
    return found


def load_facts(
    session: Session,
    customer_ids: Sequence[int],
    *,
    as_of: date,
    every: bool = False,
    profiles: Profiles | None = None,
    shared: LedgerRows | None = None,
    ratings: Mapping[int, risk_service.Rating] | None = None,
) -> dict[int, CustomerFacts]:
    """The facts of ``customer_ids`` on ``as_of``; ``every`` reads without id filters (faster
    when the ids are the whole book); ``profiles`` when the caller has read them already;
    ``shared``, a stream job's read of the ledgers, for the rows of the customers it holds;
    ``ratings``, the grades of the customers a stream job has just scored."""
    ids = sorted(customer_ids)
    if not ids:
        return {}
    filter_ids: Sequence[int] | None = None if every else ids
    related = _related(session, filter_ids)
    party_ids = sorted({party for cid in ids for party, _ in related.get(cid, [])} - set(ids))
    ledger_ids: Sequence[int] | None = None if every else sorted({*ids, *party_ids})
    invoices = _invoices(session, _Source.of(ledger_ids, shared, as_of), as_of)
    ledgers = {cid: _ledger(items, as_of) for cid, items in invoices.items()}
    grades = _grades(session, sorted({*ids, *party_ids}), ratings or {})
    own = _Source.of(filter_ids, shared, as_of)
    windows, open_orders = _orders(session, own, as_of)
    limits = _limits(session, filter_ids, as_of)
    statements = _statements(session, own, as_of)
    scores = _scores(session, filter_ids, as_of)
    reports = _reports(session, own, as_of)
    legal = _legal(session, own, as_of)
    if profiles is None:
        profiles = _profiles(session, ids)
    reviews_due = _reviews_overdue(session, filter_ids, as_of)
    empty = _Ledger(0, 0, 0, None, None, None, None)
    facts: dict[int, CustomerFacts] = {}
    for cid in ids:
        ledger = ledgers.get(cid, empty)
        limit = limits.get(cid, 0)
        exposure = ledger.open_receivables + open_orders.get(cid, 0)
        statement = statements.get(cid)
        window = windows.get(cid)
        industry, region = profiles.get(cid, (None, None))
        facts[cid] = CustomerFacts(
            customer_id=cid,
            as_of=as_of,
            grade=grades.get(cid),
            industry_code=industry,
            region_code=region,
            days_past_due=ledger.days_past_due,
            overdue_amount=ledger.overdue,
            debt_to_asset=statement[1] if statement is not None else None,
            limit_utilisation=exposure / limit if limit > 0 else None,
            scores=tuple(scores.get(cid, [])),
            agency_ratings=tuple(reports.get(cid, [])),
            orders_last_30=(window[0][0], window[0][1]) if window else (0, 0),
            orders_baseline=tuple((w[0], w[1]) for w in window[1:]) if window else ((0, 0),) * 6,
            dso_recent=ledger.dso_recent,
            dso_before=ledger.dso_before,
            payment_days_recent=ledger.payment_days_recent,
            payment_days_before=ledger.payment_days_before,
            legal_events=tuple(legal.get(cid, [])),
            statement_period_end=statement[0] if statement is not None else None,
            review_due_on=reviews_due.get(cid),
            related=tuple(
                RelatedFact(
                    party,
                    relation,
                    grades.get(party),
                    ledgers.get(party, empty).days_past_due,
                )
                for party, relation in related.get(cid, [])
            ),
        )
    return facts
