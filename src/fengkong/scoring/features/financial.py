"""Financial ratios from the latest statement published by ``as_of``.

The latest statement is the one with the latest ``period_end`` among those published on or
before ``as_of`` (on a tie, the longer period). Flow lines are year to date, so ratios that set a
flow against a balance (ROA, ROE, cash flow to liabilities) annualise the flow by
``12 / period_months``; ratios of two flows (margin, coverage, growth) need no annualising. The
year-earlier statement for growth has the same ``period_months`` and a ``period_end`` in the same
calendar month one year before, and must itself be published by ``as_of``.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fengkong.scoring.features.windows import day_number, days

NAMES = (
    "debt_to_asset",
    "current_ratio",
    "quick_ratio",
    "net_profit_margin",
    "return_on_assets",
    "return_on_equity",
    "interest_coverage",
    "revenue_growth_yoy",
    "operating_cash_flow_to_liabilities",
    "equity_growth_yoy",
)


def _ratio(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """numerator / denominator, null unless the denominator is positive (a ratio over a negative
    or zero base has no meaningful reading)."""
    return pl.when(denominator > 0).then(numerator / denominator)


def _indexed(statements: pl.LazyFrame) -> pl.LazyFrame:
    return statements.with_columns(
        month_index=pl.col("period_end").dt.year() * 12 + pl.col("period_end").dt.month()
    )


def _ratios(chosen: pl.LazyFrame, known: pl.LazyFrame, *keys: str) -> pl.LazyFrame:
    """The ratios of each ``chosen`` statement, its year-earlier statement looked up among
    ``known``; ``keys`` are the columns kept to say which statement a row is."""
    year_earlier = (
        known.sort("period_end")
        .unique(["customer_id", "period_months", "month_index"], keep="last")
        .select(
            "customer_id",
            "period_months",
            (pl.col("month_index") + 12).alias("month_index"),
            pl.col("revenue").alias("revenue_before"),
            pl.col("total_equity").alias("total_equity_before"),
        )
    )
    annualise = 12.0 / pl.col("period_months")
    return chosen.join(
        year_earlier, on=["customer_id", "period_months", "month_index"], how="left"
    ).select(
        *keys,
        _ratio(pl.col("total_liabilities"), pl.col("total_assets")).alias("debt_to_asset"),
        _ratio(pl.col("current_assets"), pl.col("current_liabilities")).alias("current_ratio"),
        _ratio(pl.col("current_assets") - pl.col("inventory"), pl.col("current_liabilities")).alias(
            "quick_ratio"
        ),
        _ratio(pl.col("net_profit"), pl.col("revenue")).alias("net_profit_margin"),
        _ratio(pl.col("net_profit") * annualise, pl.col("total_assets")).alias("return_on_assets"),
        _ratio(pl.col("net_profit") * annualise, pl.col("total_equity")).alias("return_on_equity"),
        _ratio(pl.col("net_profit") + pl.col("interest_expense"), pl.col("interest_expense")).alias(
            "interest_coverage"
        ),
        (_ratio(pl.col("revenue"), pl.col("revenue_before")) - 1).alias("revenue_growth_yoy"),
        _ratio(pl.col("operating_cash_flow") * annualise, pl.col("total_liabilities")).alias(
            "operating_cash_flow_to_liabilities"
        ),
        (_ratio(pl.col("total_equity"), pl.col("total_equity_before")) - 1).alias(
            "equity_growth_yoy"
        ),
    )


def financial_features(statements: pl.DataFrame, as_of: date) -> pl.LazyFrame:
    published = _indexed(statements.lazy().filter(days("published_on") <= day_number(as_of)))
    latest = published.sort("customer_id", "period_end", "period_months").unique(
        "customer_id", keep="last", maintain_order=False
    )
    return _ratios(latest, published, "customer_id")


def statement_ratios(statements: pl.DataFrame) -> pl.DataFrame:
    """The ratios of every statement on its own, oldest period first: a customer's trend, by the
    formulas the scorecard reads. Of two statements ending the same day, the longer period
    stands (as for the features); growth compares with the year-earlier statement on file."""
    indexed = _indexed(statements.lazy())
    chosen = indexed.sort("customer_id", "period_end", "period_months").unique(
        ["customer_id", "period_end"], keep="last", maintain_order=False
    )
    keys = ("customer_id", "period_end", "period_months", "published_on")
    return _ratios(chosen, indexed, *keys).sort("customer_id", "period_end").collect()
