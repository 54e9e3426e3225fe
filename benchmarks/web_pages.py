"""Time the server-side rendering of the dashboard, the customer list and the customer page on
PostgreSQL with 100,000 demo customers (issue 7: each under 300 ms).

    python benchmarks/web_pages.py [--customers 100000] [--batch 10000] [--seed 42]
        [--as-of YYYY-MM-DD] [--rounds 30] [--sample 60] [--figure-runs 3] [--keep] [--reuse]

1. Build (``--reuse`` skips it, ``--keep`` keeps the database afterwards): a fresh PostgreSQL
   database ``fengkong_bench_web_pages``, migrated, then filled by the demo loader in batches of
   ``--batch`` customers (seed, seed + 1, …: one batch of 10,000 holds about 2 GB while it is
   written), all with history up to ``--as-of`` (default: today where the business is). Then
   what ``fengkong demo`` and a live system add: everyone scored 91 days before ``--as-of`` and
   again on it (so the grade migration matrix has a history to compare), limits granted from the
   limit policy, a dunning run, periodic reviews scheduled, and the early-warning rules evaluated
   at three dates eight, four and zero weeks back (so alerts have a trend), and every
   customer's exposure snapshot computed (the daily job). ``ANALYZE`` last. With ``--reuse``
   the snapshots are refreshed first when they are older than ``--as-of``.
2. Time the dashboard's figures computed and kept (``portfolio.service.refresh_figures``, the
   work done after a visit that finds them stale) ``--figure-runs`` times; the last kept
   figures are the ones the pages below read.
3. Time: the ASGI app in this process (``fastapi.testclient``, no network, one request at a
   time) signed in as a risk manager; each page is fetched once to warm up, then ``--rounds``
   times: the dashboard ``/``, the customer list by default and with a filter and a sort, and
   ``/customers/{id}`` for ``--sample`` customers drawn at random (seeded). For each page: p50,
   p95 and max of the request time, and the median SQL time and statement count (from the
   engine's cursor events), so what is not SQL is Python and template.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import partial
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.collections import service as collections_service
from fengkong.database import open_database, upgrade
from fengkong.db import Database
from fengkong.demo import service as demo_service
from fengkong.exposure import service as exposure_service
from fengkong.kit.time import business_today
from fengkong.limits import service as limits_service
from fengkong.monitoring import service as monitoring_service
from fengkong.portfolio import service as portfolio_service
from fengkong.reviews import service as reviews_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.settings import get_settings

ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "fengkong_bench_web_pages"
ACTOR = Actor.system("benchmark")
USERNAME = "bench_manager"
PASSWORD = "bench-manager-password"  # noqa: S105 - a throw-away benchmark database
LIST_PAGES = (
    "/customers",
    "/customers?grade=D&grade=E&sort=-score",
    "/customers?q=%E7%A7%91%E6%8A%80&industry=C&sort=grade",
)
ALERT_WEEKS_BACK = (8, 4, 0)
HISTORY_DAYS = 91
TARGET_MS = 300.0


def database_url(name: str) -> str:
    return make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop(name: str) -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- 1. the database --------------------------------------------------------------------------


@contextmanager
def step(what: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {what}: {time.perf_counter() - started:.1f} s", flush=True)


def _in_unit(database: Database, work: Callable[[Session], object]) -> object:
    with database.session_scope(actor=ACTOR) as session:
        return work(session)


def build(name: str, customers: int, batch: int, seed: int, as_of: date) -> None:
    drop(name)
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = database_url(name)
    print(f"building {name}: {customers:,} demo customers, history to {as_of}", flush=True)
    with step("migrated"):
        upgrade(url)
    database = open_database(url)
    zone = get_settings().zone
    try:
        for number, first in enumerate(range(0, customers, batch)):
            size = min(batch, customers - first)
            with step(f"demo batch {number + 1}: {size:,} customers, seed {seed + number}"):
                _in_unit(
                    database,
                    partial(
                        demo_service.load_demo,
                        actor=ACTOR,
                        customers=size,
                        seed=seed + number,
                        as_of=as_of,
                    ),
                )
        _in_unit(
            database,
            partial(
                auth_service.create_user,
                actor=ACTOR,
                username=USERNAME,
                role=Role.RISK_MANAGER,
                password=PASSWORD,
            ),
        )
        for day in (as_of - timedelta(days=HISTORY_DAYS), as_of):
            with step(f"scored as of {day}"):
                _in_unit(
                    database,
                    partial(
                        risk_service.score_customers,
                        actor=ACTOR,
                        as_of=day,
                        trigger=ScoreTrigger.DEMO,
                    ),
                )
        with step("limits granted, dunning run, reviews scheduled"):
            _in_unit(database, partial(_settle, as_of=as_of))
        for weeks in ALERT_WEEKS_BACK:
            day = as_of - timedelta(weeks=weeks)
            with step(f"early-warning rules evaluated as of {day}"):
                _in_unit(
                    database,
                    partial(
                        monitoring_service.evaluate_customers,
                        actor=ACTOR,
                        customer_ids=None,
                        as_of=day,
                        now=datetime.combine(day, clock(9), zone),
                    ),
                )
        refresh(database, as_of)
        with (
            step("analyzed"),
            database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection,
        ):
            # Outside a transaction: statistics gathered in one that is never committed are lost.
            connection.execute(text("ANALYZE"))
    finally:
        database.dispose()


def _settle(session: Session, *, as_of: date) -> None:
    """Limits from the policy, a dunning run and the periodic reviews, as a live book has."""
    limits_service.grant_policy_limits(session, ACTOR, today=as_of)
    collections_service.run_dunning(session, ACTOR, today=as_of)
    reviews_service.schedule_reviews(session, ACTOR, today=as_of)


def refresh(database: Database, as_of: date) -> None:
    """What the daily job does: every customer's exposure snapshot, aged as of ``as_of``."""
    with step(f"exposure snapshots refreshed as of {as_of}"):
        _in_unit(database, partial(exposure_service.refresh_exposures, actor=ACTOR, as_of=as_of))


def time_figures(database: Database, as_of: date, runs: int) -> None:
    """The dashboard's figures computed and kept ``runs`` times: the work a background refresh
    does after a visit once they are stale (the page itself reads the kept row)."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        _in_unit(database, partial(portfolio_service.refresh_figures, today=as_of))
        seconds.append(time.perf_counter() - started)
    print(
        f"  portfolio figures refreshed {runs}×: median {statistics.median(seconds):.2f} s, "
        f"min {min(seconds):.2f} s, max {max(seconds):.2f} s",
        flush=True,
    )


# --- 2. the timings ---------------------------------------------------------------------------


@dataclass
class SqlMeter:
    """Statements and their time, counted from the engine's cursor events."""

    statements: int = 0
    seconds: float = 0.0
    _started: list[float] = field(default_factory=list)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()
        self.statements += 1

    def reset(self) -> None:
        self.statements = 0
        self.seconds = 0.0


@dataclass
class PageTimes:
    name: str
    milliseconds: list[float] = field(default_factory=list)
    sql_milliseconds: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)

    def line(self) -> str:
        ordered = sorted(self.milliseconds)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        verdict = "ok" if p95 < TARGET_MS else "OVER"
        return (
            f"{self.name:<58}{len(ordered):>4}{statistics.median(ordered):>9.1f}{p95:>9.1f}"
            f"{ordered[-1]:>9.1f}{statistics.median(self.sql_milliseconds):>9.1f}"
            f"{statistics.median(self.statements):>7.0f}  {verdict}"
        )


HEADER = f"{'page':<58}{'n':>4}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'SQL ms':>9}{'stmts':>7}"


def _fetch(client: TestClient, meter: SqlMeter, url: str, times: PageTimes) -> None:
    meter.reset()
    started = time.perf_counter()
    response = client.get(url, follow_redirects=False)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}: {response.text[:500]}")
    times.milliseconds.append(elapsed)
    times.sql_milliseconds.append(meter.seconds * 1000)
    times.statements.append(meter.statements)


def measure(name: str, rounds: int, sample: int, seed: int) -> list[PageTimes]:
    database = open_database(database_url(name))
    meter = SqlMeter()
    meter.attach(database.engine)
    app = create_app(database)
    try:
        with database.engine.connect() as connection:
            ids = list(connection.scalars(select(tables.Customer.id).order_by(tables.Customer.id)))
        chosen = random.Random(seed).sample(ids, min(sample, len(ids)))
        with TestClient(app, raise_server_exceptions=True) as client:
            login = client.get("/login").text
            token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            signed = client.post(
                "/login",
                data={"username": USERNAME, "password": PASSWORD, "csrf_token": token},
                follow_redirects=False,
            )
            if signed.status_code != 303:
                raise SystemExit(f"sign-in failed: {signed.status_code}")
            results = []
            for url in ("/", *LIST_PAGES):
                times = PageTimes(url if url != "/" else "/ (dashboard)")
                _fetch(client, meter, url, PageTimes("warm-up"))
                for _ in range(rounds):
                    _fetch(client, meter, url, times)
                results.append(times)
                print(times.line(), flush=True)
            customer = PageTimes(f"/customers/{{id}} ({len(chosen)} customers)")
            _fetch(client, meter, f"/customers/{chosen[0]}", PageTimes("warm-up"))
            for customer_id in chosen:
                _fetch(client, meter, f"/customers/{customer_id}", customer)
            results.append(customer)
            print(customer.line(), flush=True)
    finally:
        database.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--sample", type=int, default=60)
    parser.add_argument("--figure-runs", type=int, default=3)
    parser.add_argument("--database", default=DATABASE, help="name of the benchmark database")
    parser.add_argument("--reuse", action="store_true", help="use the database already built")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--build-only", action="store_true", help="build, then stop")
    args = parser.parse_args()

    as_of = args.as_of or business_today(get_settings().zone)
    try:
        if args.reuse:
            upgrade(database_url(args.database))
            database = open_database(database_url(args.database))
            try:
                with database.session_scope(actor=ACTOR) as session:
                    stale = exposure_service.exposures_stale(session, as_of=as_of)
                if stale:
                    refresh(database, as_of)
            finally:
                database.dispose()
        else:
            build(args.database, args.customers, args.batch, args.seed, as_of)
        if args.build_only:
            return
        database = open_database(database_url(args.database))
        try:
            time_figures(database, as_of, args.figure_runs)
        finally:
            database.dispose()
        print(f"\n{HEADER}")
        measure(args.database, args.rounds, args.sample, args.seed)
    finally:
        if not args.keep:
            drop(args.database)


if __name__ == "__main__":
    main()
