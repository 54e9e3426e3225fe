"""The ledger rows of a stream job's customers, read once and shared by everything the job
computes from them.

A job rescores its customers (``risk.ledgers``), evaluates the monitoring rules for them
(``monitoring.facts``) and refreshes their exposure snapshots (``exposure.service``). Each of
the three would read the same invoices, payments, orders, statements, credit reports and legal
events again, with its own filters and columns (nine of a job's 38 statements). Here each
table is read once, with the filters all three apply (not archived, not cancelled; published,
reported, occurred or assessed by ``as_of``) and every column any of them needs; each derives its
own rows from these in Python, applying the rest of its filters there. Rows are as stored: minor
units and statuses, each table in id order.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache, partial
from typing import Any

from sqlalchemy import BindParameter, CompoundSelect, Date, Select, bindparam, select, union
from sqlalchemy.orm import Session

from fengkong import hot_statements
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer
from fengkong.financials.models import STATEMENT_LINES, FinancialStatement
from fengkong.kit.id_sets import IdsParameter
from fengkong.legal_events.models import LegalEvent
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.risk.models import QualitativeAssessment

CHUNK = 500
"""Customers per ``IN`` list on SQLite: well under its bound-parameter cap (PostgreSQL reads
them all in one statement, ``kit.id_sets``)."""

Rows = Sequence[Any]
"""Named tuples (``kit.plain_rows.records``), fields named as the statement's columns."""


@dataclass(frozen=True, slots=True)
class LedgerRows:
    """The rows of ``customer_ids`` — the customers asked that exist, archived ones too — as
    known on ``as_of``.

    ``invoices``, ``orders`` and ``payments`` are not limited by date (exposure counts what is
    open whenever it was dated); ``allocations`` are those of the customers' invoices or of their
    payments, each with its payment's customer, date and archiving."""

    as_of: date
    customer_ids: frozenset[int]
    customers: Rows
    invoices: Rows
    payments: Rows
    allocations: Rows
    orders: Rows
    statements: Rows
    credit_reports: Rows
    legal_events: Rows
    qualitative: Rows

    def split(self, customer_ids: Sequence[int]) -> tuple[frozenset[int], list[int]]:
        """The customers asked whose rows are here, and the others (to read)."""
        held = frozenset(c for c in customer_ids if c in self.customer_ids)
        return held, [c for c in customer_ids if c not in held]


def read_ledger_rows(session: Session, customer_ids: Collection[int], *, as_of: date) -> LedgerRows:
    """One statement per table (per ``CHUNK`` customers on SQLite) for everything a job
    derives. Each statement is built once a process and run through ``hot_statements``: on
    PostgreSQL SQLAlchemy's per-execution work (building, cache key, result metadata, row
    processing) was half of this read."""
    ids = sorted(set(customer_ids))

    def rows(table: str) -> list[Any]:
        found = hot_statements.records_by_ids(
            session, partial(_statement, table), ids, {_AS_OF.key: as_of}, chunk=CHUNK
        )
        found.sort(key=lambda row: row.id)
        return found

    customers = rows("customers")
    return LedgerRows(
        as_of=as_of,
        customer_ids=frozenset(row.id for row in customers),
        customers=customers,
        invoices=rows("invoices"),
        payments=rows("payments"),
        allocations=rows("allocations"),
        orders=rows("orders"),
        statements=rows("statements"),
        credit_reports=rows("credit_reports"),
        legal_events=rows("legal_events"),
        qualitative=rows("qualitative"),
    )


_AS_OF = bindparam("as_of", type_=Date())
_Read = Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]


@cache
def _statement(table: str, ids: IdsParameter) -> _Read:
    """The read of ``table``, built once a process for the dialect's kind of id filter."""
    return _READS[table](ids)


def _customers(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        Customer.id,
        Customer.industry_code,
        Customer.region_code,
        Customer.established_on,
        Customer.registered_capital_minor,
        Customer.registered_capital_currency,
        Customer.archived_at,
    ).where(part.among(Customer.id))


def _invoices(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        Invoice.id,
        Invoice.customer_id,
        Invoice.issue_date,
        Invoice.due_date,
        Invoice.amount_minor,
        Invoice.outstanding_minor,
        Invoice.currency,
        Invoice.status,
    ).where(
        part.among(Invoice.customer_id),
        Invoice.archived_at.is_(None),
        Invoice.status != InvoiceStatus.CANCELLED,
    )


def _payments(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        Payment.id, Payment.customer_id, Payment.paid_on, Payment.amount_minor, Payment.currency
    ).where(part.among(Payment.customer_id), Payment.archived_at.is_(None))


def _allocations(part: IdsParameter) -> CompoundSelect[*tuple[Any, ...]]:
    """Of the customers' invoices, and of their payments: a ``UNION`` of the two, each walking
    its own index (an ``OR`` across them would scan every allocation)."""
    allocations = select(
        PaymentAllocation.id,
        PaymentAllocation.invoice_id,
        PaymentAllocation.payment_id,
        PaymentAllocation.amount_minor,
        Payment.customer_id.label("payment_customer_id"),
        Payment.paid_on,
        Payment.archived_at.label("payment_archived_at"),
    ).join(Payment, Payment.id == PaymentAllocation.payment_id)
    theirs = select(Invoice.id).where(part.among(Invoice.customer_id))
    return union(
        allocations.where(PaymentAllocation.invoice_id.in_(theirs)),
        allocations.where(part.among(Payment.customer_id)),
    )


def _orders(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        Order.id,
        Order.customer_id,
        Order.ordered_on,
        Order.amount_minor,
        Order.currency,
        Order.status,
    ).where(
        part.among(Order.customer_id),
        Order.archived_at.is_(None),
        Order.status != OrderStatus.CANCELLED,
    )


def _statements(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        FinancialStatement.id,
        FinancialStatement.customer_id,
        FinancialStatement.period_end,
        FinancialStatement.period_months,
        FinancialStatement.published_on,
        FinancialStatement.currency,
        *(getattr(FinancialStatement, f"{line}_minor") for line in STATEMENT_LINES),
    ).where(
        part.among(FinancialStatement.customer_id),
        FinancialStatement.archived_at.is_(None),
        FinancialStatement.published_on <= _AS_OF,
    )


def credit_reports_as_of(as_of: date | BindParameter[date]) -> Select[*tuple[Any, ...]]:
    """Credit reports not archived and dated by ``as_of``, every customer's (callers filter by
    customer): this read and ``monitoring.facts``' agency ratings."""
    return select(
        CreditReport.id,
        CreditReport.customer_id,
        CreditReport.agency,
        CreditReport.report_date,
        CreditReport.rating,
        CreditReport.score,
    ).where(CreditReport.archived_at.is_(None), CreditReport.report_date <= as_of)


def _credit_reports(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return credit_reports_as_of(_AS_OF).where(part.among(CreditReport.customer_id))


def legal_events_as_of(as_of: date | BindParameter[date]) -> Select[*tuple[Any, ...]]:
    """Legal events not archived and occurred by ``as_of``, every customer's (callers filter by
    customer): this read and ``monitoring.facts``' legal facts."""
    return select(
        LegalEvent.id,
        LegalEvent.customer_id,
        LegalEvent.event_type,
        LegalEvent.occurred_on,
        LegalEvent.amount_minor,
        LegalEvent.currency,
        LegalEvent.resolved_on,
    ).where(LegalEvent.archived_at.is_(None), LegalEvent.occurred_on <= as_of)


def _legal_events(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return legal_events_as_of(_AS_OF).where(part.among(LegalEvent.customer_id))


def _qualitative(part: IdsParameter) -> Select[*tuple[Any, ...]]:
    return select(
        QualitativeAssessment.id,
        QualitativeAssessment.customer_id,
        QualitativeAssessment.question,
        QualitativeAssessment.answer,
        QualitativeAssessment.assessed_on,
    ).where(
        part.among(QualitativeAssessment.customer_id),
        QualitativeAssessment.assessed_on <= _AS_OF,
    )


_READS: dict[str, Callable[[IdsParameter], _Read]] = {
    "customers": _customers,
    "invoices": _invoices,
    "payments": _payments,
    "allocations": _allocations,
    "orders": _orders,
    "statements": _statements,
    "credit_reports": _credit_reports,
    "legal_events": _legal_events,
    "qualitative": _qualitative,
}
