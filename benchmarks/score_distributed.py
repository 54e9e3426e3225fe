"""Time scoring a book from raw ledgers in one process and on a local Dask cluster of two workers.

    python benchmarks/score_distributed.py [--customers 100000] [--invoices 10000000]
        [--partitions 2 4 16] [--runs 2]

The ledgers are the synthetic ones of benchmarks/score_features.py (same seed). Each measurement
runs in a fresh child process with ``POLARS_MAX_THREADS`` set before polars is imported: the
``local`` engine (the single-process path, ``score_partition`` over the whole book) with one and
with two polars threads, then the ``dask`` engine with two single-threaded worker processes (as
``fengkong score --all --engine dask`` starts them) for each partition count. The dask figure is
the whole call: cutting the partitions, scattering them, scoring, gathering and concatenating.
The child checks that the dask scores, grades and PDs equal the local ones. CPU time is printed
next to wall time: on a shared machine the difference is time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import time
from typing import Any


def _peak_rss_mb() -> float:
    """This process's peak resident memory since it started (``VmHWM``). Not ``ru_maxrss``: a
    spawned worker keeps the ``ru_maxrss`` of the driver it was forked from across ``exec``."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def _timed(runs: int, call: Any) -> tuple[list[float], Any]:
    seconds, result = [], None
    for _ in range(runs):
        begun = time.perf_counter()
        result = call()
        seconds.append(time.perf_counter() - begun)
    return seconds, result


def _measure(customers: int, invoices: int, partitions: list[int], runs: int) -> dict[str, Any]:
    import numpy as np
    import polars as pl

    from fengkong.scoring.context import ContextTables
    from fengkong.scoring.distributed import (
        DaskEngine,
        dask_client,
        partition_ledgers,
        score_book,
    )
    from fengkong.scoring.grading import MasterScale
    from fengkong.scoring.scorecard import Scorecard
    from score_features import AS_OF, _generate

    started = time.perf_counter()
    ledgers = _generate(customers, invoices)
    report: dict[str, Any] = {
        "threads": pl.thread_pool_size(),
        "generation_s": time.perf_counter() - started,
        "rows": {table: frame.height for table, frame in ledgers.tables().items()},
        "ledgers_mb": sum(frame.estimated_size("mb") for frame in ledgers.tables().values()),
    }
    inputs = (AS_OF, ContextTables.default(), Scorecard.default(), MasterScale.default())
    cpu_before = time.process_time()
    report["local_s"], local = _timed(runs, lambda: score_book(ledgers, *inputs, partitions=1))
    report["local_cpu_s"] = (time.process_time() - cpu_before) / runs
    if not partitions:
        report["peak_rss_mb"] = _peak_rss_mb()
        return report
    begun = time.perf_counter()
    with dask_client() as client:
        report["cluster_start_s"] = time.perf_counter() - begun
        # A worker imports polars and fengkong on its first task: timed apart, once.
        begun = time.perf_counter()
        client.run(importlib.import_module, "fengkong.scoring.distributed")
        report["worker_import_s"] = time.perf_counter() - begun
        engine = DaskEngine(client)
        report["dask"] = []
        # Most partitions first: peak RSS only grows, so each reading is that partition count's.
        for count in sorted(partitions, reverse=True):
            begun = time.perf_counter()
            partition_ledgers(ledgers, count)
            cut_s = time.perf_counter() - begun
            cpu_before = time.process_time()
            workers_before = client.run(time.process_time)
            seconds, scored = _timed(
                runs,
                lambda count=count: score_book(ledgers, *inputs, engine=engine, partitions=count),
            )
            workers_after = client.run(time.process_time)
            same = (
                scored["customer_id"].equals(local["customer_id"])
                and float(np.abs(scored["score"].to_numpy() - local["score"].to_numpy()).max())
                < 1e-12
                and scored["grade"].equals(local["grade"])
                and scored["pd"].equals(local["pd"])
            )
            if not same:
                raise RuntimeError(f"dask with {count} partitions differs from the local scores")
            workers = client.run(_peak_rss_mb)
            report["dask"].append(
                {
                    "partitions": count,
                    "seconds": seconds,
                    "cut_s": cut_s,
                    "driver_cpu_s": (time.process_time() - cpu_before) / runs,
                    "workers_cpu_s": sum(
                        workers_after[name] - workers_before[name] for name in workers_after
                    )
                    / runs,
                    "worker_peak_rss_mb": max(workers.values()),
                }
            )
    report["peak_rss_mb"] = _peak_rss_mb()
    return report


def _child(arguments: argparse.Namespace, threads: int, partitions: list[int]) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        f"--customers={arguments.customers}",
        f"--invoices={arguments.invoices}",
        f"--runs={arguments.runs}",
        "--partitions",
        *(str(count) for count in partitions),
    ]
    environment = {**os.environ, "POLARS_MAX_THREADS": str(threads), "OMP_NUM_THREADS": "1"}
    output = subprocess.run(  # noqa: S603 - runs this very script with fixed arguments
        command, env=environment, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def _seconds(values: list[float]) -> str:
    return f"best {min(values):.1f} s (runs {', '.join(f'{v:.1f}' for v in values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--partitions", type=int, nargs="*", default=[2, 4, 16])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        report = _measure(
            arguments.customers, arguments.invoices, arguments.partitions, arguments.runs
        )
        print(json.dumps(report))
        return
    one = _child(arguments, 1, arguments.partitions)
    two = _child(arguments, 2, [])
    print(f"rows: {', '.join(f'{k} {v:,}' for k, v in one['rows'].items())}")
    print(f"ledgers in memory: {one['ledgers_mb']:,.0f} MB; generation {one['generation_s']:.1f} s")
    print(f"local, 1 polars thread:  {_seconds(one['local_s'])}, CPU {one['local_cpu_s']:.1f} s")
    print(f"local, 2 polars threads: {_seconds(two['local_s'])}, CPU {two['local_cpu_s']:.1f} s")
    print(
        f"dask cluster start (2 worker processes): {one['cluster_start_s']:.1f} s, "
        f"then importing fengkong in the workers {one['worker_import_s']:.1f} s"
    )
    for entry in one["dask"]:
        print(
            f"dask, 2 workers × 1 thread, {entry['partitions']} partitions: "
            f"{_seconds(entry['seconds'])}; of which cutting {entry['cut_s']:.1f} s; CPU "
            f"driver {entry['driver_cpu_s']:.1f} s + workers {entry['workers_cpu_s']:.1f} s; "
            f"worker peak RSS {entry['worker_peak_rss_mb']:,.0f} MB"
        )
    print(f"driver peak RSS {one['peak_rss_mb']:,.0f} MB")


if __name__ == "__main__":
    main()
