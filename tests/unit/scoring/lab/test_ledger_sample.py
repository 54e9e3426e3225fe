"""Training data from the ledgers: observation dates, the label, the exclusions and the leakage
guard, on ledgers small enough to check by hand."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import FEATURE_NAMES, compute
from fengkong.scoring.features.trading import trading_features
from fengkong.scoring.features.windows import months_before
from fengkong.scoring.lab.data import LabError
from fengkong.scoring.lab.ledger_sample import (
    LeakageError,
    LedgerSample,
    SampleSettings,
    assert_point_in_time,
    build_ledger_sample,
    first_defaults,
    known_on,
    observation_dates,
)
from fengkong.scoring.lab.metrics import grouped_stratified_folds
from fengkong.scoring.ledgers import Ledgers
from tests.unit.scoring.ledger_builders import (
    Row,
    answer,
    build,
    credit_limit,
    customer,
    invoice,
    legal_event,
    order,
    payment,
    report,
    statement,
)
from tests.unit.scoring.synthetic_book import synthetic_book

CONTEXT = ContextTables.default()
TradingFeatures = Callable[
    [pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.LazyFrame, date], pl.LazyFrame
]
KNOWN_UNTIL = date(2025, 12, 31)
# Observation month ends of 2023 and 2024: every performance window ends by KNOWN_UNTIL.
WINDOW = SampleSettings(first_observation=date(2023, 1, 31), last_observation=date(2024, 12, 31))


def paid_invoice(
    invoice_id: int, issued: date, *, late_days: int = 0, customer_id: int = 1, amount: float = 1000
) -> list[Row]:
    """An invoice on 30-day terms, paid in full ``late_days`` after its due date."""
    due = issued + timedelta(days=30)
    return [
        invoice(invoice_id, issued=issued, due=due, amount=amount, customer_id=customer_id),
        payment(
            invoice_id,
            paid_on=due + timedelta(days=late_days),
            amount=amount,
            customer_id=customer_id,
        ),
    ]


def good_payer(customer_id: int, first_id: int) -> list[Row]:
    """Monthly invoices through 2023–2025, each paid on its due date."""
    rows: list[Row] = []
    for month in range(36):
        issued = date(2023 + month // 12, month % 12 + 1, 5)
        rows += paid_invoice(first_id + month, issued, customer_id=customer_id)
    return rows


def labels(sample: LedgerSample) -> dict[tuple[int, date], int]:
    assert sample.table.dates is not None
    days = [day.astype(date) for day in sample.table.dates.astype("datetime64[D]")]
    return {
        (int(c), day): int(bad)
        for c, day, bad in zip(sample.customer_ids, days, sample.table.labels, strict=True)
    }


def test_bad_inside_the_window_good_before_it_and_left_out_once_in_default() -> None:
    # Customer 1 pays a 2023 invoice on time, then never pays the one due 2024-02-04: it is
    # 90 days past due on 2024-05-04.
    ledgers = build(
        *paid_invoice(1, date(2023, 1, 10)),
        invoice(2, issued=date(2024, 1, 5), due=date(2024, 2, 4), amount=1000),
        *good_payer(2, first_id=100),
    )
    sample = build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)
    got = labels(sample)

    # Its window (obs, obs + 12 months] reaches 2024-05-04 from the 2023-05-31 observation on.
    assert got[(1, date(2023, 4, 30))] == 0  # the default comes after its window: good
    assert got[(1, date(2023, 5, 31))] == 1
    assert got[(1, date(2024, 4, 30))] == 1
    assert (1, date(2024, 5, 31)) not in got  # in default: left out from then on
    assert all(bad == 0 for (owner, _), bad in got.items() if owner == 2)
    assert sample.excluded_in_default == 8  # customer 1, May to December 2024
    assert sample.observation_dates[0] == date(2023, 1, 31)
    assert len(sample.observation_dates) == 24
    assert sample.table.target == "dpd90_within_12m"
    assert sample.table.n_bad == 12


def test_customers_without_a_trade_by_the_observation_date_are_left_out() -> None:
    ledgers = build(
        *good_payer(1, first_id=1),
        *paid_invoice(100, date(2023, 3, 20), customer_id=2),
        invoice(101, issued=date(2024, 3, 1), due=date(2024, 3, 31), amount=500, customer_id=2),
        customer(3),  # never trades
    )
    sample = build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)
    got = labels(sample)

    assert (2, date(2023, 2, 28)) not in got
    assert (2, date(2023, 3, 31)) in got
    assert not any(owner == 3 for owner, _ in got)
    assert sample.excluded_without_trade == 2 + 24  # customer 2 in Jan and Feb, customer 3 always


@pytest.mark.parametrize(
    ("late_days", "paid_share", "defaulted_on"),
    [
        (89, 1.0, None),  # paid late, but before 90 days
        (90, 1.0, None),  # paid on the 90th day itself: never open at the end of it
        (91, 1.0, date(2024, 5, 4)),  # still open at the end of day 90
        (0, 0.5, date(2024, 5, 4)),  # half paid on time, the other half never
    ],
)
def test_an_invoice_defaults_when_more_than_a_residue_is_open_at_the_end_of_day_90(
    late_days: int, paid_share: float, defaulted_on: date | None
) -> None:
    due = date(2024, 2, 4)
    ledgers = build(
        invoice(1, issued=date(2024, 1, 5), due=due, amount=1000),
        payment(1, paid_on=due + timedelta(days=late_days), amount=1000 * paid_share),
    )
    found = first_defaults(
        ledgers, dpd_threshold=90, residue_share=0.01, residue_amount=0, known_until=KNOWN_UNTIL
    )
    assert found["defaulted_on"].to_list() == ([defaulted_on] if defaulted_on else [])


@pytest.mark.parametrize(
    ("unpaid", "residue_amount", "defaults"),
    [(9.99, 0.0, False), (10.01, 0.0, True), (30.0, 50.0, False), (60.0, 50.0, True)],
)
def test_a_small_unpaid_residue_is_not_a_default(
    unpaid: float, residue_amount: float, defaults: bool
) -> None:
    ledgers = build(
        invoice(1, issued=date(2024, 1, 5), due=date(2024, 2, 4), amount=1000),
        payment(1, paid_on=date(2024, 2, 4), amount=1000 - unpaid),
    )
    found = first_defaults(
        ledgers,
        dpd_threshold=90,
        residue_share=0.01,
        residue_amount=residue_amount,
        known_until=KNOWN_UNTIL,
    )
    assert (found.height == 1) is defaults


def test_the_days_past_due_threshold_is_configurable() -> None:
    # 60 days late on a 2024 invoice: not a 90-day default, but a 30-day one.
    ledgers = build(
        *paid_invoice(1, date(2023, 1, 10)),
        *paid_invoice(2, date(2024, 1, 5), late_days=60),
        *good_payer(2, first_id=100),
    )
    with pytest.raises(LabError, match="no customer reached 90 days past due"):
        build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)

    thirty = SampleSettings(
        dpd_threshold=30,
        performance_months=6,
        first_observation=WINDOW.first_observation,
        last_observation=WINDOW.last_observation,
    )
    got = labels(build_ledger_sample(ledgers, CONTEXT, thirty, known_until=KNOWN_UNTIL))
    # Due 2024-02-04, 30 days past due on 2024-03-05; a 6-month window reaches it from
    # the 2023-09-30 observation on.
    assert got[(1, date(2023, 8, 31))] == 0
    assert got[(1, date(2023, 9, 30))] == 1
    assert got[(1, date(2024, 2, 29))] == 1
    assert (1, date(2024, 3, 31)) not in got


def test_default_observation_dates_are_the_month_ends_whose_window_is_complete() -> None:
    dates = observation_dates(date(2022, 11, 14), date(2025, 12, 15), SampleSettings())
    assert dates[0] == date(2022, 11, 30)
    assert dates[-1] == date(2024, 11, 30)  # its window ends 2025-11-30; December's would not
    assert len(dates) == 25
    assert date(2024, 2, 29) in dates


def test_an_observation_date_whose_window_ends_after_the_last_known_date_is_refused() -> None:
    late = SampleSettings(last_observation=date(2025, 3, 31))
    with pytest.raises(LabError, match="would be cut short"):
        observation_dates(date(2023, 1, 1), date(2025, 12, 31), late)
    with pytest.raises(LabError, match="too short"):
        observation_dates(date(2025, 6, 1), date(2025, 12, 31), SampleSettings())


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(LabError, match="threshold"):
        SampleSettings(dpd_threshold=0)
    with pytest.raises(LabError, match="after the last"):
        SampleSettings(first_observation=date(2025, 1, 31), last_observation=date(2024, 1, 31))


def test_features_carry_the_feature_library_names_and_ignore_undated_credit_limits() -> None:
    ledgers = build(
        *paid_invoice(1, date(2023, 1, 10)),
        invoice(2, issued=date(2024, 1, 5), due=date(2024, 2, 4), amount=1000),
        *good_payer(2, first_id=100),
        credit_limit(5000, customer_id=1),
        credit_limit(5000, customer_id=2),
    )
    sample = build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)

    assert set(sample.table.columns) <= set(FEATURE_NAMES)
    assert "max_dpd_12m" in sample.table.columns
    dropped = {d.column: d.reason for d in sample.table.dropped}
    assert dropped["limit_utilisation"] == "a single value"  # all missing: no limit history
    assert dropped["customer_id"] == "excluded"
    assert dropped["observation_date"] == "date"
    # The features of a row are those as of its observation date.
    row = int(
        np.flatnonzero(
            (sample.customer_ids == 1) & (sample.table.dates == np.datetime64("2024-04-30"))
        )[0]
    )
    assert (
        sample.table.features.loc[row, "max_dpd_12m"] == (date(2024, 4, 30) - date(2024, 2, 4)).days
    )
    described = sample.describe()
    assert described["source"] == "ledgers"
    assert described["n_observations"] == sample.table.n_rows
    assert described["by_observation"][0] == {
        "observation_date": "2023-01-31",
        "n_rows": 2,
        "n_bad": 0,
    }
    assert sum(entry["n_bad"] for entry in described["by_observation"]) == sample.table.n_bad


def test_known_on_removes_every_row_dated_later() -> None:
    as_of = date(2024, 6, 30)
    before, after = date(2024, 6, 30), date(2024, 7, 1)
    ledgers = build(
        customer(1, first_trade_on=after),
        invoice(1, issued=before, due=after, amount=100),
        invoice(2, issued=after, due=after, amount=100),
        payment(1, paid_on=before, amount=50),
        payment(1, paid_on=after, amount=50),
        statement(date(2023, 12, 31), published_on=before),
        statement(date(2024, 3, 31), period_months=3, published_on=after),
        order(before),
        order(after),
        report("中诚信国际", before, "AA"),
        report("中诚信国际", after, "A"),
        legal_event("lawsuit", before, resolved_on=after),
        legal_event("lawsuit", after),
        answer("market_reputation", 3, before),
        answer("market_reputation", 5, after),
    )
    known = known_on(ledgers, as_of)

    for table, column in (
        ("invoices", "issue_date"),
        ("allocations", "paid_on"),
        ("statements", "published_on"),
        ("orders", "ordered_on"),
        ("credit_reports", "report_date"),
        ("legal_events", "occurred_on"),
        ("qualitative", "assessed_on"),
    ):
        assert getattr(known, table)[column].to_list() == [before], table
    assert known.legal_events["resolved_on"].to_list() == [None]  # resolved only later
    assert known.customers["first_trade_on"].to_list() == [None]


def test_the_leakage_guard_passes_for_the_feature_library() -> None:
    book = synthetic_book(60, as_of=date(2026, 6, 30), seed=3)
    for as_of in (date(2024, 1, 31), date(2025, 6, 30), date(2026, 6, 30)):
        assert_point_in_time(book, as_of, CONTEXT)


def _leaky_trading_features(original: TradingFeatures) -> TradingFeatures:
    """The trading features, but with the order count trend read from the three months after
    ``as_of``: the kind of mistake the guard is there to catch."""

    def leaky(
        customers: pl.DataFrame,
        invoices: pl.DataFrame,
        orders: pl.DataFrame,
        credit_limits: pl.DataFrame,
        open_receivables: pl.LazyFrame,
        as_of: date,
    ) -> pl.LazyFrame:
        honest = original(customers, invoices, orders, credit_limits, open_receivables, as_of)
        upcoming = (
            orders.lazy()
            .filter(pl.col("ordered_on") > as_of)
            .filter(pl.col("ordered_on") <= months_before(as_of, -3))
            .group_by("customer_id")
            .agg(pl.len().cast(pl.Float64).alias("upcoming"))
        )
        return (
            honest.join(upcoming, on="customer_id", how="left")
            .with_columns(order_count_trend=pl.col("upcoming").fill_null(0.0))
            .drop("upcoming")
        )

    return leaky


def test_a_feature_reading_data_after_the_observation_date_fails_the_leakage_guard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ledgers = build(
        *paid_invoice(1, date(2023, 1, 10)),
        invoice(2, issued=date(2024, 1, 5), due=date(2024, 2, 4), amount=1000),
        *good_payer(2, first_id=100),
        order(date(2023, 2, 1), customer_id=2),
        order(date(2024, 12, 20), customer_id=2),  # after the last observation date
    )
    monkeypatch.setattr(compute, "trading_features", _leaky_trading_features(trading_features))

    with pytest.raises(LeakageError) as caught:
        assert_point_in_time(ledgers, date(2024, 11, 30), CONTEXT)
    assert caught.value.feature == "order_count_trend"
    assert caught.value.customer_id == 2
    assert "order_count_trend reads data dated after 2024-11-30" in str(caught.value)
    # The sample builder runs the guard: training on the leaky feature is refused.
    with pytest.raises(LeakageError, match="order_count_trend"):
        build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)


def test_the_sample_builder_checks_the_first_and_last_observation_dates() -> None:
    ledgers = build(
        *paid_invoice(1, date(2023, 1, 10)),
        invoice(2, issued=date(2024, 1, 5), due=date(2024, 2, 4), amount=1000),
        *good_payer(2, first_id=100),
    )
    sample = build_ledger_sample(ledgers, CONTEXT, WINDOW, known_until=KNOWN_UNTIL)
    assert sample.leakage_checked == (date(2023, 1, 31), date(2024, 12, 31))
    unchecked = SampleSettings(
        first_observation=WINDOW.first_observation,
        last_observation=WINDOW.last_observation,
        check_leakage=False,
    )
    assert (
        build_ledger_sample(ledgers, CONTEXT, unchecked, known_until=KNOWN_UNTIL).leakage_checked
        == ()
    )


def test_a_thousand_customers_over_two_years_take_seconds() -> None:
    book: Ledgers = synthetic_book(1000, as_of=date(2026, 6, 30), seed=5)
    started = time.perf_counter()
    sample = build_ledger_sample(book, CONTEXT, known_until=date(2026, 6, 30))
    elapsed = time.perf_counter() - started

    assert len(sample.observation_dates) == 24
    assert sample.table.n_rows > 15_000
    assert 0 < sample.table.bad_rate < 1
    assert len(sample.current) > 0
    assert elapsed < 15  # about 1 s on one free core; generous for a busy machine


def test_grouped_folds_keep_each_customers_rows_together() -> None:
    rng = np.random.default_rng(1)
    customers = np.repeat(np.arange(40), 6)
    bad = (rng.random(240) < 0.2).astype(np.int8)
    splits = grouped_stratified_folds(bad, customers, 4, seed=7)

    tested = np.concatenate([test for _, test in splits])
    assert sorted(tested.tolist()) == list(range(240))
    for train, test in splits:
        assert not set(customers[train]) & set(customers[test])
    ever_bad = {c for c in customers[bad == 1]}
    per_fold = [len(ever_bad & set(customers[test])) for _, test in splits]
    assert max(per_fold) - min(per_fold) <= 1
