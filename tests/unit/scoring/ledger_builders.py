"""Build small Ledgers that read like the case they describe.

    ledgers = build(
        invoice(1, issued=date(2026, 1, 1), due=date(2026, 2, 1), amount=1000),
        payment(1, paid_on=date(2026, 2, 11), amount=1000),
    )

Every row belongs to customer 1 unless told otherwise; customers referenced by any row are added
with empty attributes unless a ``customer(...)`` row describes them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import polars as pl

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import compute_features
from fengkong.scoring.ledgers import SCHEMAS, STATEMENT_LINES, Ledgers

AS_OF = date(2026, 6, 30)


@dataclass(frozen=True)
class Row:
    table: str
    values: dict[str, Any]


def customer(
    customer_id: int = 1,
    *,
    industry_code: str | None = None,
    region_code: str | None = None,
    established_on: date | None = None,
    registered_capital: float | None = None,
    first_trade_on: date | None = None,
) -> Row:
    return Row("customers", {
        "customer_id": customer_id, "industry_code": industry_code, "region_code": region_code,
        "established_on": established_on, "registered_capital": registered_capital,
        "first_trade_on": first_trade_on,
    })  # fmt: skip


def statement(
    period_end: date,
    lines: Mapping[str, float | None] | None = None,
    *,
    period_months: int = 12,
    published_on: date | None = None,
    customer_id: int = 1,
) -> Row:
    """A statement published 90 days after its period end unless told otherwise; lines not
    given are null."""
    given = dict(lines or {})
    unknown = set(given) - set(STATEMENT_LINES)
    if unknown:
        raise ValueError(f"not statement lines: {sorted(unknown)}")
    return Row("statements", {
        "customer_id": customer_id, "period_end": period_end, "period_months": period_months,
        "published_on": published_on or period_end + timedelta(days=90),
        **{line: given.get(line) for line in STATEMENT_LINES},
    })  # fmt: skip


def invoice(
    invoice_id: int, *, issued: date, due: date, amount: float, customer_id: int = 1
) -> Row:
    return Row("invoices", {
        "invoice_id": invoice_id, "customer_id": customer_id, "issue_date": issued,
        "due_date": due, "amount": float(amount),
    })  # fmt: skip


def payment(invoice_id: int, *, paid_on: date, amount: float, customer_id: int = 1) -> Row:
    """A payment allocated to one invoice."""
    return Row("allocations", {
        "invoice_id": invoice_id, "customer_id": customer_id, "paid_on": paid_on,
        "amount": float(amount),
    })  # fmt: skip


def order(ordered_on: date, amount: float = 1000.0, *, customer_id: int = 1) -> Row:
    return Row("orders", {
        "customer_id": customer_id, "ordered_on": ordered_on, "amount": float(amount),
    })  # fmt: skip


def report(
    agency: str,
    report_date: date,
    rating: str | None,
    *,
    score: float | None = None,
    customer_id: int = 1,
) -> Row:
    return Row("credit_reports", {
        "customer_id": customer_id, "agency": agency, "report_date": report_date,
        "rating": rating, "score": score,
    })  # fmt: skip


def legal_event(
    event_type: str,
    occurred_on: date,
    *,
    amount: float | None = None,
    resolved_on: date | None = None,
    customer_id: int = 1,
) -> Row:
    return Row("legal_events", {
        "customer_id": customer_id, "event_type": event_type, "occurred_on": occurred_on,
        "amount": amount, "resolved_on": resolved_on,
    })  # fmt: skip


def answer(question: str, value: int, assessed_on: date, *, customer_id: int = 1) -> Row:
    return Row("qualitative", {
        "customer_id": customer_id, "question": question, "answer": value,
        "assessed_on": assessed_on,
    })  # fmt: skip


def credit_limit(amount: float, *, customer_id: int = 1) -> Row:
    return Row("credit_limits", {"customer_id": customer_id, "credit_limit": float(amount)})


def build(*rows: Row) -> Ledgers:
    by_table: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_table[row.table].append(row.values)
    described = {values["customer_id"] for values in by_table["customers"]}
    referenced = {row.values["customer_id"] for row in rows} | ({1} if not rows else set())
    for customer_id in sorted(referenced - described):
        by_table["customers"].append(customer(customer_id).values)
    return Ledgers(
        **{
            table: pl.DataFrame(by_table[table], schema=schema, orient="row")
            if by_table[table]
            else pl.DataFrame(schema=schema)
            for table, schema in SCHEMAS.items()
        }
    ).validate()


def features(
    ledgers: Ledgers,
    as_of: date = AS_OF,
    *,
    customer_id: int = 1,
    context: ContextTables | None = None,
) -> dict[str, float | None]:
    """The features of one customer as a name → value mapping (None = missing)."""
    frame = compute_features(ledgers, as_of, context or ContextTables.default())
    rows = frame.filter(pl.col("customer_id") == customer_id).to_dicts()
    assert len(rows) == 1, f"expected one row for customer {customer_id}, got {len(rows)}"
    return {name: value for name, value in rows[0].items() if name != "customer_id"}
