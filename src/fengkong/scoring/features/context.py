"""Context of the customer: its industry, region, age and size, from the customer record."""

from __future__ import annotations

from datetime import date

import polars as pl

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features.windows import DAYS_PER_YEAR, day_number, days

NAMES = ("industry_risk_level", "region_risk_level", "years_established", "registered_capital")


def context_features(customers: pl.DataFrame, as_of: date, tables: ContextTables) -> pl.LazyFrame:
    today = day_number(as_of)
    return customers.lazy().select(
        "customer_id",
        tables.industry_level(pl.col("industry_code")).alias("industry_risk_level"),
        tables.region_level(pl.col("region_code")).alias("region_risk_level"),
        pl.when(days("established_on") <= today)
        .then((today - days("established_on")) / DAYS_PER_YEAR)
        .alias("years_established"),
        pl.col("registered_capital"),
    )
