"""The raw, point-in-time data the features read: one polars frame per ledger.

Amounts are Float64 in major units (yuan) and dates are ``pl.Date``. Every row carries the date
it became known (published, issued, paid, ordered, reported, occurred, assessed) so the features
can ignore what was not yet known at ``as_of``. Loaders (the ``risk`` area, tests, benchmarks)
build these frames; :meth:`Ledgers.validate` refuses a frame whose columns do not match, naming
the table and the column, rather than letting a wrong type surface later as a wrong feature.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace

import polars as pl

CUSTOMERS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64,
        "industry_code": pl.String,
        "region_code": pl.String,
        "established_on": pl.Date,
        "registered_capital": pl.Float64,
        "first_trade_on": pl.Date,
    }
)
STATEMENT_LINES: tuple[str, ...] = (
    "total_assets",
    "current_assets",
    "cash",
    "accounts_receivable",
    "inventory",
    "total_liabilities",
    "current_liabilities",
    "total_equity",
    "revenue",
    "net_profit",
    "interest_expense",
    "operating_cash_flow",
)
"""Flow lines (revenue … operating_cash_flow) are year to date over ``period_months``."""
STATEMENTS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64,
        "period_end": pl.Date,
        "period_months": pl.Int64,
        "published_on": pl.Date,
        **dict.fromkeys(STATEMENT_LINES, pl.Float64),
    }
)
INVOICES_SCHEMA = pl.Schema(
    {
        "invoice_id": pl.Int64,
        "customer_id": pl.Int64,
        "issue_date": pl.Date,
        "due_date": pl.Date,
        "amount": pl.Float64,
    }
)
ALLOCATIONS_SCHEMA = pl.Schema(
    {
        "invoice_id": pl.Int64,
        "customer_id": pl.Int64,
        "paid_on": pl.Date,
        "amount": pl.Float64,
    }
)
ORDERS_SCHEMA = pl.Schema(
    {"customer_id": pl.Int64, "ordered_on": pl.Date, "amount": pl.Float64},
)
CREDIT_REPORTS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64,
        "agency": pl.String,
        "report_date": pl.Date,
        "rating": pl.String,
        "score": pl.Float64,
    }
)
LEGAL_EVENTS_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64,
        "event_type": pl.String,
        "occurred_on": pl.Date,
        "amount": pl.Float64,
        "resolved_on": pl.Date,
    }
)
QUALITATIVE_QUESTIONS: tuple[str, ...] = (
    "market_reputation",
    "management_quality",
    "operational_risk",
    "compliance_concern",
)
"""Questionnaire questions; answers run from 1 (best) to 5 (worst)."""
QUALITATIVE_SCHEMA = pl.Schema(
    {
        "customer_id": pl.Int64,
        "question": pl.String,
        "answer": pl.Int64,
        "assessed_on": pl.Date,
    }
)
CREDIT_LIMITS_SCHEMA = pl.Schema({"customer_id": pl.Int64, "credit_limit": pl.Float64})

SCHEMAS: Mapping[str, pl.Schema] = {
    "customers": CUSTOMERS_SCHEMA,
    "statements": STATEMENTS_SCHEMA,
    "invoices": INVOICES_SCHEMA,
    "allocations": ALLOCATIONS_SCHEMA,
    "orders": ORDERS_SCHEMA,
    "credit_reports": CREDIT_REPORTS_SCHEMA,
    "legal_events": LEGAL_EVENTS_SCHEMA,
    "qualitative": QUALITATIVE_SCHEMA,
    "credit_limits": CREDIT_LIMITS_SCHEMA,
}
"""Table name → the columns and types :class:`Ledgers` requires of it."""


class LedgersError(ValueError):
    """A ledger frame does not have the columns or types the features need."""


def empty_frame(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[table])


@dataclass(frozen=True)
class Ledgers:
    """Everything the features of a set of customers may read, as of any date.

    Tables left out are empty (no statements, no credit limits, ...). Extra columns are allowed
    and ignored, so a loader can keep keys it needs for itself.
    """

    customers: pl.DataFrame = field(default_factory=lambda: empty_frame("customers"))
    statements: pl.DataFrame = field(default_factory=lambda: empty_frame("statements"))
    invoices: pl.DataFrame = field(default_factory=lambda: empty_frame("invoices"))
    allocations: pl.DataFrame = field(default_factory=lambda: empty_frame("allocations"))
    orders: pl.DataFrame = field(default_factory=lambda: empty_frame("orders"))
    credit_reports: pl.DataFrame = field(default_factory=lambda: empty_frame("credit_reports"))
    legal_events: pl.DataFrame = field(default_factory=lambda: empty_frame("legal_events"))
    qualitative: pl.DataFrame = field(default_factory=lambda: empty_frame("qualitative"))
    credit_limits: pl.DataFrame = field(default_factory=lambda: empty_frame("credit_limits"))

    @classmethod
    def empty(cls) -> Ledgers:
        return cls()

    def tables(self) -> dict[str, pl.DataFrame]:
        return {item.name: getattr(self, item.name) for item in fields(self)}

    def validate(self) -> Ledgers:
        """Return ``self`` when every table has the required columns and types and each customer
        appears once, else raise."""
        for table, frame in self.tables().items():
            actual = frame.schema
            for column, dtype in SCHEMAS[table].items():
                if column not in actual:
                    raise LedgersError(f"ledger {table}: column {column} is missing")
                if actual[column] != dtype:
                    raise LedgersError(
                        f"ledger {table}: column {column} has type {actual[column]}, "
                        f"expected {dtype}"
                    )
        ids = self.customers["customer_id"]
        if ids.null_count() or ids.n_unique() != len(ids):
            raise LedgersError("ledger customers: column customer_id must be unique and not null")
        return self

    def for_customers(self, customer_ids: Iterable[int]) -> Ledgers:
        """The part of every ledger that belongs to these customers (a partition for a worker)."""
        ids = pl.Series("customer_id", list(customer_ids), dtype=pl.Int64)
        return replace(
            self,
            **{
                table: frame.filter(pl.col("customer_id").is_in(ids.implode()))
                for table, frame in self.tables().items()
            },
        )
