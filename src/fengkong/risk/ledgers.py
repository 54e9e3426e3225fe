"""Load the scoring library's ``Ledgers`` from the database, for everyone or a few customers, as
known on a date.

One set-based SELECT per ledger, straight into polars: ten thousand customers are a few million
rows, far too many for ORM objects. Point in time is applied here already (a statement published,
an invoice issued, a payment received after ``as_of`` is not read; a legal event resolved later
reads as unresolved), and again by the features, so neither alone has to be trusted. Cancelled and
archived records are left out. Amounts arrive in minor units and leave in major units (Float64),
each by its own currency's exponent; registered capital is kept only in CNY, as the contract asks.

SQLite hands dates back as text that SQLAlchemy would parse one value at a time in Python; they
are read as text and parsed by polars in bulk instead. PostgreSQL streams each query with ``COPY``
into polars' CSV reader, several times faster than fetching Python tuples. A few customers are
read by plain SELECTs instead: there the fixed cost of each query counts, not the rows. A stream
job's customers are not read here at all: the job reads their rows once for scoring, the rules
and exposure (``fengkong.ledger_rows``), and the ledgers are built from those.
"""

from __future__ import annotations

import io
from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl
from sqlalchemy import ClauseElement, ColumnElement, Connection, Select, select
from sqlalchemy.orm import Session

from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer
from fengkong.financials.models import STATEMENT_LINES, FinancialStatement
from fengkong.kit.money import currency_exponent
from fengkong.ledger_rows import LedgerRows
from fengkong.legal_events.models import LegalEvent
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk.models import QualitativeAssessment
from fengkong.scoring.ledgers import (
    ALLOCATIONS_SCHEMA,
    CREDIT_LIMITS_SCHEMA,
    CREDIT_REPORTS_SCHEMA,
    CUSTOMERS_SCHEMA,
    INVOICES_SCHEMA,
    LEGAL_EVENTS_SCHEMA,
    ORDERS_SCHEMA,
    QUALITATIVE_SCHEMA,
    STATEMENTS_SCHEMA,
    Ledgers,
)

CAPITAL_CURRENCY = "CNY"
MAX_LISTED_CUSTOMERS = 2_000
"""Above this many customers the loader reads everyone and keeps the few in polars: one long
``IN`` list costs more than the rows it saves (and SQLite caps bound parameters)."""
_FEW_ROWS = 10_000  # rows whose currencies are listed in Python rather than by polars
FEW_CUSTOMERS = 100
"""Up to this many listed customers (a rescore of a few, say) each ledger is a plain cached
SELECT: compiling it with its literal values and a ``COPY`` into the CSV reader cost more, per
table, than the few rows they would save."""


def load_ledgers(
    session: Session,
    *,
    as_of: date,
    customer_ids: Collection[int] | None = None,
    include_archived: bool = False,
    rows: LedgerRows | None = None,
) -> Ledgers:
    """Every ledger of the customers (default: all that are not archived) as known on ``as_of``.

    ``include_archived`` reads archived customers too: training data needs the relationships
    that ended (often after a default), or the sample would only hold the survivors. ``rows``,
    a stream job's shared read of exactly these customers on ``as_of``, replaces the SELECTs.
    """
    wanted = sorted(set(customer_ids)) if customer_ids is not None else None
    listed = wanted is not None and len(wanted) <= MAX_LISTED_CUSTOMERS
    reader: _Reader | _SharedReader
    if rows is None:
        reader = _Reader(session.connection(), wanted if listed else None)
    elif wanted is None or set(wanted) != rows.customer_ids or rows.as_of != as_of:
        raise ValueError("the shared rows are not of the customers and the day asked")
    else:
        reader = _SharedReader(rows)
    customers = _with_capital(reader.customers(archived_too=wanted is not None or include_archived))
    if wanted is not None and not listed:
        customers = customers.filter(pl.col("customer_id").is_in(wanted))
    keep = customers.select("customer_id")

    def kept(frame: pl.DataFrame) -> pl.DataFrame:
        # A listed read holds the listed customers' rows only, and every listed customer is
        # read (archived too): the semi-join would keep every row.
        return frame if listed else frame.join(keep, on="customer_id", how="semi")

    invoices = kept(_in_major_units(reader.invoices(as_of), ["amount_minor"]))
    orders = kept(
        _in_major_units(reader.orders(as_of), ["amount_minor"]).select(list(ORDERS_SCHEMA))
    )
    statements = _in_major_units(reader.statements(as_of), _STATEMENT_MINORS)
    legal_events = _in_major_units(reader.legal_events(as_of), ["amount_minor"]).with_columns(
        # Resolved after as_of: on as_of the event was still open.
        resolved_on=pl.when(pl.col("resolved_on") <= as_of).then(pl.col("resolved_on"))
    )
    ledgers = Ledgers(
        customers=_with_first_trade(customers, invoices, orders),
        statements=kept(statements.select(list(STATEMENTS_SCHEMA))),
        invoices=invoices.select(list(INVOICES_SCHEMA)),
        allocations=_allocations(reader.allocations(), invoices, reader.payments(as_of)),
        orders=orders,
        credit_reports=kept(reader.credit_reports(as_of)),
        legal_events=kept(legal_events.select(list(LEGAL_EVENTS_SCHEMA))),
        qualitative=kept(reader.qualitative(as_of)),
        credit_limits=pl.DataFrame(schema=CREDIT_LIMITS_SCHEMA),
    )
    return ledgers.validate()


_RAW_CUSTOMERS: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "industry_code": pl.String(),
    "region_code": pl.String(),
    "established_on": pl.Date(),
    "registered_capital_minor": pl.Int64(),
    "registered_capital_currency": pl.String(),
}
_STATEMENT_MINORS = [f"{line}_minor" for line in STATEMENT_LINES]
_RAW_STATEMENTS: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "period_end": pl.Date(),
    "period_months": pl.Int64(),
    "published_on": pl.Date(),
    "currency": pl.String(),
} | {minor: pl.Int64() for minor in _STATEMENT_MINORS}
_RAW_INVOICES: dict[str, pl.DataType] = {
    "invoice_id": pl.Int64(),
    "customer_id": pl.Int64(),
    "issue_date": pl.Date(),
    "due_date": pl.Date(),
    "amount_minor": pl.Int64(),
    "currency": pl.String(),
}
_RAW_ALLOCATIONS: dict[str, pl.DataType] = {
    "invoice_id": pl.Int64(),
    "payment_id": pl.Int64(),
    "amount_minor": pl.Int64(),
}
_RAW_PAYMENTS: dict[str, pl.DataType] = {"payment_id": pl.Int64(), "paid_on": pl.Date()}
_RAW_ORDERS: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "ordered_on": pl.Date(),
    "amount_minor": pl.Int64(),
    "currency": pl.String(),
}
_RAW_LEGAL_EVENTS: dict[str, pl.DataType] = {
    "customer_id": pl.Int64(),
    "event_type": pl.String(),
    "occurred_on": pl.Date(),
    "amount_minor": pl.Int64(),
    "currency": pl.String(),
    "resolved_on": pl.Date(),
}


class _Reader:
    """One SELECT per ledger over that table alone, each giving the ledger's raw frame (minor
    units): the customer filter is an ``IN`` list when a few customers are wanted, and a
    semi-join in polars otherwise (a join in SQL made SQLite walk the invoices customer by
    customer, about three times slower)."""

    def __init__(self, connection: Connection, customer_ids: list[int] | None) -> None:
        self.connection = connection
        self.customer_ids = customer_ids
        self.few = customer_ids is not None and len(customer_ids) <= FEW_CUSTOMERS

    def _frame(
        self, statement: Select[*tuple[Any, ...]], schema: Mapping[str, pl.DataType]
    ) -> pl.DataFrame:
        """The rows of ``statement``: by its cached SELECT for a few customers, in bulk else."""
        if self.few:
            return _fetched(self.connection, statement, schema)
        return _frame(self.connection, statement, schema)

    def _for(self, column: Any) -> list[ColumnElement[bool]]:
        return [] if self.customer_ids is None else [column.in_(self.customer_ids)]

    def customers(self, *, archived_too: bool) -> pl.DataFrame:
        where = self._for(Customer.id)
        if not archived_too:
            where.append(Customer.archived_at.is_(None))
        statement = select(
            Customer.id.label("customer_id"),
            Customer.industry_code,
            Customer.region_code,
            Customer.established_on,
            Customer.registered_capital_minor,
            Customer.registered_capital_currency,
        ).where(*where)
        return self._frame(statement, _RAW_CUSTOMERS)

    def statements(self, as_of: date) -> pl.DataFrame:
        lines = [getattr(FinancialStatement, minor) for minor in _STATEMENT_MINORS]
        statement = select(
            FinancialStatement.customer_id,
            FinancialStatement.period_end,
            FinancialStatement.period_months,
            FinancialStatement.published_on,
            FinancialStatement.currency,
            *lines,
        ).where(
            *self._for(FinancialStatement.customer_id),
            FinancialStatement.archived_at.is_(None),
            FinancialStatement.published_on <= as_of,
        )
        return self._frame(statement, _RAW_STATEMENTS)

    def invoices(self, as_of: date) -> pl.DataFrame:
        """Invoices with their currency kept, for the allocations to take theirs from."""
        statement = select(
            Invoice.id.label("invoice_id"),
            Invoice.customer_id,
            Invoice.issue_date,
            Invoice.due_date,
            Invoice.amount_minor,
            Invoice.currency,
        ).where(
            *self._for(Invoice.customer_id),
            Invoice.archived_at.is_(None),
            Invoice.status != InvoiceStatus.CANCELLED,
            Invoice.issue_date <= as_of,
        )
        return self._frame(statement, _RAW_INVOICES)

    def allocations(self) -> pl.DataFrame:
        where = []
        if self.customer_ids is not None:
            theirs = select(Invoice.id).where(Invoice.customer_id.in_(self.customer_ids))
            where.append(PaymentAllocation.invoice_id.in_(theirs))
        statement = select(
            PaymentAllocation.invoice_id,
            PaymentAllocation.payment_id,
            PaymentAllocation.amount_minor,
        ).where(*where)
        return self._frame(statement, _RAW_ALLOCATIONS)

    def payments(self, as_of: date) -> pl.DataFrame:
        statement = select(Payment.id.label("payment_id"), Payment.paid_on).where(
            *self._for(Payment.customer_id),
            Payment.archived_at.is_(None),
            Payment.paid_on <= as_of,
        )
        return self._frame(statement, _RAW_PAYMENTS)

    def orders(self, as_of: date) -> pl.DataFrame:
        statement = select(
            Order.customer_id, Order.ordered_on, Order.amount_minor, Order.currency
        ).where(
            *self._for(Order.customer_id),
            Order.archived_at.is_(None),
            Order.status != OrderStatus.CANCELLED,
            Order.ordered_on <= as_of,
        )
        return self._frame(statement, _RAW_ORDERS)

    def credit_reports(self, as_of: date) -> pl.DataFrame:
        statement = select(
            CreditReport.customer_id,
            CreditReport.agency,
            CreditReport.report_date,
            CreditReport.rating,
            CreditReport.score,
        ).where(
            *self._for(CreditReport.customer_id),
            CreditReport.archived_at.is_(None),
            CreditReport.report_date <= as_of,
        )
        return self._frame(statement, CREDIT_REPORTS_SCHEMA)

    def legal_events(self, as_of: date) -> pl.DataFrame:
        statement = select(
            LegalEvent.customer_id,
            LegalEvent.event_type,
            LegalEvent.occurred_on,
            LegalEvent.amount_minor,
            LegalEvent.currency,
            LegalEvent.resolved_on,
        ).where(
            *self._for(LegalEvent.customer_id),
            LegalEvent.archived_at.is_(None),
            LegalEvent.occurred_on <= as_of,
        )
        return self._frame(statement, _RAW_LEGAL_EVENTS)

    def qualitative(self, as_of: date) -> pl.DataFrame:
        statement = select(
            QualitativeAssessment.customer_id,
            QualitativeAssessment.question,
            QualitativeAssessment.answer,
            QualitativeAssessment.assessed_on,
        ).where(
            *self._for(QualitativeAssessment.customer_id),
            QualitativeAssessment.assessed_on <= as_of,
        )
        return self._frame(statement, QUALITATIVE_SCHEMA)


class _SharedReader:
    """``_Reader``'s raw frames from a stream job's shared rows, applying here the filters that
    the shared read leaves to each reader (the dates of invoices, orders and payments)."""

    def __init__(self, rows: LedgerRows) -> None:
        self.rows = rows

    def customers(self, *, archived_too: bool) -> pl.DataFrame:
        found = [
            (
                row.id,
                row.industry_code,
                row.region_code,
                row.established_on,
                row.registered_capital_minor,
                row.registered_capital_currency,
            )
            for row in self.rows.customers
            if archived_too or row.archived_at is None
        ]
        return _rows_frame(found, _RAW_CUSTOMERS)

    def statements(self, as_of: date) -> pl.DataFrame:
        return _rows_frame([tuple(row[1:]) for row in self.rows.statements], _RAW_STATEMENTS)

    def invoices(self, as_of: date) -> pl.DataFrame:
        found = [
            (
                row.id,
                row.customer_id,
                row.issue_date,
                row.due_date,
                row.amount_minor,
                row.currency,
            )
            for row in self.rows.invoices
            if row.issue_date <= as_of
        ]
        return _rows_frame(found, _RAW_INVOICES)

    def allocations(self) -> pl.DataFrame:
        """Those of the customers' invoices (the shared rows hold their payments' too)."""
        theirs = {row.id for row in self.rows.invoices}
        found = [
            (row.invoice_id, row.payment_id, row.amount_minor)
            for row in self.rows.allocations
            if row.invoice_id in theirs
        ]
        return _rows_frame(found, _RAW_ALLOCATIONS)

    def payments(self, as_of: date) -> pl.DataFrame:
        found = [(row.id, row.paid_on) for row in self.rows.payments if row.paid_on <= as_of]
        return _rows_frame(found, _RAW_PAYMENTS)

    def orders(self, as_of: date) -> pl.DataFrame:
        found = [
            (row.customer_id, row.ordered_on, row.amount_minor, row.currency)
            for row in self.rows.orders
            if row.ordered_on <= as_of
        ]
        return _rows_frame(found, _RAW_ORDERS)

    def credit_reports(self, as_of: date) -> pl.DataFrame:
        return _rows_frame(
            [tuple(row[1:]) for row in self.rows.credit_reports], CREDIT_REPORTS_SCHEMA
        )

    def legal_events(self, as_of: date) -> pl.DataFrame:
        return _rows_frame([tuple(row[1:]) for row in self.rows.legal_events], _RAW_LEGAL_EVENTS)

    def qualitative(self, as_of: date) -> pl.DataFrame:
        return _rows_frame([tuple(row[1:]) for row in self.rows.qualitative], QUALITATIVE_SCHEMA)


def _with_capital(customers: pl.DataFrame) -> pl.DataFrame:
    """Registered capital in major units, kept only in ``CAPITAL_CURRENCY``."""
    capital = pl.when(pl.col("registered_capital_currency") == CAPITAL_CURRENCY).then(
        pl.col("registered_capital_minor").cast(pl.Float64)
        / 10.0 ** currency_exponent(CAPITAL_CURRENCY)
    )
    return customers.with_columns(registered_capital=capital).sort("customer_id")


def _frame(
    connection: Connection, statement: ClauseElement, schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of ``statement`` as a frame of ``schema`` (the statement's columns, in order),
    read through the driver's own cursor: SQLAlchemy's row objects would cost a third more."""
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if connection.dialect.name == "postgresql":
        return _copied(cursor, sql, schema)
    try:
        rows = cursor.execute(sql).fetchall()
    finally:
        cursor.close()
    dates = [name for name, dtype in schema.items() if dtype == pl.Date]
    as_read = {name: (pl.String() if name in dates else dtype) for name, dtype in schema.items()}
    frame = pl.DataFrame(rows, schema=as_read, orient="row")
    return frame.with_columns(pl.col(name).str.to_date("%Y-%m-%d") for name in dates)


def _fetched(
    connection: Connection, statement: Select[*tuple[Any, ...]], schema: Mapping[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of ``statement`` as a frame of ``schema``, executed as SQLAlchemy caches it
    (compiled once a process, the customer list a bound parameter)."""
    return _rows_frame(connection.execute(statement).all(), schema)


def _rows_frame(rows: Sequence[Sequence[Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict(schema), orient="row")


def _copied(cursor: Any, sql: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    buffer = io.BytesIO()
    with cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    if not buffer.tell():
        return pl.DataFrame(schema=dict(schema))
    buffer.seek(0)
    return pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=dict(schema))


def _in_major_units(frame: pl.DataFrame, minors: list[str]) -> pl.DataFrame:
    """Minor units to major units, each row by its ``currency``'s exponent."""
    currencies = frame.get_column("currency")
    # A job's few rows are cheaper to list in Python than to run through polars' query engine.
    codes = currencies.to_list() if currencies.len() <= _FEW_ROWS else currencies.unique()
    exponents = {code: currency_exponent(code) for code in codes if code is not None}
    divisor = pl.lit(10.0) ** pl.col("currency").replace_strict(
        exponents, default=None, return_dtype=pl.Int64
    )
    return frame.with_columns(
        (pl.col(minor).cast(pl.Float64) / divisor).alias(minor.removesuffix("_minor"))
        for minor in minors
    )


def _allocations(
    allocations: pl.DataFrame, invoices: pl.DataFrame, payments: pl.DataFrame
) -> pl.DataFrame:
    """Allocations of the invoices read, by payments received by ``as_of``, in the invoice's
    currency (an allocation always shares it)."""
    joined = allocations.join(
        invoices.select("invoice_id", "customer_id", "currency"), on="invoice_id"
    ).join(payments, on="payment_id")
    return _in_major_units(joined, ["amount_minor"]).select(list(ALLOCATIONS_SCHEMA))


def _with_first_trade(
    customers: pl.DataFrame, invoices: pl.DataFrame, orders: pl.DataFrame
) -> pl.DataFrame:
    """The earliest invoice or order each customer has with us."""
    first = (
        pl.concat(
            [
                invoices.select("customer_id", day=pl.col("issue_date")),
                orders.select("customer_id", day=pl.col("ordered_on")),
            ]
        )
        .group_by("customer_id")
        .agg(first_trade_on=pl.col("day").min())
    )
    return customers.join(first, on="customer_id", how="left").select(list(CUSTOMERS_SCHEMA))
