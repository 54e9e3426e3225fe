"""A seeded synthetic book of many customers with rows in every ledger, for checks that need
volume rather than hand-computed cases (partitioning, engines).

Gaps are deliberate so that features come out missing for some customers: about one in ten has
no invoices, no statements or an unknown registered capital, statement lines are null now and
then, and some customers are dishonest debtors (a knock-out).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import polars as pl

from fengkong.scoring.features.external import RATING_NOTCHES
from fengkong.scoring.features.windows import day_number
from fengkong.scoring.ledgers import QUALITATIVE_QUESTIONS, SCHEMAS, STATEMENT_LINES, Ledgers

HISTORY_DAYS = 3 * 365


def _frame(table: str, columns: dict[str, Any]) -> pl.DataFrame:
    frame = pl.DataFrame(columns)
    return frame.with_columns(
        pl.col(name).fill_nan(None) for name, dtype in frame.schema.items() if dtype.is_float()
    ).cast(dict(SCHEMAS[table]))  # type: ignore[arg-type]


def _dates(days: Any) -> pl.Series:
    return pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)


def synthetic_book(customers: int, *, as_of: date, seed: int, invoices_each: int = 20) -> Ledgers:
    """``customers`` customers (ids 1, 3, 5, …: not contiguous) with about ``invoices_each``
    invoices each over the three years before ``as_of``, and some rows dated after it."""
    rng = np.random.default_rng(seed)
    today = day_number(as_of)
    start = today - HISTORY_DAYS
    ids = np.arange(1, 2 * customers, 2, dtype=np.int64)
    quality = rng.beta(2.0, 5.0, customers)  # 0 = excellent payer, 1 = very poor
    sections = np.array(list("ABCDEFGHIJKLMNOPQRST"))
    customer_frame = _frame(
        "customers",
        {
            "customer_id": ids,
            "industry_code": sections[rng.integers(0, 20, customers)],
            "region_code": rng.choice(
                np.array(["110100", "440300", "510100", "620100"]), customers
            ),
            "established_on": _dates(today - rng.integers(200, 30 * 365, customers)),
            "registered_capital": np.where(
                rng.random(customers) < 0.1, np.nan, rng.lognormal(15, 1.5, customers)
            ),
            "first_trade_on": _dates(start + rng.integers(0, 200, customers)),
        },
    )

    trading = rng.random(customers) >= 0.1
    owner_index = np.repeat(np.flatnonzero(trading), invoices_each)
    count = owner_index.size
    issued = rng.integers(start, today + 60, count)  # some issued after as_of
    due = issued + rng.choice(np.array([30, 60, 90]), count)
    amount = np.round(rng.lognormal(10, 1.2, count), 2)
    late = rng.exponential(2 + 80 * quality[owner_index] ** 2) - rng.integers(0, 15, count)
    paid_on = due + np.round(late).astype(np.int64)
    paid = rng.random(count) < 0.9
    invoice_ids = np.arange(1, count + 1, dtype=np.int64)
    invoice_frame = _frame(
        "invoices",
        {
            "invoice_id": invoice_ids,
            "customer_id": ids[owner_index],
            "issue_date": _dates(issued),
            "due_date": _dates(due),
            "amount": amount,
        },
    )
    allocation_frame = _frame(
        "allocations",
        {
            "invoice_id": invoice_ids[paid],
            "customer_id": ids[owner_index][paid],
            "paid_on": _dates(paid_on[paid]),
            "amount": amount[paid],
        },
    )

    reporting = np.flatnonzero(rng.random(customers) >= 0.1)
    quarters = 12
    period_end = np.tile(today - 30 - 91 * np.arange(quarters)[::-1], reporting.size)
    statement_owner = np.repeat(reporting, quarters)
    size = rng.lognormal(17, 1.2, customers)[statement_owner]
    gaps = rng.random((len(STATEMENT_LINES), size.size)) < 0.05
    lines = {
        name: np.where(gaps[n], np.nan, size * rng.uniform(0.05, 1.0, size.shape))
        for n, name in enumerate(STATEMENT_LINES)
    }
    lines["total_liabilities"] = lines["total_assets"] * (0.3 + 0.6 * quality[statement_owner])
    statement_frame = _frame(
        "statements",
        {
            "customer_id": ids[statement_owner],
            "period_end": _dates(period_end),
            "period_months": np.tile(np.array([3, 6, 9, 12] * (quarters // 4)), reporting.size),
            "published_on": _dates(period_end + rng.integers(20, 120, period_end.shape)),
            **lines,
        },
    )

    orders = customers * 8
    order_frame = _frame(
        "orders",
        {
            "customer_id": ids[rng.integers(0, customers, orders)],
            "ordered_on": _dates(rng.integers(start, today + 30, orders)),
            "amount": np.round(rng.lognormal(10.5, 1.2, orders), 2),
        },
    )
    notches = np.array(list(RATING_NOTCHES))
    report_frame = _frame(
        "credit_reports",
        {
            "customer_id": np.repeat(ids, 2),
            "agency": np.tile(np.array(["中诚信国际", "大公国际"]), customers),
            "report_date": _dates(rng.integers(start, today + 1, 2 * customers)),
            "rating": notches[
                np.clip(np.repeat(quality, 2) * 20 + rng.normal(0, 2, 2 * customers), 0, 21).astype(
                    int
                )
            ],
            "score": rng.uniform(0, 100, 2 * customers),
        },
    )
    events = customers // 4
    occurred = rng.integers(start, today + 1, events)
    kinds = np.array(["lawsuit", "judgment", "enforcement", "dishonest_debtor", "asset_freeze"])
    legal_frame = _frame(
        "legal_events",
        {
            "customer_id": ids[rng.integers(0, customers, events)],
            "event_type": kinds[rng.integers(0, kinds.size, events)],
            "occurred_on": _dates(occurred),
            "amount": np.where(rng.random(events) < 0.2, np.nan, rng.lognormal(12, 1.5, events)),
            "resolved_on": _dates(occurred + rng.integers(30, 400, events)),
        },
    )
    questions = np.array(QUALITATIVE_QUESTIONS)
    answered = np.flatnonzero(rng.random(customers) < 0.5)
    qualitative_frame = _frame(
        "qualitative",
        {
            "customer_id": np.repeat(ids[answered], questions.size),
            "question": np.tile(questions, answered.size),
            "answer": rng.integers(1, 6, answered.size * questions.size),
            "assessed_on": _dates(rng.integers(start, today + 1, answered.size * questions.size)),
        },
    )
    limited = np.flatnonzero(rng.random(customers) < 0.7)
    limit_frame = _frame(
        "credit_limits",
        {
            "customer_id": ids[limited],
            "credit_limit": np.round(rng.lognormal(14, 1, limited.size), -3),
        },
    )
    return Ledgers(
        customers=customer_frame,
        statements=statement_frame,
        invoices=invoice_frame,
        allocations=allocation_frame,
        orders=order_frame,
        credit_reports=report_frame,
        legal_events=legal_frame,
        qualitative=qualitative_frame,
        credit_limits=limit_frame,
    ).validate()
