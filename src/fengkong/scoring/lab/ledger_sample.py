"""Training data from Fengkong's own ledgers: one row per customer and month-end observation date.

Each row holds the features of the feature library as they stood on the observation date
(``compute_features(ledgers, as_of=observation_date, context)``) and a label: bad (1) when the
customer *first* reaches ``dpd_threshold`` days past due on some invoice within the performance
window ``(observation date, observation date + performance_months]``, good (0) otherwise.

- **Default date.** An invoice reaches the threshold on ``due_date + dpd_threshold`` when more
  than a residue of it is still open at the end of that day (payments allocated on or before it
  count). A residue is at most ``residue_share`` of the invoice amount or ``residue_amount`` yuan,
  whichever is larger, so rounding differences and small unpaid deductions do not make a default.
  A customer's first default date is the earliest over its invoices.
- **Exclusions.** A customer already in default on the observation date (first default on or
  before it) is left out of that date and every later one: its outcome is known, and the model
  is for performing customers. Only the first default counts; a cured customer does not return.
  A customer without a trade (invoice or order) by the observation date is left out too: the
  sample is of customers we had credit exposure to.
- **Observation dates** are month ends from ``first_observation`` to ``last_observation``; by
  default every month end from the first trade in the ledgers whose whole performance window
  ends on or before ``known_until`` (the date the ledgers were read as of), so no label is cut
  short. A later ``last_observation`` is refused for the same reason.
- **Credit limits** carry no date in the ledgers (only today's limit is known, and limits are
  cut after a default), so the sample reads none: ``limit_utilisation`` comes out missing and
  the lab drops it. Customer attributes (industry, region, capital) are as recorded now.

The **leakage guard** :func:`assert_point_in_time` recomputes the features on the ledgers cut
down to what was known on a date (:func:`known_on`) and raises :class:`LeakageError`, naming the
feature and a customer, when any value differs from the features computed on the full ledgers.
The sample builder runs it on the first observation date (the most data lies after it) and the
last, so training never silently learns from the future.

The table is the lab's :class:`LabelledTable`, its date column the observation date, so the
stratified K-fold and the out-of-time backtest of ``lab.validation`` apply unchanged; feature
columns carry the feature library's names, so a trained model can score live features.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import FEATURE_NAMES, compute_features
from fengkong.scoring.lab.data import IntArray, LabelledTable, LabError, labelled_table
from fengkong.scoring.ledgers import Ledgers, empty_frame

DATE_COLUMN = "observation_date"
ID_COLUMN = "customer_id"
BAD_VALUE = "1"
_WINDOW_END = "window_end"
_TOLERANCE = 1e-9

# Every dated column of the ledgers: the latest of them is the last date the ledgers know of.
_DATED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("statements", "published_on"),
    ("invoices", "issue_date"),
    ("allocations", "paid_on"),
    ("orders", "ordered_on"),
    ("credit_reports", "report_date"),
    ("legal_events", "occurred_on"),
    ("qualitative", "assessed_on"),
)


class LeakageError(LabError):
    """A feature read data dated after the observation date; ``column`` names the feature."""

    def __init__(
        self,
        *,
        feature: str,
        customer_id: int,
        as_of: date,
        full_value: float | None,
        known_value: float | None,
    ) -> None:
        super().__init__(
            f"feature {feature} reads data dated after {as_of.isoformat()}: for customer "
            f"{customer_id} it is {_shown(full_value)} on the full ledgers but "
            f"{_shown(known_value)} on what was known on {as_of.isoformat()}",
            column=feature,
        )
        self.feature = feature
        self.customer_id = customer_id
        self.as_of = as_of


@dataclass(frozen=True, slots=True)
class SampleSettings:
    """How the ledger sample is drawn; the defaults are the issue's (90+ days past due within
    12 months) and a 1 % residue."""

    dpd_threshold: int = 90
    performance_months: int = 12
    first_observation: date | None = None
    last_observation: date | None = None
    residue_share: float = 0.01
    residue_amount: float = 0.0
    check_leakage: bool = True

    def __post_init__(self) -> None:
        if self.dpd_threshold < 1:
            raise LabError("the days-past-due threshold must be at least 1")
        if self.performance_months < 1:
            raise LabError("the performance window must be at least one month")
        if not 0 <= self.residue_share < 1:
            raise LabError("the residue share must lie in [0, 1)")
        if self.residue_amount < 0:
            raise LabError("the residue amount must not be negative")
        first, last = self.first_observation, self.last_observation
        if first is not None and last is not None and first > last:
            raise LabError(f"the first observation {first} is after the last {last}")

    @property
    def target(self) -> str:
        """The label's name, which says what it means."""
        return f"dpd{self.dpd_threshold}_within_{self.performance_months}m"


@dataclass(frozen=True, slots=True)
class LedgerSample:
    """The labelled table and the facts a validator asks about it.

    ``customer_ids`` lines up with the table's rows; ``by_observation`` holds the rows and bads
    of each observation date. ``current`` holds the features on ``known_until`` of the customers
    that would be sampled then (traded, not in default): the recent population to measure a
    model's stability against.
    """

    table: LabelledTable
    customer_ids: IntArray
    settings: SampleSettings
    known_until: date
    observation_dates: tuple[date, ...]
    by_observation: tuple[tuple[date, int, int], ...]
    excluded_in_default: int
    excluded_without_trade: int
    leakage_checked: tuple[date, ...]
    current: pd.DataFrame

    def describe(self) -> dict[str, Any]:
        """The sample as JSON, for the validation summary and the model registry."""
        settings = self.settings
        return {
            "source": "ledgers",
            "target": settings.target,
            "dpd_threshold": settings.dpd_threshold,
            "performance_months": settings.performance_months,
            "residue_share": settings.residue_share,
            "residue_amount": settings.residue_amount,
            "known_until": self.known_until.isoformat(),
            "first_observation": self.observation_dates[0].isoformat(),
            "last_observation": self.observation_dates[-1].isoformat(),
            "observation_dates": len(self.observation_dates),
            "n_observations": self.table.n_rows,
            "n_customers": int(np.unique(self.customer_ids).size),
            "n_bad": self.table.n_bad,
            "bad_rate": self.table.bad_rate,
            "excluded_in_default": self.excluded_in_default,
            "excluded_without_trade": self.excluded_without_trade,
            "leakage_checked": [day.isoformat() for day in self.leakage_checked],
            "by_observation": [
                {"observation_date": day.isoformat(), "n_rows": rows, "n_bad": bads}
                for day, rows, bads in self.by_observation
            ],
        }


def build_ledger_sample(
    ledgers: Ledgers,
    context: ContextTables,
    settings: SampleSettings | None = None,
    *,
    known_until: date | None = None,
) -> LedgerSample:
    """The labelled sample of ``ledgers`` (see the module docstring for every rule).

    ``known_until`` is the date the ledgers were read as of (default: their latest dated row).
    """
    settings = settings or SampleSettings()
    ledgers = replace(ledgers.validate(), credit_limits=empty_frame("credit_limits"))
    last_known = known_until or last_known_date(ledgers)
    people = first_trades(ledgers).join(
        first_defaults(
            ledgers,
            dpd_threshold=settings.dpd_threshold,
            residue_share=settings.residue_share,
            residue_amount=settings.residue_amount,
            known_until=last_known,
        ),
        on=ID_COLUMN,
        how="left",
    )
    earliest = people["first_trade_on"].min()
    if not isinstance(earliest, date):
        raise LabError("the ledgers hold no trade (no invoice or order): nothing to learn from")
    dates = observation_dates(earliest, last_known, settings)
    grid = people.join(
        pl.DataFrame(
            {
                DATE_COLUMN: dates,
                _WINDOW_END: [_month_end(day, settings.performance_months) for day in dates],
            },
            schema={DATE_COLUMN: pl.Date, _WINDOW_END: pl.Date},
        ),
        how="cross",
    ).with_columns(
        traded=pl.col("first_trade_on") <= pl.col(DATE_COLUMN),
        in_default=(pl.col("defaulted_on") <= pl.col(DATE_COLUMN)).fill_null(False),
    )
    traded, in_default = pl.col("traded").fill_null(False), pl.col("in_default")
    excluded_without_trade = grid.filter(~traded).height
    excluded_in_default = grid.filter(traded & in_default).height
    rows = grid.filter(traded & ~in_default).select(
        ID_COLUMN,
        DATE_COLUMN,
        pl.col("defaulted_on").le(pl.col(_WINDOW_END)).fill_null(False).cast(pl.Int8).alias("bad"),
    )
    if not rows["bad"].sum():
        raise LabError(
            f"no customer reached {settings.dpd_threshold} days past due within "
            f"{settings.performance_months} months of an observation date from {dates[0]} to "
            f"{dates[-1]} ({rows.height} observations): a model needs bads to learn from"
        )

    features_by_date = {day: compute_features(ledgers, day, context) for day in dates}
    checked = _leakage_dates(dates) if settings.check_leakage else ()
    for day in checked:
        assert_point_in_time(ledgers, day, context, features=features_by_date[day])
    features = pl.concat(
        [
            frame.with_columns(pl.lit(day, dtype=pl.Date).alias(DATE_COLUMN))
            for day, frame in features_by_date.items()
        ]
    )
    sample = rows.join(features, on=[ID_COLUMN, DATE_COLUMN], how="left").sort(
        DATE_COLUMN, ID_COLUMN
    )
    table = labelled_table(
        _pandas(sample.rename({"bad": settings.target})),
        target=settings.target,
        bad_value=BAD_VALUE,
        date_column=DATE_COLUMN,
        exclude=(ID_COLUMN,),
    )
    return LedgerSample(
        table=table,
        customer_ids=sample[ID_COLUMN].to_numpy().astype(np.int64),
        settings=settings,
        known_until=last_known,
        observation_dates=tuple(dates),
        by_observation=tuple(
            sample.group_by(DATE_COLUMN)
            .agg(pl.len(), pl.col("bad").sum())
            .sort(DATE_COLUMN)
            .iter_rows()
        ),
        excluded_in_default=excluded_in_default,
        excluded_without_trade=excluded_without_trade,
        leakage_checked=tuple(checked),
        current=_current_features(ledgers, people, last_known, context),
    )


def observation_dates(first_trade: date, known_until: date, settings: SampleSettings) -> list[date]:
    """Month ends from the first observation (default: the first trade's month) to the last
    (default: the last whose performance window ends by ``known_until``)."""
    latest = _month_end(known_until, 0)
    if latest > known_until:
        latest = _month_end(known_until, -1)
    latest = _month_end(latest, -settings.performance_months)
    last = latest
    if settings.last_observation is not None:
        last = _month_end(settings.last_observation, 0)
        if last > settings.last_observation:
            last = _month_end(last, -1)
        if last > latest:
            raise LabError(
                f"the performance window of the observation date {last} ends after "
                f"{known_until}, the last date the ledgers know: its labels would be cut short "
                f"(the latest observation date possible is {latest})"
            )
    first = _month_end(settings.first_observation or first_trade, 0)
    if first > last:
        raise LabError(
            f"no month end from {first} leaves a full {settings.performance_months}-month "
            f"performance window before {known_until}: the ledgers are too short or the "
            "observation dates too late"
        )
    dates = [first]
    while dates[-1] < last:
        dates.append(_month_end(dates[-1], 1))
    return dates


def first_trades(ledgers: Ledgers) -> pl.DataFrame:
    """``customer_id`` and ``first_trade_on`` (null without a trade) of every customer: the
    earliest of the recorded first trade, invoice issue date and order date."""
    trades = pl.concat(
        [
            ledgers.customers.select(ID_COLUMN, day=pl.col("first_trade_on")),
            ledgers.invoices.select(ID_COLUMN, day=pl.col("issue_date")),
            ledgers.orders.select(ID_COLUMN, day=pl.col("ordered_on")),
        ]
    )
    first = trades.group_by(ID_COLUMN).agg(first_trade_on=pl.col("day").min())
    return ledgers.customers.select(ID_COLUMN).join(first, on=ID_COLUMN, how="left")


def first_defaults(
    ledgers: Ledgers,
    *,
    dpd_threshold: int,
    residue_share: float,
    residue_amount: float,
    known_until: date,
) -> pl.DataFrame:
    """``customer_id`` and ``defaulted_on`` of every customer that reached ``dpd_threshold``
    days past due on an invoice by ``known_until`` (see the module docstring)."""
    reached = (
        ledgers.invoices.filter(pl.col("amount") > 0)
        .select(
            "invoice_id",
            ID_COLUMN,
            "amount",
            (pl.col("due_date") + pl.duration(days=dpd_threshold)).alias("reached_on"),
        )
        .filter(pl.col("reached_on") <= known_until)
    )
    paid = (
        reached.select("invoice_id", "reached_on")
        .join(ledgers.allocations.select("invoice_id", "paid_on", "amount"), on="invoice_id")
        .filter(pl.col("paid_on") <= pl.col("reached_on"))
        .group_by("invoice_id")
        .agg(paid=pl.col("amount").sum())
    )
    residue = pl.max_horizontal(pl.col("amount") * residue_share, pl.lit(residue_amount))
    return (
        reached.join(paid, on="invoice_id", how="left")
        .filter(pl.col("amount") - pl.col("paid").fill_null(0.0) > residue)
        .group_by(ID_COLUMN)
        .agg(defaulted_on=pl.col("reached_on").min())
    )


def last_known_date(ledgers: Ledgers) -> date:
    """The latest date on any dated row of the ledgers."""
    latest = [
        day
        for table, column in _DATED_COLUMNS
        if isinstance(day := getattr(ledgers, table)[column].max(), date)
    ]
    if not latest:
        raise LabError("the ledgers hold no dated rows")
    return max(latest)


def known_on(ledgers: Ledgers, as_of: date) -> Ledgers:
    """The ledgers as they stood on ``as_of``: every row dated after it removed, a first trade
    or a legal event's resolution after it unknown. Credit limits carry no date and stay."""
    invoices = ledgers.invoices.filter(pl.col("issue_date") <= as_of)
    unknown_after = {
        "customers": ("first_trade_on",),
        "legal_events": ("resolved_on",),
    }
    cut = {
        table: getattr(ledgers, table).filter(pl.col(column) <= as_of)
        for table, column in _DATED_COLUMNS
    }
    cut["invoices"] = invoices
    cut["allocations"] = cut["allocations"].join(
        invoices.select("invoice_id"), on="invoice_id", how="semi"
    )
    for table, columns in unknown_after.items():
        frame = cut.get(table, getattr(ledgers, table))
        cut[table] = frame.with_columns(
            pl.when(pl.col(column) <= as_of).then(pl.col(column)).alias(column)
            for column in columns
        )
    return replace(ledgers, **cut)


def assert_point_in_time(
    ledgers: Ledgers,
    as_of: date,
    context: ContextTables,
    *,
    features: pl.DataFrame | None = None,
) -> None:
    """Raise :class:`LeakageError` unless the features as of ``as_of`` are the same on the full
    ledgers and on :func:`known_on` them. ``features``: those of the full ledgers, when the
    caller has computed them already."""
    full = features if features is not None else compute_features(ledgers, as_of, context)
    known = compute_features(known_on(ledgers, as_of), as_of, context)
    customers = full[ID_COLUMN].to_numpy()
    if not np.array_equal(customers, known[ID_COLUMN].to_numpy()):
        raise LabError(f"the features as of {as_of} do not cover the same customers twice")
    for name in FEATURE_NAMES:
        seen = full[name].to_numpy().astype(np.float64)
        then = known[name].to_numpy().astype(np.float64)
        missing_seen, missing_then = np.isnan(seen), np.isnan(then)
        both = ~missing_seen & ~missing_then
        differs = (missing_seen != missing_then) | (
            both & ~np.isclose(seen, then, rtol=_TOLERANCE, atol=_TOLERANCE, equal_nan=True)
        )
        if differs.any():
            row = int(np.flatnonzero(differs)[0])
            raise LeakageError(
                feature=name,
                customer_id=int(customers[row]),
                as_of=as_of,
                full_value=None if missing_seen[row] else float(seen[row]),
                known_value=None if missing_then[row] else float(then[row]),
            )


def _leakage_dates(dates: list[date]) -> tuple[date, ...]:
    """The first observation date (the most data lies after it) and the last."""
    return tuple(dict.fromkeys((dates[0], dates[-1])))


def _current_features(
    ledgers: Ledgers, people: pl.DataFrame, day: date, context: ContextTables
) -> pd.DataFrame:
    performing = people.filter(
        (pl.col("first_trade_on") <= day) & ~(pl.col("defaulted_on") <= day).fill_null(False)
    ).select(ID_COLUMN)
    current = compute_features(ledgers, day, context).join(performing, on=ID_COLUMN, how="semi")
    return _pandas(current.select(FEATURE_NAMES))


def _pandas(frame: pl.DataFrame) -> pd.DataFrame:
    """A polars frame as pandas without pyarrow: nulls become NaN, dates datetime64[D]."""
    columns: dict[str, Any] = {}
    for name, dtype in frame.schema.items():
        series = frame[name]
        if dtype == pl.Date:
            columns[name] = series.to_numpy().astype("datetime64[D]")
        elif dtype.is_float():
            columns[name] = series.to_numpy().astype(np.float64)
        else:
            columns[name] = series.to_numpy()
    return pd.DataFrame(columns)


def _month_end(day: date, months: int) -> date:
    """The last day of the month ``months`` calendar months after ``day``'s."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, calendar.monthrange(year, month + 1)[1])


def _shown(value: float | None) -> str:
    if value is None:
        return "missing"
    return f"{value:g}" if math.isfinite(value) else str(value)
