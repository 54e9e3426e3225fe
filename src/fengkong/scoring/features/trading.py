"""Trading relationship: order trends, relationship age and credit limit utilisation.

Order trends compare the last 3 months with the same 3 months a year earlier rather than with
the 3 months just before: trade in many industries is seasonal (construction slows over the
Spring Festival), and a seasonal dip is not a deteriorating customer.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fengkong.scoring.features.windows import DAYS_PER_YEAR, day_number, days, months_before, within

NAMES = ("order_count_trend", "order_amount_trend", "relationship_age_years", "limit_utilisation")
TREND_MONTHS = 3


def trading_features(
    customers: pl.DataFrame,
    invoices: pl.DataFrame,
    orders: pl.DataFrame,
    credit_limits: pl.DataFrame,
    open_receivables: pl.LazyFrame,
    as_of: date,
) -> pl.LazyFrame:
    """``open_receivables``: customer_id and the open amount at ``as_of`` (payment features)."""
    today = day_number(as_of)
    recent = within("ordered_on", months_before(as_of, TREND_MONTHS), as_of)
    year_ago_end = months_before(as_of, 12)
    year_ago = within("ordered_on", months_before(year_ago_end, TREND_MONTHS), year_ago_end)
    order_trends = (
        orders.lazy()
        .filter(recent | year_ago)
        .group_by("customer_id")
        .agg(
            recent_count=recent.sum(),
            base_count=year_ago.sum(),
            recent_amount=pl.col("amount").filter(recent).sum(),
            base_amount=pl.col("amount").filter(year_ago).sum(),
        )
        .select(
            "customer_id",
            pl.when(pl.col("base_count") > 0)
            .then(pl.col("recent_count") / pl.col("base_count") - 1)
            .alias("order_count_trend"),
            pl.when(pl.col("base_amount") > 0)
            .then(pl.col("recent_amount") / pl.col("base_amount") - 1)
            .alias("order_amount_trend"),
        )
    )
    first_trades = pl.concat(
        [
            customers.lazy().select("customer_id", days("first_trade_on").alias("traded")),
            invoices.lazy().select("customer_id", days("issue_date").alias("traded")),
            orders.lazy().select("customer_id", days("ordered_on").alias("traded")),
        ]
    )
    relationship = (
        first_trades.filter(pl.col("traded") <= today)
        .group_by("customer_id")
        .agg(first=pl.col("traded").min())
        .select(
            "customer_id",
            ((today - pl.col("first")) / DAYS_PER_YEAR).alias("relationship_age_years"),
        )
    )
    utilisation = (
        credit_limits.lazy()
        .join(open_receivables, on="customer_id", how="left")
        .select(
            "customer_id",
            pl.when(pl.col("credit_limit") > 0)
            .then(pl.col("open_receivables").fill_null(0.0) / pl.col("credit_limit"))
            .alias("limit_utilisation"),
        )
    )
    return (
        customers.lazy()
        .select("customer_id")
        .join(order_trends, on="customer_id", how="left")
        .join(relationship, on="customer_id", how="left")
        .join(utilisation, on="customer_id", how="left")
    )
