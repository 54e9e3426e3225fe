"""Partitions of a book keep every customer whole, and scoring them one by one in this process
gives the same frame as scoring the book in one piece. The Dask engine itself is checked against
a real local cluster in tests/integration/risk/test_distributed.py."""

from __future__ import annotations

import itertools
import sys
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from fengkong.scoring.context import ContextTables
from fengkong.scoring.distributed import (
    SCORE_COLUMNS,
    EngineKind,
    EngineUnavailable,
    dask_client,
    open_engine,
    partition_ledgers,
    score_book,
    score_partition,
)
from fengkong.scoring.features import FEATURE_NAMES
from fengkong.scoring.grading import MasterScale
from fengkong.scoring.ledgers import Ledgers
from fengkong.scoring.scorecard import Scorecard
from tests.unit.scoring.ledger_builders import (
    AS_OF,
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

CUSTOMER_IDS = (3, 7, 11, 20, 21, 40, 41)


def book() -> Ledgers:
    """Seven customers, each with rows in every ledger; customer 11 is a dishonest debtor."""
    rows = []
    for n, customer_id in enumerate(CUSTOMER_IDS):
        issued = date(2026, 1, 1 + n)
        rows += [
            customer(customer_id, industry_code="C", region_code="440300", registered_capital=1e6),
            statement(
                date(2025, 12, 31),
                {"total_assets": 1000.0 + n, "total_liabilities": 300.0 + 50 * n},
                customer_id=customer_id,
            ),
            invoice(10 * customer_id, issued=issued, due=date(2026, 3, 1), amount=500.0 + n,
                    customer_id=customer_id),
            payment(10 * customer_id, paid_on=date(2026, 3, 1 + 3 * n), amount=500.0 + n,
                    customer_id=customer_id),
            order(issued, 800.0 + n, customer_id=customer_id),
            report("中诚信国际", date(2026, 2, 1), "AA", customer_id=customer_id),
            answer("market_reputation", 1 + n % 5, date(2026, 4, 1), customer_id=customer_id),
            credit_limit(10_000.0, customer_id=customer_id),
        ]  # fmt: skip
    rows.append(legal_event("dishonest_debtor", date(2026, 5, 1), customer_id=11))
    return build(*rows)


def scoring_inputs() -> tuple[date, ContextTables, Scorecard, MasterScale]:
    return AS_OF, ContextTables.default(), Scorecard.default(), MasterScale.default()


def customers_of(frame: pl.DataFrame) -> set[int]:
    return set(frame.get_column("customer_id").to_list())


def assert_partitioned(ledgers: Ledgers, parts: list[Ledgers]) -> None:
    """Every row in exactly one part, no customer in two parts, parts in customer_id order."""
    for table, frame in ledgers.tables().items():
        pieces = [part.tables()[table] for part in parts]
        assert sum(piece.height for piece in pieces) == frame.height, table
        assert_frame_equal(
            pl.concat(pieces).sort(pl.all()), frame.sort(pl.all()), check_row_order=True
        )
        seen: set[int] = set()
        for piece in pieces:
            assert not customers_of(piece) & seen, f"{table}: a customer is split"
            seen |= customers_of(piece)
    ranges = [part.customers.get_column("customer_id") for part in parts]
    for before, after in itertools.pairwise(ranges):
        assert before.max() < after.min()  # type: ignore[operator]


@pytest.mark.parametrize("partitions", [1, 2, 3, 7, 20])
def test_partitions_keep_every_row_of_a_customer_together(partitions: int) -> None:
    ledgers = book()

    parts = partition_ledgers(ledgers, partitions)

    assert len(parts) == min(partitions, len(CUSTOMER_IDS))
    assert_partitioned(ledgers, parts)
    sizes = [part.customers.height for part in parts]
    assert max(sizes) - min(sizes) <= 1


@settings(max_examples=40, deadline=None)
@given(
    ids=st.sets(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=40),
    owners=st.lists(st.integers(min_value=0, max_value=39), max_size=80),
    partitions=st.integers(min_value=1, max_value=12),
)
def test_any_book_is_partitioned_without_splitting_a_customer(
    ids: set[int], owners: list[int], partitions: int
) -> None:
    customer_ids = sorted(ids)
    rows = [customer(customer_id) for customer_id in customer_ids]
    rows += [
        order(date(2026, 1, 1), customer_id=customer_ids[owner % len(customer_ids)])
        for owner in owners
    ]
    ledgers = build(*rows)

    parts = partition_ledgers(ledgers, partitions)

    assert len(parts) == min(partitions, len(customer_ids))
    assert_partitioned(ledgers, parts)


def test_an_empty_book_is_one_empty_partition_and_zero_partitions_are_refused() -> None:
    assert [part.customers.height for part in partition_ledgers(Ledgers.empty(), 4)] == [0]
    with pytest.raises(ValueError, match="partitions must be at least 1"):
        partition_ledgers(book(), 0)


def test_a_partition_scores_to_features_then_score_grade_pd_and_knock_out() -> None:
    scored = score_partition(book(), *scoring_inputs())

    assert scored.columns == ["customer_id", *FEATURE_NAMES, *SCORE_COLUMNS]
    assert scored.get_column("customer_id").to_list() == list(CUSTOMER_IDS)
    assert scored.schema["grade"] == pl.String
    knocked = dict(zip(scored["customer_id"], scored["knocked_out_by"], strict=True))
    assert knocked[11] == "dishonest_debtor_flag"
    assert scored.filter(pl.col("customer_id") == 11)["grade"].to_list() == ["E"]
    assert {knocked[customer_id] for customer_id in CUSTOMER_IDS if customer_id != 11} == {None}
    assert scored["pd"].is_between(0, 1, closed="none").all()


@pytest.mark.parametrize("partitions", [2, 3, 7])
def test_scoring_in_partitions_gives_the_frame_of_scoring_in_one_piece(partitions: int) -> None:
    whole = score_partition(book(), *scoring_inputs())

    split = score_book(book(), *scoring_inputs(), partitions=partitions)

    assert_frame_equal(split, whole, abs_tol=1e-12, rel_tol=0)


def test_the_local_engine_takes_no_scheduler() -> None:
    with (
        pytest.raises(EngineUnavailable, match="only applies to the dask engine"),
        open_engine(EngineKind.LOCAL, "tcp://127.0.0.1:8786"),
    ):
        pass


def test_without_dask_installed_the_dask_engine_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)

    with (
        pytest.raises(EngineUnavailable, match=r"pip install 'fengkong\[cluster\]'"),
        dask_client(),
    ):
        pass
