"""Scoring on a Dask cluster of two worker processes gives what one process gives: the same
features (within 1e-12, nulls in the same places), scores, grades and PDs, stored the same way.

One local cluster serves the whole module (it takes a few seconds to start): the library tests
use its client, the service and CLI tests its scheduler address, as a bank's cluster would be
named. The module runs in one xdist worker so that only one cluster is started.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from distributed import Client
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from fengkong.auth.actor import Actor
from fengkong.cli import app
from fengkong.demo import service as demo_service
from fengkong.risk import configs, service
from fengkong.risk.ledgers import load_ledgers
from fengkong.risk.models import CustomerRating, ScoreTrigger
from fengkong.scoring.context import ContextTables
from fengkong.scoring.distributed import (
    DaskEngine,
    EngineKind,
    EngineUnavailable,
    dask_client,
    partition_ledgers,
    score_book,
    score_partition,
)
from fengkong.scoring.features import FEATURE_NAMES
from fengkong.scoring.grading import MasterScale
from fengkong.scoring.scorecard import Scorecard
from fengkong.settings import get_settings
from tests.unit.scoring.synthetic_book import synthetic_book

pytestmark = pytest.mark.xdist_group("dask_cluster")

AS_OF = date(2026, 6, 30)
BOOK_CUSTOMERS = 5_000
SEED = 20261127
TOLERANCE = 1e-12
PARTITIONS = 6


@pytest.fixture(scope="module")
def cluster() -> Iterator[Client]:
    """The local cluster ``fengkong score --engine dask`` starts without ``--scheduler``."""
    with dask_client() as client:
        yield client


def scheduler_address(client: Client) -> str:
    address: str = client.scheduler_info()["address"]
    return address


def assert_same_scores(single: pl.DataFrame, distributed: pl.DataFrame) -> None:
    """Same customers in the same order; every feature with the same nulls and within 1e-12 (for
    amounts in yuan, 1e-12 of the amount: a sum of millions differs in its last bit when polars
    adds in another order, as its thread pools do); scores within 1e-12; the same grades, PDs and
    knock-outs."""
    assert distributed.columns == single.columns
    assert distributed["customer_id"].to_list() == single["customer_id"].to_list()
    for name in (*FEATURE_NAMES, "score", "pd"):
        ours, theirs = single[name].to_numpy(), distributed[name].to_numpy()
        assert np.array_equal(np.isnan(ours), np.isnan(theirs)), f"{name}: nulls differ"
        present = ~np.isnan(ours)
        bound = TOLERANCE * np.maximum(1.0, np.abs(ours[present]))
        worst = np.max(np.abs(ours[present] - theirs[present]) / bound, initial=0.0)
        assert worst < 1.0, f"{name}: differs by {worst:.3g} × its tolerance"
    scores = np.abs(single["score"].to_numpy() - distributed["score"].to_numpy())
    assert scores.max() < TOLERANCE
    assert distributed["grade"].to_list() == single["grade"].to_list()
    assert distributed["pd"].to_list() == single["pd"].to_list()
    assert distributed["knocked_out_by"].to_list() == single["knocked_out_by"].to_list()


def test_the_workers_run_one_thread_each(cluster: Client) -> None:
    threads = cluster.run(pl.thread_pool_size)
    openmp = cluster.run(os.getenv, "OMP_NUM_THREADS")

    assert list(threads.values()) == [1, 1]
    assert list(openmp.values()) == ["1", "1"]
    assert sum(cluster.nthreads().values()) == 2


def test_a_book_of_thousands_scores_on_two_workers_exactly_as_in_one_process(
    cluster: Client,
) -> None:
    ledgers = synthetic_book(BOOK_CUSTOMERS, as_of=AS_OF, seed=SEED)
    inputs = (AS_OF, ContextTables.default(), Scorecard.default(), MasterScale.default())

    single = score_partition(ledgers, *inputs)
    distributed = score_book(ledgers, *inputs, engine=DaskEngine(cluster), partitions=PARTITIONS)

    assert single.height == BOOK_CUSTOMERS
    assert set(single["grade"]) == set("ABCDE")
    assert single["knocked_out_by"].null_count() < BOOK_CUSTOMERS
    assert all(single[name].null_count() for name in ("debt_to_asset", "max_dpd_12m"))
    assert_same_scores(single, distributed)


def test_partitions_of_the_book_never_split_a_customer() -> None:
    ledgers = synthetic_book(BOOK_CUSTOMERS, as_of=AS_OF, seed=SEED)

    parts = partition_ledgers(ledgers, PARTITIONS)

    assert len(parts) == PARTITIONS
    for table, frame in ledgers.tables().items():
        owners = [set(part.tables()[table]["customer_id"]) for part in parts]
        assert sum(part.tables()[table].height for part in parts) == frame.height, table
        assert sum(len(ids) for ids in owners) == len(set().union(*owners)), table


def test_the_service_stores_what_the_cluster_computed_and_a_local_rerun_finds_nothing_new(
    session: Session, cluster: Client
) -> None:
    actor = Actor.system("test")
    demo_service.load_demo(session, actor, customers=40, seed=SEED, as_of=AS_OF)
    active = configs.ensure_active(session, actor)
    expected = score_partition(
        load_ledgers(session, as_of=AS_OF),
        AS_OF,
        ContextTables.default(),
        active.scorecard,
        active.scale,
    )

    on_cluster = service.score_customers(
        session,
        actor,
        as_of=AS_OF,
        trigger=ScoreTrigger.ALL,
        engine=EngineKind.DASK,
        scheduler=scheduler_address(cluster),
        partitions=3,
    )
    rerun = service.score_customers(session, actor, as_of=AS_OF, trigger=ScoreTrigger.ALL)

    assert on_cluster.stored == 40
    assert (rerun.stored, rerun.unchanged) == (0, 40)
    stored = session.execute(
        select(CustomerRating.customer_id, CustomerRating.score, CustomerRating.grade)
        .where(CustomerRating.customer_id.in_(expected["customer_id"].to_list()))
        .order_by(CustomerRating.customer_id)
    ).all()
    assert [row.customer_id for row in stored] == expected["customer_id"].to_list()
    assert np.abs(np.array([row.score for row in stored]) - expected["score"].to_numpy()).max() < (
        TOLERANCE
    )
    assert [row.grade for row in stored] == expected["grade"].to_list()


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("FENGKONG_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_database")
def test_score_all_on_the_dask_engine_matches_the_scores_the_demo_stored(cluster: Client) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    demo = runner.invoke(app, ["demo", "--customers", "25", "--seed", "5", "--as-of", "2026-06-30"])
    assert demo.exit_code == 0, demo.output

    scored = runner.invoke(
        app,
        ["score", "--all", "--as-of", "2026-06-30", "--engine", "dask",
         "--scheduler", scheduler_address(cluster), "--partitions", "4"],
    )  # fmt: skip

    assert scored.exit_code == 0, scored.output
    assert "scored 25 customer(s) as of 2026-06-30" in scored.output
    assert "0 new score(s), 25 unchanged" in scored.output
    one = runner.invoke(app, ["score", "--customer", "3", "--engine", "dask"])
    assert one.exit_code != 0
    assert "use it with --all" in one.output
    stray = runner.invoke(app, ["score", "--all", "--scheduler", "tcp://127.0.0.1:8786"])
    assert stray.exit_code != 0
    assert "--scheduler needs --engine dask" in stray.output


def test_an_unreachable_scheduler_is_named_in_the_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    with (
        pytest.raises(EngineUnavailable, match=f"cannot reach the Dask scheduler at {address}"),
        dask_client(address, timeout_s=1),
    ):
        pass
