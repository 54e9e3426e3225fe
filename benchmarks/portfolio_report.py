"""Time the monthly portfolio report (HTML, PDF and Excel) on PostgreSQL with a large demo book
(issue 9: under 60 s for 100,000 customers).

    python benchmarks/portfolio_report.py [--customers 100000] [--batch 10000] [--seed 42]
        [--runs 1] [--database NAME] [--reuse] [--keep]

The book is built by ``benchmarks/web_pages.py``'s loader (demo customers with three years of
history, scored twice, limits, dunning, reviews, alerts at three dates, exposure snapshots,
``ANALYZE``) into a fresh ``fengkong_bench_portfolio_report``, dropped afterwards unless
``--keep``; ``--reuse`` times an existing database instead (default the issue-7 one,
``fengkong_bench_web_pages``) after ``fengkong db upgrade``, and never drops it. Each format is
generated ``--runs`` times the way the routes do it (``portfolio_report_file`` in a unit of work,
as a risk manager, in Chinese, for the last complete month), so the time includes every query,
the template, the SVG charts, WeasyPrint or xlsxwriter and the audit entry. Prints seconds and
bytes per format.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time
from datetime import date

from sqlalchemy import func, select

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.customers.models import Customer
from fengkong.database import open_database, upgrade
from fengkong.kit.time import business_today
from fengkong.reports.portfolio_report import (
    ReportFormat,
    last_complete_month,
    portfolio_report_file,
)
from fengkong.settings import get_settings
from web_pages import DATABASE, build, database_url, drop

READER = Actor(user_id=None, username="benchmark-manager", role=Role.RISK_MANAGER)
BUILT = "fengkong_bench_portfolio_report"
"""Built here unless ``--reuse``; dropped afterwards unless ``--keep`` (a reused one never)."""
TARGET_SECONDS = 60.0
FORMATS: tuple[ReportFormat, ...] = ("html", "pdf", "xlsx")


def time_reports(name: str, month: date, runs: int) -> None:
    database = open_database(database_url(name))
    try:
        with database.session_scope(actor=READER) as session:
            customers = session.scalar(select(func.count()).select_from(Customer)) or 0
        print(f"{customers:,} customers; report month {month:%Y-%m}", flush=True)
        print(f"{'format':<8}{'runs':>5}{'median s':>10}{'max s':>8}{'bytes':>12}  target 60 s")
        for fmt in FORMATS:
            seconds, size = [], 0
            for _ in range(runs):
                started = time.perf_counter()
                with database.session_scope(actor=READER) as session:
                    report = portfolio_report_file(
                        session, READER, month=month, fmt=fmt, locale="zh_CN"
                    )
                seconds.append(time.perf_counter() - started)
                size = len(report.content)
            verdict = "ok" if max(seconds) < TARGET_SECONDS else "OVER"
            print(
                f"{fmt:<8}{runs:>5}{statistics.median(seconds):>10.2f}{max(seconds):>8.2f}"
                f"{size:>12,}  {verdict}",
                flush=True,
            )
    finally:
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--database", help=f"default: {DATABASE} with --reuse, else {BUILT}")
    parser.add_argument("--reuse", action="store_true", help="use the database already built")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    today = business_today(get_settings().zone)
    name = args.database or (DATABASE if args.reuse else BUILT)
    try:
        if args.reuse:
            upgrade(database_url(name))
        else:
            build(name, args.customers, args.batch, args.seed, today)
        time_reports(name, last_complete_month(today), args.runs)
    finally:
        if not (args.keep or args.reuse):
            drop(name)


if __name__ == "__main__":
    main()
