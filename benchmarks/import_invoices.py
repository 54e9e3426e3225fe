"""Time `fengkong import invoices` on a million-row CSV, on SQLite and on PostgreSQL.

    python benchmarks/import_invoices.py [--rows 1000000] [--customers 10000] [--runs 1]

Generates a CSV of invoices (Chinese headers, as a Chinese ERP exports them) for customers that
exist, then for each backend migrates a fresh database (an SQLite file; a throw-away PostgreSQL
database at 127.0.0.1:5432 or ``--postgres-url``, skipped when unreachable), inserts the customers
and runs the `fengkong import` command in a child process: the time is process start to exit
(parse, validate, write, commit), and the peak memory is the child's maximum resident set. It
then imports a byte-for-byte different file with the same records (CRLF line ends) to time an
import that finds every row unchanged. Results go to stdout for docs/performance.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("POLARS_MAX_THREADS", "1")

import argparse
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from fengkong import tables
from fengkong.auth.actor import Actor
from fengkong.customers.uscc import check_digit
from fengkong.database import open_database, upgrade
from fengkong.kit.bulk import insert_columns
from fengkong.kit.provenance import DataSource
from fengkong.kit.time import utcnow

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ACTOR = Actor.system("benchmark")
HEADER = ["发票号", "统一社会信用代码", "开票日期", "到期日", "金额", "币种"]


@dataclass(frozen=True)
class Run:
    label: str
    wall_seconds: float
    import_seconds: float
    peak_mib: float
    summary: str


def _uscc(serial: int) -> str:
    body = f"91440300MA{serial:07d}"
    return body + check_digit(body)


def _write_invoices(path: Path, *, rows: int, customers: list[str], seed: int = 7) -> None:
    """Invoices spread over the customers: issued in 2024–2026, due 0–120 days later."""
    random = np.random.default_rng(seed)
    issued = np.datetime64("2024-01-01") + random.integers(0, 1000, rows).astype("timedelta64[D]")
    due = issued + random.integers(0, 121, rows).astype("timedelta64[D]")
    cents = random.integers(10_000, 50_000_000, rows)
    frame = pl.DataFrame(
        {
            "serial": np.arange(rows),
            "customer": np.array(customers, dtype=object)[random.integers(0, len(customers), rows)],
            "issued": issued,
            "due": due,
            "cents": cents,
        }
    ).select(
        pl.format("FP{}", pl.col("serial").cast(pl.String).str.zfill(9)).alias(HEADER[0]),
        pl.col("customer").cast(pl.String).alias(HEADER[1]),
        pl.col("issued").alias(HEADER[2]),
        pl.col("due").alias(HEADER[3]),
        pl.format(
            "{}.{}",
            pl.col("cents") // 100,
            (pl.col("cents") % 100).cast(pl.String).str.zfill(2),
        ).alias(HEADER[4]),
        pl.lit("CNY").alias(HEADER[5]),
    )
    frame.write_csv(path)


def _insert_customers(url: str, codes: list[str]) -> None:
    database = open_database(url)
    now = utcnow()
    count = len(codes)
    try:
        with database.session_scope(actor=ACTOR) as session:
            insert_columns(
                session.connection(),
                tables.metadata.tables["customers"],
                {
                    "uscc": codes,
                    "name": [f"基准测试客户{code[-8:]}" for code in codes],
                    "status": ["active"] * count,
                    "uscc_verification": ["unverified"] * count,
                    "source": [DataSource.CLI.value] * count,
                    "source_ref": ["benchmark"] * count,
                    "sourced_at": [now] * count,
                    "created_at": [now] * count,
                    "updated_at": [now] * count,
                    "version": [1] * count,
                },
            )
    finally:
        database.dispose()


def _import(url: str, path: Path, data_dir: Path, label: str) -> Run:
    """Run `fengkong import invoices PATH` in a child process; wall time and its peak memory."""
    command = shutil.which("fengkong") or str(Path(sys.executable).with_name("fengkong"))
    environment = os.environ | {
        "FENGKONG_DATABASE_URL": url,
        "FENGKONG_DATA_DIR": str(data_dir),
        "FENGKONG_IMPORT_MAX_ROWS": str(10_000_000),
    }
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own console script with fixed arguments
            [command, "import", "invoices", str(path), "--lang", "en"],
            env=environment,
            stdout=out,
            stderr=err,
            text=True,
        )
        # wait4 rather than Popen.wait: it also reports the child's own peak memory.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{label}: the import failed\n{stdout}\n{stderr}")
    reported = re.search(r"\((\d+(?:\.\d+)?) s\)\s*$", stdout.strip())
    return Run(
        label=label,
        wall_seconds=wall,
        import_seconds=float(reported.group(1)) if reported else wall,
        peak_mib=usage.ru_maxrss / 1024,
        summary=stdout.strip().splitlines()[0],
    )


def _count(url: str) -> tuple[int, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            invoices = connection.scalar(select(func.count()).select_from(tables.Invoice))
            events = connection.scalar(select(func.count()).select_from(tables.Event))
    finally:
        engine.dispose()
    return int(invoices or 0), int(events or 0)


def _settle(url: str) -> None:
    """Start each PostgreSQL run from a checkpoint, so that one run does not pay for flushing the
    previous run's writes (a million invoices write about 400 MB of WAL; the server checkpoints
    every 1 GB by default). Needs a superuser, as the benchmark's own database has."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("CHECKPOINT"))
    finally:
        engine.dispose()


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


def _backend(
    label: str, url: str, files: tuple[Path, Path], codes: list[str], work: Path, rows: int
) -> list[Run]:
    upgrade(url)
    _insert_customers(url, codes)
    _settle(url)
    first = _import(url, files[0], work, f"{label}, {rows:,} new rows")
    invoices, events = _count(url)
    if invoices != rows:
        raise SystemExit(f"{label}: {invoices:,} invoices stored, expected {rows:,}")
    print(f"  {label}: {invoices:,} invoices and {events:,} events stored")
    _settle(url)
    again = _import(url, files[1], work, f"{label}, same rows again (another file)")
    if _count(url) != (invoices, events):
        raise SystemExit(f"{label}: re-importing the same rows changed something")
    return [first, again]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1, help="Repeat each backend this often.")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    arguments = parser.parse_args()

    print(
        f"import of {arguments.rows:,} invoices for {arguments.customers:,} customers; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, "
        f"POLARS_MAX_THREADS={os.environ['POLARS_MAX_THREADS']}, polars {pl.__version__}"
    )
    codes = [_uscc(serial) for serial in range(1, arguments.customers + 1)]
    results: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="fengkong-bench-") as directory:
        work = Path(directory)
        original = work / "invoices.csv"
        _write_invoices(original, rows=arguments.rows, customers=codes)
        copy = work / "invoices-crlf.csv"
        copy.write_bytes(original.read_bytes().replace(b"\n", b"\r\n"))
        print(f"  file: {original.stat().st_size / 2**20:,.1f} MiB")
        for run in range(arguments.runs):
            if not arguments.skip_sqlite:
                url = f"sqlite:///{work}/run{run}.db"
                results += _backend("SQLite", url, (original, copy), codes, work, arguments.rows)
            if not arguments.skip_postgres:
                with _postgres_database(arguments.postgres_url) as url_pg:
                    if url_pg is not None:
                        results += _backend(
                            "PostgreSQL", url_pg, (original, copy), codes, work, arguments.rows
                        )
    print(f"\n{'run':<48}{'wall s':>8}{'import s':>10}{'rows/s':>10}{'peak MiB':>10}")
    for result in results:
        print(
            f"{result.label:<48}{result.wall_seconds:>8.1f}{result.import_seconds:>10.1f}"
            f"{arguments.rows / result.wall_seconds:>10,.0f}{result.peak_mib:>10,.0f}"
        )


if __name__ == "__main__":
    main()
