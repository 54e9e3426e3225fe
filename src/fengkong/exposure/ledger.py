"""The SQL reads behind exposure: aggregates, never ORM objects, so a credit check reads one
customer in two small queries and the portfolio reads everyone in a handful of set-based ones.

Open receivables are open invoices' outstanding balances today (not archived, not cancelled or
written off); open orders are orders open or shipped (an order stops counting once its status
says invoiced, when its invoice counts instead); unapplied payments are payments' amounts less
their allocations. Ageing is measured as of the date asked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    Float,
    Integer,
    Numeric,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from fengkong import hot_statements
from fengkong.contracts.models import Contract
from fengkong.contracts.status import ContractStatus
from fengkong.customers.models import Customer, RelatedParty
from fengkong.exposure.ageing import (
    BUCKETS,
    DPD_1_30,
    DPD_31_60,
    DPD_61_90,
    DPD_90_PLUS,
    NOT_DUE,
    bucket_of,
    days_past_due,
)
from fengkong.exposure.models import ExposureSnapshot, FxRate, InvoiceDispute, Mitigant
from fengkong.exposure.status import DisputeStatus, MitigantKind, MitigantStatus
from fengkong.kit.id_sets import IdsParameter, among
from fengkong.kit.plain_rows import plain_rows
from fengkong.ledger_rows import CHUNK, LedgerRows
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk.models import CustomerRating

ORDERS = "orders"
UNAPPLIED = "unapplied"
OPEN_ITEMS = "open_items"


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    currency: str
    due_date: date
    outstanding: int
    disputed: int


@dataclass(frozen=True, slots=True)
class AmountRow:
    kind: str
    customer_id: int
    currency: str
    amount: int


@dataclass(frozen=True, slots=True)
class MitigantRow:
    mitigant_id: int
    customer_id: int
    kind: MitigantKind
    currency: str
    amount: int
    haircut: float


@dataclass(frozen=True, slots=True)
class BucketRow:
    customer_id: int
    currency: str
    bucket: str
    outstanding: int
    disputed: int
    oldest_due: date | None


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer_id: int
    industry_code: str | None
    region_code: str | None
    grade: str | None
    pd: float | None


def _open_invoice(*extra: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    return [
        Invoice.status == InvoiceStatus.OPEN,
        Invoice.outstanding_minor > 0,
        Invoice.archived_at.is_(None),
        *extra,
    ]


def _disputed_per_invoice(*where: ColumnElement[bool]) -> Select[int, int]:
    return (
        select(
            InvoiceDispute.invoice_id.label("invoice_id"),
            func.sum(InvoiceDispute.amount_minor).label("disputed"),
        )
        .where(InvoiceDispute.status == DisputeStatus.OPEN, *where)
        .group_by(InvoiceDispute.invoice_id)
    )


def _capped(disputed: ColumnElement[int]) -> ColumnElement[int]:
    """The disputed amount, at most what is outstanding (a dispute may outlive part-payments)."""
    amount = func.coalesce(disputed, 0)
    return case((amount > Invoice.outstanding_minor, Invoice.outstanding_minor), else_=amount)


def _open_items_statement(
    customer_id: int | ColumnElement[int],
) -> Select[str, date, int, int]:
    disputes = _disputed_per_invoice(InvoiceDispute.customer_id == customer_id).subquery()
    return (
        select(
            Invoice.currency,
            Invoice.due_date,
            func.sum(Invoice.outstanding_minor),
            func.sum(_capped(disputes.c.disputed)),
        )
        .outerjoin(disputes, disputes.c.invoice_id == Invoice.id)
        .where(*_open_invoice(Invoice.customer_id == customer_id))
        .group_by(Invoice.currency, Invoice.due_date)
    )


def open_items(session: Session, customer_id: int) -> list[InvoiceRow]:
    """The customer's open balances by currency and due date, with their disputed parts."""
    return [
        InvoiceRow(currency, due, int(outstanding or 0), int(disputed or 0))
        for currency, due, outstanding, disputed in session.execute(
            _open_items_statement(customer_id)
        )
    ]


def balances(session: Session, customer_id: int) -> tuple[list[InvoiceRow], list[AmountRow]]:
    """``open_items`` and ``orders_and_unapplied`` of one customer in one round trip (the
    credit check reads them on every order): one ``UNION ALL`` whose rows say which they are,
    the invoice rows with a due date, the amount rows without."""
    statement = _balances_statement()
    invoices: list[InvoiceRow] = []
    others: list[AmountRow] = []
    for currency, due, amount, disputed, kind in hot_statements.rows(
        session, statement, {"customer_id": customer_id}
    ):
        if kind == OPEN_ITEMS:
            invoices.append(InvoiceRow(currency, due, int(amount or 0), int(disputed or 0)))
        else:
            others.append(AmountRow(kind, customer_id, currency, int(amount or 0)))
    return invoices, others


@cache
def _balances_statement() -> CompoundSelect[Any]:
    """Built once per process: the credit check runs it on every order."""
    customer_id = bindparam("customer_id", type_=Integer)
    items = _open_items_statement(customer_id).add_columns(literal(OPEN_ITEMS).label("kind"))
    amounts = union_all(
        _orders_statement(Order.customer_id == customer_id),
        _unapplied_statement(Payment.customer_id == customer_id),
    ).subquery()
    return union_all(
        items,
        select(
            amounts.c.currency,
            literal(None, Date),
            amounts.c.amount,
            literal(0),
            amounts.c.kind,
        ),
    )


def _unapplied_statement(*where: ColumnElement[bool]) -> Select[str, int, str, int]:
    allocated = (
        select(func.coalesce(func.sum(PaymentAllocation.amount_minor), 0))
        .where(PaymentAllocation.payment_id == Payment.id)
        .scalar_subquery()
    )
    return (
        select(
            literal(UNAPPLIED).label("kind"),
            Payment.customer_id,
            Payment.currency,
            func.sum(Payment.amount_minor - allocated).label("amount"),
        )
        .where(Payment.archived_at.is_(None), *where)
        .group_by(Payment.customer_id, Payment.currency)
    )


def _orders_statement(*where: ColumnElement[bool]) -> Select[str, int, str, int]:
    return (
        select(
            literal(ORDERS).label("kind"),
            Order.customer_id,
            Order.currency,
            func.sum(Order.amount_minor).label("amount"),
        )
        .where(
            Order.status.in_([OrderStatus.OPEN, OrderStatus.SHIPPED]),
            Order.archived_at.is_(None),
            *where,
        )
        .group_by(Order.customer_id, Order.currency)
    )


def orders_and_unapplied(
    session: Session, customer_ids: Sequence[int] | None = None
) -> list[AmountRow]:
    """Open orders and unapplied cash by customer and currency, in one round trip."""
    order_where, payment_where = [], []
    if customer_ids is not None:
        order_where = [among(session, Order.customer_id, customer_ids)]
        payment_where = [among(session, Payment.customer_id, customer_ids)]
    statement = union_all(_orders_statement(*order_where), _unapplied_statement(*payment_where))
    return [
        AmountRow(row[0], row[1], row[2], int(row[3] or 0))
        for row in plain_rows(session, statement)
    ]


def contract_commitments(
    session: Session, as_of: date, customer_ids: Sequence[int] | None = None
) -> list[AmountRow]:
    """Per active contract in force on ``as_of``: its amount less what was invoiced under it,
    floored at zero, summed by customer and currency."""
    values = {_COMMITMENTS_AS_OF.key: as_of}
    if customer_ids is None:
        rows = hot_statements.records(session, _commitments_statement(None), values)
    else:
        rows = hot_statements.records_by_ids(
            session, _commitments_statement, sorted(customer_ids), values, chunk=CHUNK
        )
    return [
        AmountRow("commitment", row.customer_id, row.currency, max(0, int(row.remaining or 0)))
        for row in rows
    ]


_COMMITMENTS_AS_OF = bindparam("as_of", type_=Date())


@cache
def _commitments_statement(ids: IdsParameter | None) -> Select[int, str, int]:
    """Built once a process (a stream job asks for every batch of customers): building it was
    half the cost of the read."""
    invoiced = (
        select(Invoice.contract_id, func.sum(Invoice.amount_minor).label("invoiced"))
        .where(
            Invoice.contract_id.is_not(None),
            Invoice.status != InvoiceStatus.CANCELLED,
            Invoice.archived_at.is_(None),
        )
        .group_by(Invoice.contract_id)
    )
    if ids is not None:
        invoiced = invoiced.where(ids.among(Invoice.customer_id))
    billed = invoiced.subquery()
    statement = (
        select(
            Contract.customer_id,
            Contract.currency,
            (Contract.amount_minor - func.coalesce(billed.c.invoiced, 0)).label("remaining"),
        )
        .outerjoin(billed, billed.c.contract_id == Contract.id)
        .where(
            Contract.status == ContractStatus.ACTIVE,
            Contract.archived_at.is_(None),
            Contract.starts_on <= _COMMITMENTS_AS_OF,
            or_(Contract.ends_on.is_(None), Contract.ends_on >= _COMMITMENTS_AS_OF),
        )
    )
    if ids is not None:
        statement = statement.where(ids.among(Contract.customer_id))
    return statement


def mitigants_in_force(
    session: Session, as_of: date, customer_ids: Sequence[int] | None = None
) -> list[MitigantRow]:
    statement = select(
        Mitigant.id,
        Mitigant.customer_id,
        Mitigant.kind,
        Mitigant.currency,
        Mitigant.amount_minor,
        Mitigant.haircut,
    ).where(*in_force(as_of))
    if customer_ids is not None:
        statement = statement.where(among(session, Mitigant.customer_id, customer_ids))
    return [
        MitigantRow(mitigant_id, customer_id, MitigantKind(kind), currency, amount, haircut)
        for mitigant_id, customer_id, kind, currency, amount, haircut in plain_rows(
            session, statement.order_by(Mitigant.id)
        )
    ]


def in_force(as_of: date) -> list[ColumnElement[bool]]:
    """A mitigant protects on ``as_of`` when active, not archived and within its dates."""
    return [
        Mitigant.status == MitigantStatus.ACTIVE,
        Mitigant.archived_at.is_(None),
        Mitigant.valid_from <= as_of,
        or_(Mitigant.valid_until.is_(None), Mitigant.valid_until >= as_of),
    ]


def fx_rates_on(session: Session, as_of: date, currencies: Iterable[str]) -> dict[str, Decimal]:
    """The latest rate on or before ``as_of`` of each currency asked for."""
    wanted = sorted(set(currencies))
    if not wanted:
        return {}
    latest = (
        select(FxRate.currency, func.max(FxRate.as_of).label("as_of"))
        .where(FxRate.currency.in_(wanted), FxRate.as_of <= as_of)
        .group_by(FxRate.currency)
        .subquery()
    )
    statement = select(FxRate.currency, FxRate.rate).join(
        latest, and_(latest.c.currency == FxRate.currency, latest.c.as_of == FxRate.as_of)
    )
    return {currency: Decimal(rate) for currency, rate in session.execute(statement)}


# --- the whole portfolio ----------------------------------------------------------------------


def bucket_totals(
    session: Session, as_of: date, customer_ids: Sequence[int] | None = None
) -> list[BucketRow]:
    """Open balances of every customer (or those named) by currency and ageing bucket,
    bucketed in SQL by comparing due dates with the buckets' edges (portable: no date
    arithmetic in SQL)."""
    edges = [(as_of - timedelta(days=days)) for days in (0, 30, 60, 90)]
    bucket = case(
        (Invoice.due_date >= edges[0], literal(NOT_DUE)),
        (Invoice.due_date >= edges[1], literal(DPD_1_30)),
        (Invoice.due_date >= edges[2], literal(DPD_31_60)),
        (Invoice.due_date >= edges[3], literal(DPD_61_90)),
        else_=literal(DPD_90_PLUS),
    ).label("bucket")
    disputes = _disputed_per_invoice().subquery()
    statement = (
        select(
            Invoice.customer_id,
            Invoice.currency,
            bucket,
            func.sum(Invoice.outstanding_minor),
            func.sum(_capped(disputes.c.disputed)),
            func.min(Invoice.due_date),
        )
        .outerjoin(disputes, disputes.c.invoice_id == Invoice.id)
        .where(*_open_invoice())
        .group_by(Invoice.customer_id, Invoice.currency, bucket)
    )
    if customer_ids is not None:
        statement = statement.where(among(session, Invoice.customer_id, customer_ids))
    rows = []
    for customer_id, currency, name, outstanding, disputed, oldest in session.execute(statement):
        assert name in BUCKETS  # noqa: S101 - the CASE above yields only bucket names
        rows.append(
            BucketRow(customer_id, currency, name, int(outstanding), int(disputed or 0), oldest)
        )
    return rows


@dataclass(frozen=True, slots=True)
class Balance:
    """A customer's open balance in one currency and ageing bucket (``BucketRow`` without the
    disputes, which a snapshot does not keep)."""

    customer_id: int
    currency: str
    bucket: str
    outstanding: int


def balances_in(rows: LedgerRows, as_of: date, customer_ids: Collection[int]) -> list[Balance]:
    """``bucket_totals``'s balances of ``customer_ids`` from a stream job's shared rows."""
    wanted = set(customer_ids)
    totals: dict[tuple[int, str, str], int] = defaultdict(int)
    for row in rows.invoices:
        if (
            row.customer_id in wanted
            and row.status == InvoiceStatus.OPEN
            and row.outstanding_minor > 0
        ):
            bucket = bucket_of(days_past_due(row.due_date, as_of))
            totals[row.customer_id, row.currency, bucket] += row.outstanding_minor
    return [Balance(*key, outstanding) for key, outstanding in totals.items()]


def orders_and_unapplied_in(rows: LedgerRows, customer_ids: Collection[int]) -> list[AmountRow]:
    """``orders_and_unapplied`` of ``customer_ids`` from a stream job's shared rows."""
    wanted = set(customer_ids)
    orders: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows.orders:
        if row.customer_id in wanted and row.status in (OrderStatus.OPEN, OrderStatus.SHIPPED):
            orders[row.customer_id, row.currency] += row.amount_minor
    allocated: dict[int, int] = defaultdict(int)
    for row in rows.allocations:
        allocated[row.payment_id] += row.amount_minor
    unapplied: dict[tuple[int, str], int] = defaultdict(int)
    for row in rows.payments:
        if row.customer_id in wanted:
            unapplied[row.customer_id, row.currency] += row.amount_minor - allocated[row.id]
    return [
        *(AmountRow(ORDERS, *key, amount) for key, amount in orders.items()),
        *(AmountRow(UNAPPLIED, *key, amount) for key, amount in unapplied.items()),
    ]


def customers(session: Session, customer_ids: Sequence[int] | None = None) -> list[CustomerRow]:
    """Every customer not archived (or those of them named), with its current grade and PD
    (``None`` when unrated)."""
    statement = (
        select(
            Customer.id,
            Customer.industry_code,
            Customer.region_code,
            CustomerRating.grade,
            CustomerRating.pd,
        )
        .outerjoin(CustomerRating, CustomerRating.customer_id == Customer.id)
        .where(Customer.archived_at.is_(None))
    )
    if customer_ids is not None:
        statement = statement.where(among(session, Customer.id, customer_ids))
    return [CustomerRow(*row) for row in plain_rows(session, statement)]


def customer_names(session: Session, customer_ids: Sequence[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    statement = select(Customer.id, Customer.name).where(Customer.id.in_(customer_ids))
    return {customer_id: name for customer_id, name in session.execute(statement)}


def related_links(
    session: Session, customer_ids: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """Links between customers (either direction), not archived; all of them, or those
    touching ``customer_ids``."""
    statement = select(RelatedParty.customer_id, RelatedParty.related_customer_id).where(
        RelatedParty.archived_at.is_(None)
    )
    if customer_ids is not None:
        statement = statement.where(
            or_(
                RelatedParty.customer_id.in_(customer_ids),
                RelatedParty.related_customer_id.in_(customer_ids),
            )
        )
    return [(left, right) for left, right in session.execute(statement)]


# --- the snapshots ----------------------------------------------------------------------------

SNAPSHOT_BUCKETS: dict[str, str] = {name: f"{name}_minor" for name in BUCKETS}
"""Ageing bucket → its column in ``exposure_snapshots``."""


@dataclass(frozen=True, slots=True)
class SnapshotGroup:
    """The snapshots of the customers sharing a grade, an industry section and a province."""

    grade: str | None
    section: str | None
    province: str | None
    snapshots: int
    customers: int
    """Of ``snapshots``, those with any exposure."""
    buckets: dict[str, int]
    overdue: int
    gross_exposure: int
    net_exposure: int
    ead: int
    expected_loss: int
    unrated_ead: int
    net_squared: float
    oldest_as_of: date | None
    last_computed_at: datetime | None


@dataclass(frozen=True, slots=True)
class LossRow:
    customer_id: int
    name: str
    grade: str
    pd: float
    ead: int
    expected_loss: int


def _expected_loss() -> ColumnElement[Decimal]:
    """PD × loss at default, rounded half up to a minor unit per customer as ``compose`` does
    (``round`` of a NUMERIC rounds half away from zero; PostgreSQL's ``round`` of a float
    would round half to even)."""
    return func.round(cast(CustomerRating.pd, Numeric) * ExposureSnapshot.loss_at_default)


def _current_snapshots(statement: Select[Any]) -> Select[Any]:
    return statement.join(Customer, Customer.id == ExposureSnapshot.customer_id).where(
        Customer.archived_at.is_(None)
    )


def snapshot_groups(session: Session) -> list[SnapshotGroup]:
    """Sums of the snapshots of customers not archived, by current grade, industry section and
    province: one pass over the table, at most a few thousand groups for Python to roll up."""
    snapshot = ExposureSnapshot
    section = func.upper(func.substr(Customer.industry_code, 1, 1))
    province = func.substr(Customer.region_code, 1, 2)
    exposed = or_(snapshot.gross_exposure_minor > 0, snapshot.open_receivables_minor > 0)
    net = cast(snapshot.net_exposure_minor, Float)
    statement = _current_snapshots(
        select(
            CustomerRating.grade,
            section,
            province,
            func.count(),
            func.sum(case((exposed, 1), else_=0)),
            func.sum(snapshot.overdue_minor),
            func.sum(snapshot.gross_exposure_minor),
            func.sum(snapshot.net_exposure_minor),
            func.sum(snapshot.ead_minor),
            func.sum(_expected_loss()),
            func.sum(case((CustomerRating.pd.is_(None), snapshot.ead_minor), else_=0)),
            func.sum(net * net),
            func.min(snapshot.as_of),
            func.max(snapshot.computed_at),
            *(func.sum(getattr(snapshot, column)) for column in SNAPSHOT_BUCKETS.values()),
        ).outerjoin(CustomerRating, CustomerRating.customer_id == snapshot.customer_id)
    ).group_by(CustomerRating.grade, section, province)
    groups = []
    for row in session.execute(statement):
        (grade, industry, region, count, exposed_count, overdue, gross, net_total, ead) = row[:9]
        expected, unrated, squared, oldest, latest = row[9:14]
        groups.append(
            SnapshotGroup(
                grade=grade,
                section=industry or None,
                province=region or None,
                snapshots=int(count),
                customers=int(exposed_count or 0),
                buckets={
                    name: int(amount or 0) for name, amount in zip(BUCKETS, row[14:], strict=True)
                },
                overdue=int(overdue or 0),
                gross_exposure=int(gross or 0),
                net_exposure=int(net_total or 0),
                ead=int(ead or 0),
                expected_loss=int(expected or 0),
                unrated_ead=int(unrated or 0),
                net_squared=float(squared or 0.0),
                oldest_as_of=oldest,
                last_computed_at=latest,
            )
        )
    return groups


def largest_net_exposures(session: Session, limit: int) -> list[int]:
    """The ``limit`` largest net exposures (through the index on ``net_exposure_minor``)."""
    statement = _current_snapshots(
        select(ExposureSnapshot.net_exposure_minor).where(ExposureSnapshot.net_exposure_minor > 0)
    )
    return [
        int(amount)
        for amount in session.scalars(
            statement.order_by(ExposureSnapshot.net_exposure_minor.desc()).limit(limit)
        )
    ]


def largest_expected_losses(session: Session, limit: int) -> list[LossRow]:
    """The rated customers with the ``limit`` largest expected losses (ties by id)."""
    expected = _expected_loss()
    statement = (
        select(
            Customer.id,
            Customer.name,
            CustomerRating.grade,
            CustomerRating.pd,
            ExposureSnapshot.ead_minor,
            expected,
        )
        .join(Customer, Customer.id == ExposureSnapshot.customer_id)
        .join(CustomerRating, CustomerRating.customer_id == ExposureSnapshot.customer_id)
        .where(Customer.archived_at.is_(None), ExposureSnapshot.loss_at_default > 0)
        .order_by(expected.desc(), Customer.id)
        .limit(limit)
    )
    return [
        LossRow(customer_id, name, grade, pd, int(ead), int(loss))
        for customer_id, name, grade, pd, ead, loss in session.execute(statement)
    ]


def customers_without_snapshot(session: Session) -> int:
    statement = (
        select(func.count())
        .select_from(Customer)
        .outerjoin(ExposureSnapshot, ExposureSnapshot.customer_id == Customer.id)
        .where(Customer.archived_at.is_(None), ExposureSnapshot.customer_id.is_(None))
    )
    return int(session.scalar(statement) or 0)


def stale_snapshots(session: Session, as_of: date) -> bool:
    """Whether the snapshots' ageing is older than ``as_of`` (or there are none while customers
    exist). A customer still without one is the stream consumer's to compute, not a reason to
    recompute everyone."""
    oldest, count = session.execute(
        select(func.min(ExposureSnapshot.as_of), func.count()).select_from(ExposureSnapshot)
    ).one()
    if count:
        return bool(oldest < as_of)
    return (
        session.scalar(select(Customer.id).where(Customer.archived_at.is_(None)).limit(1))
        is not None
    )
