"""Calendar windows ending at ``as_of``, computed once per run as scalars.

A window of N months is ``(months_before(as_of, N), as_of]``: it excludes its start date and
includes ``as_of``, so consecutive windows never count a day twice. Dates compare as day
numbers (days since 1970-01-01): integer arithmetic over millions of rows is what polars does
fastest.
"""

from __future__ import annotations

import calendar
from datetime import date

import polars as pl

EPOCH = date(1970, 1, 1)
DAYS_PER_YEAR = 365.25


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def day_number(day: date) -> int:
    return (day - EPOCH).days


def days(column: str) -> pl.Expr:
    """A date column as day numbers (Int32), comparable with :func:`day_number`."""
    return pl.col(column).cast(pl.Int32)


def within(column: str, start: date, end: date) -> pl.Expr:
    """``start < column <= end``."""
    return (days(column) > day_number(start)) & (days(column) <= day_number(end))
