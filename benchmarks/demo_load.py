"""Time `fengkong demo` on a fresh SQLite file and a throw-away PostgreSQL database.

    python benchmarks/demo_load.py [--customers 10000] [--seed 42] [--as-of 2026-11-30]

Each backend is migrated from scratch, then loaded through the same service and unit of work the
CLI uses (``load_demo`` inside ``Database.session_scope``), so the time includes the commit. On
SQLite the `fengkong demo` command itself is timed too, in a child process against another fresh
file: that is the figure the foundation issue sets a 60-second budget for. PostgreSQL is expected at
127.0.0.1:5432 (user postgres, trust auth) or at ``--postgres-url``; it is skipped with a message
when unreachable. Results go to stdout for docs/performance.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from fengkong import tables
from fengkong.auth.actor import Actor
from fengkong.database import open_database, upgrade
from fengkong.demo import service as demo_service

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor.system("benchmark")


@dataclass(frozen=True)
class Measurement:
    backend: str
    seconds: float
    counts: dict[str, int]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


def _measure(backend: str, url: str, *, customers: int, seed: int, as_of: date) -> Measurement:
    upgrade(url)
    database = open_database(url)
    try:
        started = time.perf_counter()
        with database.session_scope(actor=ACTOR) as session:
            demo_service.load_demo(session, ACTOR, customers=customers, seed=seed, as_of=as_of)
        seconds = time.perf_counter() - started
        with database.engine.connect() as connection:
            counts = {
                name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
                for name, table in tables.metadata.tables.items()
            }
    finally:
        database.dispose()
    return Measurement(backend=backend, seconds=seconds, counts=counts)


def _time_cli(url: str, *, customers: int, seed: int, as_of: date) -> float:
    """Wall-clock seconds of the `fengkong demo` command, process start to exit."""
    upgrade(url)
    command = shutil.which("fengkong") or str(Path(sys.executable).with_name("fengkong"))
    environment = os.environ | {"FENGKONG_DATABASE_URL": url}
    arguments = ["demo", f"--customers={customers}", f"--seed={seed}", f"--as-of={as_of}"]
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - our own console script with fixed arguments
        [command, *arguments],
        check=True,
        env=environment,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


@contextmanager
def _postgres_database(admin_url: str) -> Iterator[str | None]:
    """A throw-away database, dropped afterwards; ``None`` when PostgreSQL is unreachable."""
    name = f"fengkong_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        print(f"PostgreSQL skipped: cannot reach {admin_url} ({error.orig})")
        admin.dispose()
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _report(measurement: Measurement) -> None:
    print(f"\n{measurement.backend}: {measurement.seconds:.1f} s")
    print(f"  {'table':<22}{'rows':>12}")
    for table, count in measurement.counts.items():
        print(f"  {table:<22}{count:>12,}")
    print(f"  {'total':<22}{measurement.rows:>12,}")
    print(f"  {'rows/s':<22}{measurement.rows / measurement.seconds:>12,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-cli", action="store_true", help="Do not time the CLI command.")
    arguments = parser.parse_args()
    load = {"customers": arguments.customers, "seed": arguments.seed, "as_of": arguments.as_of}

    print(
        f"demo load: {arguments.customers:,} customers, seed {arguments.seed}, "
        f"history to {arguments.as_of}; Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}"
    )
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as directory:
        _report(_measure("SQLite", f"sqlite:///{directory}/service.db", **load))
        if not arguments.skip_cli:
            seconds = _time_cli(f"sqlite:///{directory}/cli.db", **load)
            print(f"\nSQLite, `fengkong demo` end to end (process start to exit): {seconds:.1f} s")
    with _postgres_database(arguments.postgres_url) as url:
        if url is not None:
            _report(_measure("PostgreSQL", url, **load))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of this process: {peak_mib:,.0f} MiB")


if __name__ == "__main__":
    main()
