"""Time the customer credit report (HTML and PDF) for a sample of customers.

    python benchmarks/customer_report.py [--customers 200] [--reports 20] [--database-url URL]

Without ``--database-url`` a throw-away SQLite file is migrated and given a scored, settled demo
book of ``--customers`` customers (not timed). Each report is generated the way the routes do it
(``customer_report_file`` inside a unit of work, as the risk manager, in Chinese), so the time
includes every query, the template, the SVG charts, WeasyPrint and the audit entry. Prints p50,
p95 and max seconds for HTML and for PDF; the issue's budget is 2 s per report.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers.models import Customer
from fengkong.database import open_database, upgrade
from fengkong.demo import service as demo_service
from fengkong.kit.time import business_today
from fengkong.reports.customer_report import customer_report_file
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.settings import get_settings

SYSTEM = Actor.system("benchmark")
READER = Actor(user_id=None, username="benchmark-manager", role=Role.RISK_MANAGER)


def _demo(url: str, customers: int) -> None:
    upgrade(url)
    database = open_database(url)
    today = business_today(get_settings().zone)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            demo_service.load_demo(session, SYSTEM, customers=customers, seed=7, as_of=today)
        with database.session_scope(actor=SYSTEM) as session:
            risk_service.score_customers(session, SYSTEM, as_of=today, trigger=ScoreTrigger.DEMO)
        with database.session_scope(actor=SYSTEM) as session:
            demo_service.settle_demo(session, SYSTEM, today=today)
    finally:
        database.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _time(url: str, reports: int) -> dict[str, list[float]]:
    database = open_database(url)
    timings: dict[str, list[float]] = {"html": [], "pdf": []}
    formats: tuple[Literal["html", "pdf"], ...] = ("html", "pdf")
    try:
        with database.session_scope(actor=SYSTEM) as session:
            ids = list(session.scalars(select(Customer.id).order_by(Customer.id).limit(reports)))
        for customer_id in ids:
            for fmt in formats:
                started = time.perf_counter()
                with database.session_scope(actor=READER) as session:
                    customer_report_file(session, READER, customer_id, fmt=fmt, locale="zh_CN")
                timings[fmt].append(time.perf_counter() - started)
    finally:
        database.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--reports", type=int, default=20)
    parser.add_argument("--database-url")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = arguments.database_url
        if url is None:
            url = f"sqlite:///{Path(directory) / 'bench.sqlite'}"
            started = time.perf_counter()
            _demo(url, arguments.customers)
            print(f"demo of {arguments.customers} customers: {time.perf_counter() - started:.1f} s")
        timings = _time(url, arguments.reports)
    for fmt, values in timings.items():
        print(
            f"{fmt}: n={len(values)} p50={statistics.median(values):.3f} s "
            f"p95={_percentile(values, 0.95):.3f} s max={max(values):.3f} s"
        )


if __name__ == "__main__":
    main()
