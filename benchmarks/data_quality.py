"""Time the data-quality reports and pages, and the sandbox pull, on demo data.

    python benchmarks/data_quality.py [--customers 10000] [--pull]
    python benchmarks/data_quality.py --url sqlite:////tmp/demo.db [--pull]

Without ``--url`` a fresh temporary SQLite file is migrated and loaded with ``fengkong demo``'s
service. ``--pull`` first pulls every kind of credit data for every customer from the sandbox
provider (as ``fengkong connectors pull --all --force`` does), which gives the data-quality
figures their variety and times the pull. Then the portfolio report (the service, then the
``/data-quality`` page through the ASGI app) and a customer page with its "Data quality and
sources" section are each timed five times; the median and the range go to stdout for
docs/data-quality.md.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from fengkong.app import create_app
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.connectors import service as connectors_service
from fengkong.connectors.sandbox import SandboxProvider
from fengkong.database import open_database, upgrade
from fengkong.db import Database
from fengkong.demo import service as demo_service
from fengkong.kit.time import business_today
from fengkong.quality import service as quality_service
from fengkong.settings import get_settings

ACTOR = Actor.system("benchmark")
USER = "benchmark_analyst"
PASSWORD = "benchmark password 42"  # noqa: S105 - a throw-away user in a benchmark database
RUNS = 5


def _timed(action: Callable[[], Any], runs: int = RUNS) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return seconds


def _report(label: str, seconds: list[float]) -> None:
    print(
        f"{label:<46}{statistics.median(seconds) * 1000:>9.0f} ms"
        f"   ({min(seconds) * 1000:.0f}–{max(seconds) * 1000:.0f} ms over {len(seconds)} runs)"
    )


def _load_demo(database: Database, customers: int) -> None:
    started = time.perf_counter()
    with database.session_scope(actor=ACTOR) as session:
        demo_service.load_demo(
            session, ACTOR, customers=customers, seed=42, as_of=date(2026, 11, 26)
        )
    _report(f"demo load, {customers:,} customers", [time.perf_counter() - started])


def _pull_everything(database: Database) -> None:
    sandbox = SandboxProvider(today=business_today(get_settings().zone))
    config = connectors_service.ConnectorConfig(
        waterfalls=dict.fromkeys(connectors_service.KINDS, (sandbox,)),
        max_age_days=dict.fromkeys(connectors_service.KINDS, 0),
        zone=get_settings().zone,
        locale=get_settings().default_locale,
    )
    with database.session_scope(actor=ACTOR) as session:
        ids = connectors_service.pullable_customer_ids(session)
    started = time.perf_counter()
    for start in range(0, len(ids), 500):
        with database.session_scope(actor=ACTOR) as session:
            for customer_id in ids[start : start + 500]:
                connectors_service.pull(session, ACTOR, customer_id=customer_id, config=config)
    _report(f"sandbox pull, 3 kinds x {len(ids):,} customers", [time.perf_counter() - started])


def _signed_in_client(database: Database) -> TestClient:
    with database.session_scope(actor=ACTOR) as session:
        if auth_service.find_user(session, USER) is None:
            auth_service.create_user(
                session, ACTOR, username=USER, role=Role.CREDIT_ANALYST, password=PASSWORD
            )
    client = TestClient(create_app(database=database))
    login = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    if token is None:
        raise RuntimeError("the login page has no CSRF token")
    signed_in = client.post(
        "/login",
        data={"csrf_token": token.group(1), "username": USER, "password": PASSWORD},
        follow_redirects=False,
    )
    if signed_in.status_code != 303:
        raise RuntimeError(f"signing in failed: {signed_in.status_code}")
    return client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="an existing database with demo data")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--pull", action="store_true", help="pull sandbox data for everyone first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = args.url or f"sqlite:///{Path(directory) / 'bench.db'}"
        upgrade(url)
        database = open_database(url)
        try:
            if not args.url:
                _load_demo(database, args.customers)
            if args.pull:
                _pull_everything(database)
            today = business_today(get_settings().zone)
            with database.session_scope(actor=ACTOR) as session:
                portfolio = quality_service.portfolio_quality(session, ACTOR, today=today)
            print(
                f"{portfolio.customers:,} customers, average completeness "
                f"{portfolio.average_score:.1%}"
            )
            for item in portfolio.issues:
                print(f"  {item.issue.value:<32}{item.customers:>8,}{item.share:>8.1%}")

            def service_call() -> None:
                with database.session_scope(actor=ACTOR) as session:
                    quality_service.portfolio_quality(session, ACTOR, today=today, worst=25)

            _report("portfolio_quality (service, 25 worst)", _timed(service_call))
            client = _signed_in_client(database)
            worst = portfolio.worst[0].customer_id

            def page(path: str) -> Callable[[], None]:
                def get() -> None:
                    response = client.get(path)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path} answered {response.status_code}")

                return get

            _report("GET /data-quality (page)", _timed(page("/data-quality")))
            _report(
                f"GET /customers/{worst} (page with the section)",
                _timed(page(f"/customers/{worst}")),
            )
        finally:
            database.dispose()


if __name__ == "__main__":
    main()
