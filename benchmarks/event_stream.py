"""Replay typed events through ingestion and the stream consumer on PostgreSQL.

    python benchmarks/event_stream.py [--customers 100000] [--events 1000000] [--workers 1 2]
        [--batch 10000] [--concurrency 1] [--rate EVENTS_PER_S] [--warm]

For each worker count: a fresh database ``fengkong_bench_stream`` is migrated and filled set-based
(customers, ~6 invoices each, a dishonest-debtor record for one customer in a hundred) and the
active rule set is the shipped one. ``fengkong serve`` runs on loopback (no embedded thread) and
``--workers`` ``fengkong worker`` processes are started (polars on one thread each, as
``docs/monitoring-stream.md`` deploys them); the events — interleaved
``invoice_issued`` / ``payment_received`` / ``order_placed`` for random customers — are posted in
HTTP batches of ``--batch``. With ``--warm`` one order for every customer is applied first and
left out of every figure (its audit entries are sealed before the measured events start): the
measured events meet customers already scored and monitored (their rule states exist), the steady
state of a book, instead of each one's first evaluation. Where the server's autovacuum is off (as
on this machine) ``autovacuum`` does its work — after a warm-up, and every 60 s while the events
run — so that statements are planned on statistics as a production server keeps them. Reported:

* ingestion: events/s of the POSTs alone;
* sustained: events/s from the first POST to the moment every customer's stream position reached
  its last event (ingestion and consumption overlap);
* latency: for every event, the time from its ``recorded_at`` (ingested) to the commit of the batch
  that applied it (rescore + rules: where an alert would be raised) — p50 / p95 / max;
* applications a customer: how many jobs its events were split over (the consumer's cost is
  per customer applied, not per event);
* CPU an event (ms) of the server, the workers, PostgreSQL and this generator over the run (Linux
  ``/proc``): steadier than throughput on a noisy machine.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from autovacuum import Autovacuum, server_autovacuum_on, visit
from fengkong.audit.chain import seal_all
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.database import open_database, upgrade
from fengkong.db import Database
from fengkong.jobs import consumer, queue
from process_cpu import cpu_seconds, postgres_cpu_seconds, tree_cpu_seconds

ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
NAME = "fengkong_bench_stream"
PORT = 8765
STALLED_AFTER = 120.0

BUILD = [
    """
    INSERT INTO customers (id, uscc, name, industry_code, region_code, status, uscc_verification,
                           source, source_ref, sourced_at, created_at, updated_at, version)
    SELECT n, '91310000' || lpad(n::text, 10, '0'), '压测客户' || n, 'F51', '310000', 'active',
           'unverified', 'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers) AS n
    """,
    "SELECT setval(pg_get_serial_sequence('customers', 'id'), :customers)",
    """
    INSERT INTO invoices (customer_id, invoice_number, issue_date, due_date, currency, amount_minor,
                          outstanding_minor, status, source, source_ref, sourced_at, created_at,
                          updated_at, version)
    SELECT c, 'B-' || c || '-' || i, CURRENT_DATE - age, CURRENT_DATE - age + 60, 'CNY', amount,
           CASE WHEN age <= 62 THEN amount ELSE 0 END,
           CASE WHEN age <= 62 THEN 'open' ELSE 'paid' END,
           'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers) AS c, generate_series(1, 6) AS i,
         LATERAL (SELECT (i * 20 + c) % 120 AS age,
                         ((c * 13 + i * 101) % 8000 + 500) * 100 AS amount) AS a
    """,
    """
    INSERT INTO legal_events (customer_id, event_type, occurred_on, case_number, authority,
                              source, source_ref, sourced_at, created_at, updated_at, version)
    SELECT c, 'dishonest_debtor', CURRENT_DATE - 10, '(2026)沪执' || c || '号', '上海市法院',
           'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers, 100) AS c
    """,
    "ANALYZE",
]


def _admin_execute(sql: str) -> None:
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(sql))
    engine.dispose()


def build(customers: int) -> tuple[str, str]:
    _admin_execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
    _admin_execute(f'CREATE DATABASE "{NAME}"')
    url = make_url(ADMIN_URL).set(database=NAME).render_as_string(hide_password=False)
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in BUILD:
            connection.execute(text(statement), {"customers": customers})
    engine.dispose()
    database = open_database(url)
    system = Actor.system("benchmark")
    with database.session_scope(actor=system) as session:
        auth_service.create_user(
            session, system, username="erp", role=Role.CREDIT_ANALYST, password="x" * 16
        )
        token = auth_service.create_token(session, system, username="erp", name="bench")
    database.dispose()
    return url, token


def events(count: int, customers: int, seed: int = 7) -> list[dict[str, object]]:
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    for n in range(count):
        customer_id = rng.randint(1, customers)
        kind = n % 3
        base = {
            "event_id": f"bench-{n}",
            "occurred_at": "2026-11-26T08:00:00+08:00",
            "customer_id": customer_id,
        }
        if kind == 0:
            payload = {
                "invoice_number": f"E-{n}",
                "amount_minor": 100_000,
                "currency": "CNY",
                "issue_date": "2026-11-26",
                "due_date": "2027-01-25",
            }
            out.append({**base, "type": "invoice_issued", "payload": payload})
        elif kind == 1:
            payload = {
                "payment_reference": f"P-{n}",
                "amount_minor": 50_000,
                "currency": "CNY",
                "received_on": "2026-11-26",
            }
            out.append({**base, "type": "payment_received", "payload": payload})
        else:
            payload = {
                "order_number": f"O-{n}",
                "amount_minor": 80_000,
                "currency": "CNY",
                "order_date": "2026-11-26",
            }
            out.append({**base, "type": "order_placed", "payload": payload})
    return out


def warm_up(customers: int) -> list[dict[str, object]]:
    """One order for every customer: applied before the measured stream, so that each customer
    has its score, rating, rule states and exposure already, as in a book monitored for a while."""
    return [
        {
            "event_id": f"warm-{customer_id}",
            "occurred_at": "2026-11-25T08:00:00+08:00",
            "customer_id": customer_id,
            "type": "order_placed",
            "payload": {
                "order_number": f"W-{customer_id}",
                "amount_minor": 60_000,
                "currency": "CNY",
                "order_date": "2026-11-25",
            },
        }
        for customer_id in range(1, customers + 1)
    ]


def _customers_behind(url: str) -> int:
    """Customers whose stream position is short of their last ingested event: exact, but a scan
    of every event (0.4 s of PostgreSQL's CPU at 250,000 events, seconds at a million)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        behind: int = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT customer_id, max(id) AS last FROM events "
                "WHERE entity_type = 'ingested' GROUP BY customer_id) e "
                "LEFT JOIN customer_stream_positions p USING (customer_id) "
                "WHERE coalesce(p.last_event_id, 0) < e.last"
            )
        ).scalar_one()
    engine.dispose()
    return behind


def _backlog(database: Database) -> int:
    """What is left to apply, read cheaply: the events the dispatcher has not read yet and the
    stream jobs not finished (the dispatcher moves its position and queues the jobs in one
    transaction; a job finishes after its customers' transaction committed)."""
    with database.session_scope(actor=Actor.system("benchmark")) as session:
        return consumer.lag(session) + queue.pending_jobs(session)


def _wait_until_caught_up(url: str) -> None:
    """Until every customer is applied. Polled every half second on the cheap backlog — polled,
    the exact check took a core from the workers it waited for, most of a replay's drain — and
    checked once exactly at the end (a job that failed for good leaves its customers behind).
    A stream that makes no progress for ``STALLED_AFTER`` seconds is reported rather than waited
    for (a stuck run once hung here)."""
    database = open_database(url)
    try:
        backlog, since = _backlog(database), time.monotonic()
        while backlog:
            time.sleep(0.5)
            now_backlog = _backlog(database)
            if now_backlog < backlog:
                backlog, since = now_backlog, time.monotonic()
            elif time.monotonic() - since > STALLED_AFTER:
                raise RuntimeError(
                    f"the stream stalled: {backlog} events and jobs left for {STALLED_AFTER} s"
                )
    finally:
        database.dispose()
    behind = _customers_behind(url)
    if behind:
        raise RuntimeError(
            f"{behind} customers were left behind: a stream job failed (see the log)"
        )


def _seal_audit_chain(url: str) -> None:
    """Seal the warm-up's audit entries (its first evaluations audit every new rule state and
    alert) before measuring: left to the workers' sealers, their backlog would be sealed during
    the measured events, work a steady book does not have."""
    engine = create_engine(url)
    seal_all(engine)
    engine.dispose()


def _last_event_id(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        last: int = connection.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one()
    engine.dispose()
    return last


def _latency(url: str, after: int) -> tuple[float, float, float]:
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lat), "
                "percentile_cont(0.95) WITHIN GROUP (ORDER BY lat), max(lat) FROM ("
                "SELECT extract(epoch FROM b.applied_at - e.recorded_at) AS lat "
                "FROM events e JOIN stream_batches b ON b.customer_id = e.customer_id "
                "AND e.id BETWEEN b.first_event_id AND b.last_event_id "
                "WHERE e.entity_type = 'ingested' AND e.id > :after) t"
            ),
            {"after": after},
        ).one()
    engine.dispose()
    return float(row[0]), float(row[1]), float(row[2])


def _applications(url: str, after: int) -> float:
    """How many times a customer was applied, on average: its events split over that many jobs
    (each application pays the per-customer cost once, however many events it carries)."""
    engine = create_engine(url)
    with engine.connect() as connection:
        batches, customers = connection.execute(
            text(
                "SELECT count(*), count(DISTINCT customer_id) FROM stream_batches "
                "WHERE last_event_id > :after"
            ),
            {"after": after},
        ).one()
    engine.dispose()
    return float(batches) / max(1, int(customers))


def run(args: argparse.Namespace, workers: int) -> dict[str, object]:
    url, token = build(args.customers)
    environment = os.environ | {
        "FENGKONG_DATABASE_URL": url,
        "FENGKONG_RESCORE_INTERVAL_SECONDS": "0",
    }
    # Workers as docs/monitoring-stream.md deploys them: polars on one thread a process.
    worker_environment = environment | {"POLARS_MAX_THREADS": "1"}
    fengkong = [sys.executable, "-c", "from fengkong import cli; cli.app()"]
    log = Path(tempfile.gettempdir()) / "fengkong_bench_stream.log"
    with log.open("w") as sink:
        server = subprocess.Popen(  # noqa: S603
            [*fengkong, "serve", "--port", str(PORT)], env=environment, stderr=sink
        )
        started = [
            subprocess.Popen(  # noqa: S603
                [*fengkong, "worker", "--concurrency", str(args.concurrency)],
                env=worker_environment,
                stderr=sink,
            )
            for _ in range(workers)
        ]
        try:
            base = f"http://127.0.0.1:{PORT}"
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=5).close()  # noqa: S310
                    break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.2)
            if args.warm:
                warm = warm_up(args.customers)
                for offset in range(0, len(warm), 10_000):
                    _post(base, token, warm[offset : offset + 10_000])
                _wait_until_caught_up(url)
                _seal_audit_chain(url)
                visit(url)
            measured_after = _last_event_id(url)
            stream = events(args.events, args.customers)
            cpu_before = _cpu_by_group(server, started)
            start = time.perf_counter()
            with Autovacuum(url) as autovacuum:
                for offset in range(0, len(stream), args.batch):
                    _post(base, token, stream[offset : offset + args.batch])
                    if args.rate:
                        due = start + (offset + args.batch) / args.rate
                        time.sleep(max(0.0, due - time.perf_counter()))
                ingested = time.perf_counter() - start
                _wait_until_caught_up(url)
                total = time.perf_counter() - start
            cpu_after = _cpu_by_group(server, started)
        finally:
            for process in [*started, server]:
                process.terminate()
            for process in [*started, server]:
                process.wait(timeout=60)
    p50, p95, worst = _latency(url, measured_after)
    applications = _applications(url, measured_after)
    return {
        "workers": workers,
        "events": args.events,
        "customers": args.customers,
        "warm_book": args.warm,
        "paced_events_per_s": args.rate or None,
        "ingest_events_per_s": round(args.events / ingested),
        "sustained_events_per_s": round(args.events / total),
        "seconds": round(total, 1),
        "latency_p50_s": round(p50, 2),
        "latency_p95_s": round(p95, 2),
        "latency_max_s": round(worst, 2),
        "applications_a_customer": round(applications, 2),
        "autovacuum": "server" if server_autovacuum_on(url) else f"{autovacuum.visits} visits",
        "cpu_ms_per_event": {
            group: round((cpu_after[group] - cpu_before[group]) / args.events * 1000, 3)
            for group in cpu_before
        },
    }


def _post(base: str, token: str, batch: list[dict[str, object]]) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{base}/api/v1/events",
        data=json.dumps({"events": batch}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        if response.status != 200:
            raise RuntimeError(f"ingestion answered {response.status}")


def _cpu_by_group(
    server: subprocess.Popen[bytes], workers: list[subprocess.Popen[bytes]]
) -> dict[str, float]:
    return {
        "server": tree_cpu_seconds(server.pid),
        "workers": sum(tree_cpu_seconds(worker.pid) for worker in workers),
        "PostgreSQL": postgres_cpu_seconds(),
        "generator": cpu_seconds(os.getpid()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="Pace the POSTs at this many events/s (0: as fast as possible, a backlog replay); "
        "below the drain rate the latency is the steady-state event-to-alert latency.",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="Apply one order for every customer first (not measured): the measured events then "
        "meet a book already scored and monitored, as in production, instead of first "
        "evaluations.",
    )
    args = parser.parse_args()
    # ``timeout`` or ``kill`` end the run through its ``finally``, which stops server and workers
    # (left running, they held the port and failed the next run).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for workers in args.workers:
        print(json.dumps(run(args, workers)), flush=True)
    _admin_execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
