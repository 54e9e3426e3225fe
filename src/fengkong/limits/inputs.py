"""What the limit policy reads about customers — grade, latest statement, payment terms — for
one customer or, set-based, for many. Read-only queries.

Statements and contracts are read from their tables directly (as ``risk.ledgers`` does for
scoring): the financials and contracts services answer one record or one page at a time and
check the caller's permissions on each, while a recommendation for every customer of the book
needs two set queries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.contracts.models import Contract
from fengkong.contracts.status import ContractStatus
from fengkong.financials.models import FinancialStatement
from fengkong.limits.policy import LimitInputs
from fengkong.risk import service as risk_service

CHUNK = 1_000  # ids per IN (…): well under SQLite's bound-parameter cap


def chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class _Statement:
    period_end: date
    period_months: int
    currency: str
    equity: int | None
    revenue: int | None


def _statements(
    session: Session, customer_ids: Sequence[int] | None, today: date
) -> dict[int, _Statement]:
    """Each customer's latest statement known on ``today`` (the last period end, the longest
    period of it)."""
    fs = FinancialStatement
    statement = (
        select(
            fs.customer_id,
            fs.period_end,
            fs.period_months,
            fs.currency,
            fs.total_equity_minor,
            fs.revenue_minor,
        )
        .where(fs.published_on <= today)
        .where(fs.archived_at.is_(None))
        .order_by(fs.customer_id, fs.period_end.desc(), fs.period_months.desc())
    )
    latest: dict[int, _Statement] = {}
    parts = [None] if customer_ids is None else list(chunks(customer_ids))
    for part in parts:
        query = statement if part is None else statement.where(fs.customer_id.in_(part))
        for row in session.execute(query):
            if row.customer_id not in latest:
                latest[row.customer_id] = _Statement(
                    row.period_end,
                    row.period_months,
                    row.currency,
                    row.total_equity_minor,
                    row.revenue_minor,
                )
    return latest


def _terms(session: Session, customer_ids: Sequence[int] | None, today: date) -> dict[int, int]:
    """The longest payment terms of each customer's contracts in force on ``today``."""
    statement = (
        select(Contract.customer_id, func.max(Contract.payment_terms_days))
        .where(Contract.status == ContractStatus.ACTIVE)
        .where(Contract.archived_at.is_(None))
        .where(Contract.starts_on <= today)
        .where((Contract.ends_on.is_(None)) | (Contract.ends_on >= today))
        .group_by(Contract.customer_id)
    )
    found: dict[int, int] = {}
    parts = [None] if customer_ids is None else list(chunks(customer_ids))
    for part in parts:
        query = statement if part is None else statement.where(Contract.customer_id.in_(part))
        found.update({int(cid): int(days) for cid, days in session.execute(query)})
    return found


def load_inputs(
    session: Session, customer_ids: Collection[int], *, today: date, every: bool = False
) -> dict[int, LimitInputs]:
    """Inputs of ``customer_ids``; ``every`` reads statements and contracts without an id
    filter (faster when the ids are the whole book)."""
    ids = sorted(customer_ids)
    graded = risk_service.grades_of(session, ids)
    statements = _statements(session, None if every else ids, today)
    terms = _terms(session, None if every else ids, today)
    inputs: dict[int, LimitInputs] = {}
    for cid in ids:
        row = statements.get(cid)
        revenue = None
        if row is not None and row.revenue is not None:
            revenue = row.revenue * 12 // row.period_months
        inputs[cid] = LimitInputs(
            grade=graded.get(cid),
            statement_period_end=row.period_end if row is not None else None,
            statement_currency=row.currency if row is not None else None,
            equity=row.equity if row is not None else None,
            revenue=revenue,
            payment_terms_days=terms.get(cid),
        )
    return inputs
