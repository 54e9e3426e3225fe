"""Scoring a book over partitions of customers, in this process or on a Dask cluster.

A customer's features read only that customer's rows, so a book splits into partitions of whole
customers (every ledger row of a customer in the same partition) and each partition is scored on
its own by :func:`score_partition`, the same pure function the single-process path runs. The
engines differ only in where that function runs: ``local`` loops in this process, ``dask`` ships
the partitions to the workers of a Dask cluster and gathers the results. Either way the result is
one frame sorted by customer_id, identical whatever the engine or the number of partitions.

Dask is an optional extra (``fengkong[cluster]``): it is imported only when the dask engine is
asked for, and a clear :class:`EngineUnavailable` says how to install it when it is missing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import numpy as np
import polars as pl

from fengkong.scoring.context import ContextTables
from fengkong.scoring.features import compute_features
from fengkong.scoring.grading import MasterScale, grade_scores
from fengkong.scoring.ledgers import Ledgers
from fengkong.scoring.scorecard import Scorecard, score_features

if TYPE_CHECKING:
    from distributed import Client

SCORE_COLUMNS: tuple[str, ...] = ("score", "grade", "pd", "knocked_out_by")
"""The columns :func:`score_partition` adds after ``customer_id`` and the features."""

WORKER_ENVIRONMENT: dict[str, str] = {
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "POLARS_MAX_THREADS": "1",
}
"""One thread per worker process: the cluster's parallelism is its processes. Polars reads
``POLARS_MAX_THREADS`` when first imported, so it must be in the environment the worker starts
with; a polars pool per process as wide as the machine would oversubscribe every core."""

LOCAL_WORKERS = 2
"""Worker processes of the throw-away local cluster started when no scheduler is given."""

CONNECT_TIMEOUT_S = 30.0
"""How long to wait for a scheduler to answer, and then for a first worker to join it."""

_PARTITION = "__partition"
_PRE_SPAWN = "distributed.nanny.pre-spawn-environ"


class EngineKind(StrEnum):
    """Where the partitions are scored: ``local`` in this process, ``dask`` on a Dask cluster."""

    LOCAL = "local"
    DASK = "dask"


class EngineUnavailable(RuntimeError):
    """The engine cannot run here: Dask is not installed, or its scheduler cannot be reached."""


def score_partition(
    ledgers: Ledgers,
    as_of: date,
    context: ContextTables,
    scorecard: Scorecard,
    scale: MasterScale,
) -> pl.DataFrame:
    """Features, score, grade and PD of every customer of ``ledgers``, sorted by customer_id.

    Columns: ``customer_id``, the features in ``FEATURE_NAMES`` order, ``score`` (Float64),
    ``grade`` (A..E), ``pd`` (Float64) and ``knocked_out_by`` (the feature of the knock-out rule
    that capped the grade, null when none did). Pure: the same inputs give the same frame on any
    machine, which is what lets a cluster run it.
    """
    features = compute_features(ledgers, as_of, context)
    batch = score_features(scorecard, features)
    grades, pds = grade_scores(scale, batch.score, batch.knockout_grades)
    knockout_features = np.array([None, *(k.feature for k in scorecard.knockouts)], dtype=object)
    return features.with_columns(
        pl.Series("score", batch.score, dtype=pl.Float64),
        pl.Series("grade", grades.tolist(), dtype=pl.String),
        pl.Series("pd", pds, dtype=pl.Float64),
        pl.Series(
            "knocked_out_by",
            knockout_features[batch.knocked_out_by + 1].tolist(),
            dtype=pl.String,
        ),
    )


def partition_ledgers(ledgers: Ledgers, partitions: int) -> list[Ledgers]:
    """Split ``ledgers`` into at most ``partitions`` parts by contiguous ranges of customer_id,
    with about as many customers in each part.

    A row of any table goes to the part whose range holds its customer_id, so a customer is never
    split. Each table is cut in one pass (not one filter per part). Parts come in customer_id
    order; a book with fewer customers than ``partitions`` gets one part per customer, and an
    empty book one empty part.
    """
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, got {partitions}")
    ids = ledgers.customers.get_column("customer_id").sort()
    count = max(1, min(partitions, len(ids)))
    if count == 1:
        return [ledgers]
    # The first customer_id of each part: search_sorted(side="right") - 1 is a row's part. A row
    # of an unlisted customer lands in the range holding its id (below the first: part 0), and
    # compute_features ignores it there as it would in one piece.
    firsts = ids.gather([len(ids) * part // count for part in range(count)])
    tables: dict[str, list[pl.DataFrame]] = {}
    for table, frame in ledgers.tables().items():
        part = firsts.search_sorted(frame.get_column("customer_id"), side="right").cast(pl.Int64)
        pieces = frame.with_columns((part - 1).clip(lower_bound=0).alias(_PARTITION)).partition_by(
            _PARTITION, as_dict=True, include_key=False, maintain_order=True
        )
        tables[table] = [pieces.get((index,), frame.clear()) for index in range(count)]
    return [
        Ledgers(**{table: parts[index] for table, parts in tables.items()})
        for index in range(count)
    ]


class Engine(Protocol):
    """Runs :func:`score_partition` over partitions and returns the results in partition order."""

    def default_partitions(self) -> int:
        """How many partitions to cut when the caller does not say: one per worker thread."""
        ...

    def score(
        self,
        partitions: Sequence[Ledgers],
        as_of: date,
        context: ContextTables,
        scorecard: Scorecard,
        scale: MasterScale,
    ) -> list[pl.DataFrame]: ...


class LocalEngine:
    """Every partition in this process, one after another."""

    def default_partitions(self) -> int:
        return 1

    def score(
        self,
        partitions: Sequence[Ledgers],
        as_of: date,
        context: ContextTables,
        scorecard: Scorecard,
        scale: MasterScale,
    ) -> list[pl.DataFrame]:
        return [score_partition(part, as_of, context, scorecard, scale) for part in partitions]


class DaskEngine:
    """Partitions scattered to the workers of a Dask cluster, scored there, gathered here.

    Each partition is scored as soon as it has landed on a worker, so the workers compute while
    the driver is still serialising and sending the next ones. Scattered without hashing: a
    content hash would read every byte of the book once more for nothing. The workers need
    fengkong (the same version) importable: the task names
    ``fengkong.scoring.distributed.score_partition`` by reference.
    """

    def __init__(self, client: Client) -> None:
        self.client = client

    def default_partitions(self) -> int:
        threads: dict[str, int] = self.client.nthreads()
        return max(1, sum(threads.values()))

    def score(
        self,
        partitions: Sequence[Ledgers],
        as_of: date,
        context: ContextTables,
        scorecard: Scorecard,
        scale: MasterScale,
    ) -> list[pl.DataFrame]:
        futures = [
            self.client.submit(
                score_partition,
                self.client.scatter(part, hash=False),
                as_of=as_of,
                context=context,
                scorecard=scorecard,
                scale=scale,
                pure=False,
            )
            for part in partitions
        ]
        results: list[pl.DataFrame] = self.client.gather(futures)
        return results


def score_book(
    ledgers: Ledgers,
    as_of: date,
    context: ContextTables,
    scorecard: Scorecard,
    scale: MasterScale,
    *,
    engine: Engine | None = None,
    partitions: int | None = None,
) -> pl.DataFrame:
    """:func:`score_partition` over ``partitions`` parts of the book (default: the engine's
    choice) on ``engine`` (default: this process), concatenated and sorted by customer_id."""
    runner = engine or LocalEngine()
    parts = partition_ledgers(ledgers, partitions or runner.default_partitions())
    results = runner.score(parts, as_of, context, scorecard, scale)
    return pl.concat(results, how="vertical").sort("customer_id")


@contextmanager
def dask_client(
    scheduler: str | None = None, *, timeout_s: float = CONNECT_TIMEOUT_S
) -> Iterator[Client]:
    """A client of the Dask scheduler at ``scheduler`` (e.g. ``tcp://10.0.0.5:8786``), or else of a
    local cluster of two single-threaded worker processes started for the block and shut down
    after it."""
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError as error:
        raise EngineUnavailable(
            "the dask engine needs Dask: pip install 'fengkong[cluster]' "
            "(on the machine running fengkong and on every worker)"
        ) from error
    if scheduler is None:
        # Pre-spawn: in the environment each worker process starts with, before anything in it
        # can import polars (a spawned process re-imports the driver's main module first).
        pre_spawn = {**dask.config.get(_PRE_SPAWN), **WORKER_ENVIRONMENT}
        with (
            dask.config.set({_PRE_SPAWN: pre_spawn}),
            LocalCluster(
                n_workers=LOCAL_WORKERS,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                # The scheduler serves HTTP (health, metrics) even without a dashboard: on a
                # free loopback port, not 8787, which another cluster may hold.
                dashboard_address="127.0.0.1:0",
                env=WORKER_ENVIRONMENT,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout=timeout_s)
    except (OSError, TimeoutError) as error:
        raise EngineUnavailable(
            f"cannot reach the Dask scheduler at {scheduler}: {error}"
        ) from error
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout_s)
        except TimeoutError as error:
            raise EngineUnavailable(
                f"no Dask worker joined the scheduler at {scheduler} within {timeout_s:g} s"
            ) from error
        yield client


@contextmanager
def open_engine(kind: EngineKind, scheduler: str | None = None) -> Iterator[Engine]:
    """The engine ``kind``, ready for the block: for ``dask``, connected to ``scheduler`` or to a
    local cluster started for the block."""
    if kind is EngineKind.LOCAL:
        if scheduler is not None:
            raise EngineUnavailable("a scheduler address only applies to the dask engine")
        yield LocalEngine()
        return
    with dask_client(scheduler) as client:
        yield DaskEngine(client)
