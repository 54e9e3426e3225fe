"""Outside views of the customer: agency ratings and legal events from court and registry data.

Ratings map to an ordinal where each letter grade is one step — AAA 1, AA 2, A 3, BBB 4, BB 5,
B 6, CCC 7, CC 8, C 9, D 10 — and a ``+`` or ``-`` modifier moves a third of a step (AA+ 1⅔,
AA- 2⅓), so a larger number is always worse and a one-notch downgrade is +⅓. Ratings the scale
does not know (an agency's own score bands, short-term ratings) are skipped rather than guessed.
The legal-events register is taken as complete: a customer without events has a count of 0 and
flags of 0, which is what the register says.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from fengkong.scoring.features.windows import day_number, days, months_before, within

NAMES = (
    "agency_rating_ordinal",
    "agency_rating_change",
    "legal_events_24m",
    "legal_amount_24m",
    "enforcement_flag",
    "dishonest_debtor_flag",
)
LEGAL_WINDOW_MONTHS = 24

_GRADES = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "CC", "C", "D")
_MODIFIED = frozenset({"AA", "A", "BBB", "BB", "B", "CCC"})
RATING_NOTCHES: dict[str, float] = {
    grade + modifier: step + shift
    for step, grade in enumerate(_GRADES, start=1)
    for modifier, shift in (("+", -1 / 3), ("", 0.0), ("-", 1 / 3))
    if not modifier or grade in _MODIFIED
}
"""Rating → ordinal for the long-term issuer ratings of Chinese (中诚信, 联合, 大公) and
international agencies, notch by notch from best (AAA) to worst (D)."""

ENFORCEMENT_TYPES = ("enforcement", "dishonest_debtor")
DISHONEST_DEBTOR = "dishonest_debtor"


def rating_ordinal(ratings: pl.Expr) -> pl.Expr:
    """The ordinal of each rating string (null when unknown); tolerant of case, spaces and
    full-width signs as they come from scanned or hand-typed reports."""
    normalised = (
        ratings.str.strip_chars()
        .str.to_uppercase()
        .str.replace_all("＋", "+", literal=True)
        .str.replace_all("－", "-", literal=True)
        .str.replace_all("−", "-", literal=True)
    )
    return normalised.replace_strict(RATING_NOTCHES, default=None, return_dtype=pl.Float64)


def rating_features(credit_reports: pl.DataFrame, as_of: date) -> pl.LazyFrame:
    """Latest rating by ``as_of`` (on the same day, the worst agency's), and its change against
    the previous rating of the same agency."""
    rated = (
        credit_reports.lazy()
        .filter(days("report_date") <= day_number(as_of))
        .with_columns(ordinal=rating_ordinal(pl.col("rating")))
        .filter(pl.col("ordinal").is_not_null())
        .sort("customer_id", "agency", "report_date")
        .with_columns(
            previous=pl.col("ordinal").shift(1).over(["customer_id", "agency"]),
        )
    )
    return (
        rated.sort("customer_id", "report_date", "ordinal")
        .group_by("customer_id")
        .agg(
            agency_rating_ordinal=pl.col("ordinal").last(),
            agency_rating_change=(pl.col("ordinal") - pl.col("previous")).last(),
        )
    )


def legal_features(legal_events: pl.DataFrame, as_of: date) -> pl.LazyFrame:
    today = day_number(as_of)
    in_window = within("occurred_on", months_before(as_of, LEGAL_WINDOW_MONTHS), as_of)
    unresolved = (days("occurred_on") <= today) & (
        pl.col("resolved_on").is_null() | (days("resolved_on") > today)
    )
    window_amounts = pl.col("amount").filter(in_window)
    return (
        legal_events.lazy()
        .filter(days("occurred_on") <= today)
        .group_by("customer_id")
        .agg(
            legal_events_24m=in_window.sum().cast(pl.Float64),
            legal_amount_24m=pl.when(in_window.sum() == 0)
            .then(0.0)
            .when(window_amounts.count() > 0)
            .then(window_amounts.sum()),
            enforcement_flag=(unresolved & pl.col("event_type").is_in(ENFORCEMENT_TYPES))
            .any()
            .cast(pl.Float64),
            dishonest_debtor_flag=(unresolved & (pl.col("event_type") == DISHONEST_DEBTOR))
            .any()
            .cast(pl.Float64),
        )
    )


def external_features(
    customers: pl.DataFrame, credit_reports: pl.DataFrame, legal_events: pl.DataFrame, as_of: date
) -> pl.LazyFrame:
    no_events = {name: 0.0 for name in NAMES[2:]}
    return (
        customers.lazy()
        .select("customer_id")
        .join(rating_features(credit_reports, as_of), on="customer_id", how="left")
        .join(legal_features(legal_events, as_of), on="customer_id", how="left")
        .with_columns(
            pl.col(name).fill_null(value)
            for name, value in no_events.items()
            if name != "legal_amount_24m"
        )
        .with_columns(
            pl.when(pl.col("legal_events_24m") == 0)
            .then(0.0)
            .otherwise(pl.col("legal_amount_24m"))
            .alias("legal_amount_24m")
        )
    )
