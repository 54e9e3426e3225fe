"""Load-test the ERP order credit check: POST /api/v1/credit-checks against PostgreSQL with
100,000 customers, served by uvicorn on loopback.

    python benchmarks/credit_check_load.py [--customers 100000] [--rate 200] [--seconds 60]
        [--step 50] [--step-seconds 20] [--keep] [--reuse]

1. Build (``--reuse`` skips it): a fresh PostgreSQL database ``fengkong_bench_credit_checks``,
   migrated, then filled set-based (``INSERT … SELECT generate_series``, not the demo loader):
   customers, a permanent limit each, ~24 invoices each (two thirds open, some overdue), a few
   unapplied payments and ~3 open orders each. ``ANALYZE`` afterwards.
2. Serve: ``uvicorn fengkong.app:create_app --factory --workers N`` (``--workers``, default 4)
   on 127.0.0.1 without access log, and ``fengkong audit seal --follow`` beside it (what
   ``fengkong serve`` or a worker runs: the audit entries the checks write pending are sealed
   into the chain every second).
3. Drive it open-loop at a fixed arrival rate: request *i* is due at ``start + i / rate`` whether
   or not earlier ones have finished (no coordinated omission); its latency is measured from that
   due time to the last byte of the answer. Each request is a new order of a random customer for a
   random ¥1,000–¥20,000, so most are approved and booked (the heavier path). A small asyncio
   HTTP/1.1 client on keep-alive connections sends them: it costs far less CPU than a general HTTP
   library, which matters when generator, server and database share two cores.
4. Report p50 / p95 / p99 / max and the error rate for ``--rate`` over ``--seconds`` — with the
   CPU a check of the server, PostgreSQL, the sealer and the generator (Linux ``/proc``), steadier
   than latency on a noisy machine — then step the rate up by ``--step`` for ``--step-seconds``
   each until p99 ≥ 50 ms (or errors), and print the highest rate whose p99 stayed under 50 ms.

``--profile N`` instead runs N checks in this process through the ASGI app (no server, no load):
milliseconds a check, SQL statements a check (counted on the engine's cursor events) and the
functions cProfile finds most expensive — the figures to compare before and after a change.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import asyncio
import cProfile
import io
import json
import pstats
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Role
from fengkong.credit_checks import configs
from fengkong.database import open_database, upgrade
from process_cpu import cpu_seconds, postgres_cpu_seconds, tree_cpu_seconds

ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "fengkong_bench_credit_checks"
HOST, PORT = "127.0.0.1", 8765
TARGET_P99_MS = 50.0
CONNECTIONS = 64
INVOICES_PER_CUSTOMER = 24
ORDERS_PER_CUSTOMER = 3
TOKEN_FILE = Path("/tmp/fengkong_bench_credit_checks.token")  # noqa: S108 - a benchmark scratch file


def database_url() -> str:
    return make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)


# --- 1. the database --------------------------------------------------------------------------

BUILD = [
    # Customers: valid-looking USCCs (unique; the check digit is not verified on insert).
    """
    INSERT INTO customers (id, uscc, name, industry_code, region_code, status, uscc_verification,
                           source, source_ref, sourced_at, created_at, updated_at, version)
    SELECT n, '91310000' || lpad(n::text, 10, '0'), '压测客户' || n, 'F51', '310000', 'active',
           'unverified', 'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers) AS n
    """,
    "SELECT setval(pg_get_serial_sequence('customers', 'id'), :customers)",
    # One permanent limit each: ¥300,000 to ¥3,000,000.
    """
    INSERT INTO credit_limits (customer_id, kind, currency, amount_minor, valid_from, status,
                               granted_by, created_at, updated_at, version)
    SELECT n, 'permanent', 'CNY', (300000 + (n * 7919) % 2700000) * 100, DATE '2025-01-01',
           'active', 'benchmark', now(), now(), 1
    FROM generate_series(1, :customers) AS n
    """,
    # Invoices: issued over the last four months on 60-day terms. Those of the last 62 days are
    # open (about 12 of 24, a third of them part-paid), nearly all not yet due; older ones are
    # paid, except one in fifty left overdue.
    """
    INSERT INTO invoices (customer_id, invoice_number, issue_date, due_date, currency, amount_minor,
                          outstanding_minor, status, source, source_ref, sourced_at, created_at,
                          updated_at, version)
    SELECT c, 'B-' || c || '-' || i, CURRENT_DATE - age, CURRENT_DATE - age + 60, 'CNY', amount,
           CASE WHEN NOT still_open THEN 0 WHEN (c + i) % 3 = 0 THEN amount / 2 ELSE amount END,
           CASE WHEN still_open THEN 'open' ELSE 'paid' END,
           'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers) AS c,
         generate_series(1, :invoices) AS i,
         LATERAL (SELECT (i * 5 + c) % 120 AS age,
                         ((c * 13 + i * 101) % 8000 + 500) * 100 AS amount) AS a,
         LATERAL (SELECT a.age <= 62 OR (c + i) % 50 = 0 AS still_open) AS o
    """,
    # Some cash not yet applied: one payment for every fifth customer.
    """
    INSERT INTO payments (customer_id, payment_reference, paid_on, currency, amount_minor, source,
                          source_ref, sourced_at, created_at, updated_at, version)
    SELECT n, 'BP-' || n, CURRENT_DATE - (n % 20), 'CNY', ((n * 37) % 5000 + 100) * 100,
           'import', 'benchmark', now(), now(), now(), 1
    FROM generate_series(1, :customers, 5) AS n
    """,
    # Open orders, some delivered later than a 30-day horizon.
    """
    INSERT INTO orders (customer_id, order_number, ordered_on, requested_delivery_on, currency,
                        amount_minor, status, source, source_ref, sourced_at, created_at,
                        updated_at, version)
    SELECT c, 'BO-' || c || '-' || i, CURRENT_DATE - (i * 3), CURRENT_DATE + (i * 20), 'CNY',
           ((c * 7 + i * 11) % 20000 + 1000) * 100, 'open', 'import', 'benchmark', now(), now(),
           now(), 1
    FROM generate_series(1, :customers) AS c, generate_series(1, :orders) AS i
    """,
]


def build(customers: int) -> str:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    url = database_url()
    started = time.perf_counter()
    upgrade(url)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    engine = create_engine(url)
    params = {
        "customers": customers,
        "invoices": INVOICES_PER_CUSTOMER,
        "orders": ORDERS_PER_CUSTOMER,
    }
    with engine.begin() as connection:
        for statement in BUILD:
            step = time.perf_counter()
            connection.execute(text(statement), params)
            print(f"  {statement.split()[2]:<14} {time.perf_counter() - step:6.1f} s", flush=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()  # noqa: S608
            for table in ("customers", "credit_limits", "invoices", "payments", "orders")
        }
    engine.dispose()
    print(f"built in {time.perf_counter() - started:.1f} s: {counts}", flush=True)
    database = open_database(url)
    system = Actor.system("benchmark")
    with database.session_scope(actor=system) as session:
        # The ERP calls with a credit-analyst service user: it sees the whole book (a sales user
        # would see only its own customers and region, and every other customer is "unknown").
        auth_service.create_user(
            session, system, username="erp", role=Role.CREDIT_ANALYST, password=None
        )
        token = auth_service.create_token(session, system, username="erp", name="benchmark ERP")
        configs.ensure_active(session)
    database.dispose()
    TOKEN_FILE.write_text(token)
    return token


# --- 2. the server ----------------------------------------------------------------------------


def seal_audit_entries() -> subprocess.Popen[bytes]:
    """The audit chain's sealer, as ``fengkong serve`` or a worker would run it beside uvicorn."""
    env = {**os.environ, "FENGKONG_DATABASE_URL": database_url()}
    return subprocess.Popen(  # noqa: S603 - fixed arguments
        [str(Path(sys.executable).parent / "fengkong"), "audit", "seal", "--follow"], env=env
    )


def serve(workers: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FENGKONG_DATABASE_URL": database_url()}
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "uvicorn",
            "fengkong.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(PORT),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            asyncio.run(_get("/health"))
            return process
        except OSError:
            time.sleep(0.5)
    process.terminate()
    raise RuntimeError("the server did not start within 60 s")


async def _get(path: str) -> None:
    reader, writer = await asyncio.open_connection(HOST, PORT)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    await reader.read()
    writer.close()


# --- 3. the load ------------------------------------------------------------------------------


@dataclass
class Run:
    rate: float
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    finished: float = 0.0
    started: float = 0.0
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def sent(self) -> int:
        return len(self.latencies_ms)

    def line(self) -> str:
        achieved = self.sent / max(self.finished - self.started, 1e-9)
        error_rate = self.errors / self.sent if self.sent else 0.0
        return (
            f"| {self.rate:.0f} | {self.seconds:.0f} | {self.sent:,} | {achieved:.1f} | "
            f"{self.percentile(0.50):.1f} | {self.percentile(0.95):.1f} | "
            f"{self.percentile(0.99):.1f} | "
            f"{max(self.latencies_ms):.1f} | {error_rate:.2%} |"
        )


class Connection:
    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, PORT)
        if self.reader is None:
            raise OSError("not connected")
        self.writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            + body
        )
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        return status, await self.reader.readexactly(length)


async def drive(token: str, rate: float, seconds: float, customers: int, prefix: str) -> Run:
    run = Run(rate, seconds)
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    rng = random.Random(f"{prefix}-{rate}")

    async def worker() -> None:
        connection = Connection()
        while (job := await queue.get()) is not None:
            due, body = job
            try:
                status, answer = await connection.post("/api/v1/credit-checks", body, token)
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                status, answer = 599, b"{}"
                connection = Connection()
            now = time.perf_counter()
            run.latencies_ms.append((now - due) * 1000)
            run.finished = max(run.finished, now)
            run.statuses[status] = run.statuses.get(status, 0) + 1
            if status not in (200, 201):
                run.errors += 1
            else:
                decision = json.loads(answer).get("decision", "?")
                run.decisions[decision] = run.decisions.get(decision, 0) + 1

    workers = [asyncio.create_task(worker()) for _ in range(CONNECTIONS)]
    total = int(rate * seconds)
    start = run.started = time.perf_counter() + 0.2
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        body = json.dumps(
            {
                "order_id": f"{prefix}-{index}",
                "customer_id": rng.randint(1, customers),
                "amount": f"{rng.randint(1_000, 20_000)}.00",
                "currency": "CNY",
            }
        ).encode()
        queue.put_nowait((due, body))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    return run


def cpu_by_group(server: int, sealer: int) -> dict[str, float]:
    """CPU seconds so far of the server (uvicorn and its workers), PostgreSQL's processes, the
    sealer and this load generator: the figures to compare when latency is noisy."""
    return {
        "server": tree_cpu_seconds(server),
        "PostgreSQL": postgres_cpu_seconds(),
        "sealer": cpu_seconds(sealer),
        "load generator": cpu_seconds(os.getpid()),
    }


def cpu_line(before: dict[str, float], after: dict[str, float], checks: int) -> str:
    shares = ", ".join(
        f"{group} {(after[group] - before[group]) / max(checks, 1) * 1000:.2f} ms"
        for group in before
    )
    return f"CPU a check over the sustained run: {shares}"


HEADER = (
    "| offered req/s | seconds | requests | done req/s | p50 ms | p95 ms | p99 ms | max ms "
    "| errors |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)


def passed(run: Run) -> bool:
    return run.percentile(0.99) < TARGET_P99_MS and not run.errors


def search(token: str, args: argparse.Namespace, tag: str, first: Run) -> float | None:
    """From the sustained rate, step up while p99 stays under the target, or down until it does."""
    up = passed(first)
    best = first.rate if up else None
    rate = first.rate + (args.step if up else -args.step)
    while args.step <= rate <= args.max_rate:
        run = asyncio.run(
            drive(token, rate, args.step_seconds, args.customers, f"{tag}-{rate:.0f}")
        )
        print(run.line(), flush=True)
        if up and not passed(run):
            break
        if passed(run):
            best = rate if best is None else max(best, rate)
            if not up:
                break
        rate += args.step if up else -args.step
    return best


async def one_at_a_time(token: str, count: int, customers: int, prefix: str) -> Run:
    """The service time with no queueing: one connection, the next request after the answer."""
    run = Run(rate=0, seconds=0)
    connection = Connection()
    rng = random.Random(prefix)
    for index in range(count):
        body = json.dumps(
            {
                "order_id": f"{prefix}-{index}",
                "customer_id": rng.randint(1, customers),
                "amount": f"{rng.randint(1_000, 20_000)}.00",
                "currency": "CNY",
            }
        ).encode()
        sent = time.perf_counter()
        await connection.post("/api/v1/credit-checks", body, token)
        run.latencies_ms.append((time.perf_counter() - sent) * 1000)
    return run


async def _inline(func: Any, *args: Any, **_options: Any) -> Any:
    """Stands in for ``anyio.to_thread.run_sync`` in profile mode: the call runs in this thread."""
    return func(*args)


async def _asgi_post(app: Any, path: str, body: bytes, token: str) -> tuple[int, bytes]:
    """One POST straight into the ASGI app, no client library and no thread in between."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", HOST.encode()),
            (b"authorization", f"Bearer {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": (HOST, PORT),
        "state": {},
    }
    sent = False
    status = 0
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(parts)


def profile(token: str, count: int, customers: int, prefix: str) -> None:
    """Per-check cost in process: wall time, SQL statements and the top of a cProfile. The
    app's sync endpoint and dependencies run inline rather than in worker threads, so that
    cProfile (which sees one thread) sees them."""
    import anyio.to_thread

    from fengkong.app import create_app
    from fengkong.settings import Settings

    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
    app = create_app(settings=Settings(database_url=database_url()))
    statements = 0

    def count_statement(*_args: object) -> None:
        nonlocal statements
        statements += 1

    event.listen(app.state.database.engine, "before_cursor_execute", count_statement)
    rng = random.Random(prefix)

    def bodies(n: int, tag: str) -> list[bytes]:
        return [
            json.dumps(
                {
                    "order_id": f"{prefix}-{tag}-{index}",
                    "customer_id": rng.randint(1, customers),
                    "amount": f"{rng.randint(1_000, 20_000)}.00",
                    "currency": "CNY",
                }
            ).encode()
            for index in range(n)
        ]

    async def post_all(batch: list[bytes]) -> dict[str, int]:
        decisions: dict[str, int] = {}
        for body in batch:
            status, answer = await _asgi_post(app, "/api/v1/credit-checks", body, token)
            decision = json.loads(answer).get("decision") if status == 201 else str(status)
            decisions[decision] = decisions.get(decision, 0) + 1
        return decisions

    asyncio.run(post_all(bodies(50, "warm")))
    timed = bodies(count, "timed")
    statements = 0
    started, cpu_started = time.perf_counter(), time.process_time()
    decisions = asyncio.run(post_all(timed))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    counted = statements
    profiled = bodies(count, "profiled")
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(post_all(profiled))
    profiler.disable()
    app.state.database.dispose()
    print(
        f"{count} checks in process: {elapsed / count * 1000:.2f} ms a check "
        f"({cpu / count * 1000:.2f} ms of it this process's CPU), "
        f"{counted / count:.1f} SQL statements a check, decisions {decisions}"
    )
    report = io.StringIO()
    stats = pstats.Stats(profiler, stream=report)
    stats.sort_stats("cumulative").print_stats(60)
    stats.sort_stats("tottime").print_stats(30)
    print(report.getvalue())


def drop_database() -> None:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--step", type=float, default=50)
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--max-rate", type=float, default=1000)
    parser.add_argument("--workers", type=int, default=4, help="uvicorn worker processes")
    parser.add_argument("--reuse", action="store_true", help="use the database already built")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--profile", type=int, metavar="N", help="profile N checks in process instead of a load"
    )
    args = parser.parse_args()
    # ``timeout`` or ``kill`` end the run through its ``finally``, which stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    token = TOKEN_FILE.read_text() if args.reuse else build(args.customers)
    if args.profile:
        try:
            profile(token, args.profile, args.customers, f"P{int(time.time())}")
        finally:
            if not args.keep:
                drop_database()
        return
    server = serve(args.workers)
    sealer = seal_audit_entries()
    tag = f"L{int(time.time())}"
    try:
        asyncio.run(drive(token, 50, 5, args.customers, f"{tag}-warm"))  # warm every worker
        serial = asyncio.run(one_at_a_time(token, 500, args.customers, f"{tag}-serial"))
        print(
            f"\none request at a time (500): p50 {serial.percentile(0.5):.1f} ms, "
            f"p95 {serial.percentile(0.95):.1f} ms, p99 {serial.percentile(0.99):.1f} ms"
        )
        cpu_before = cpu_by_group(server.pid, sealer.pid)
        sustained = asyncio.run(drive(token, args.rate, args.seconds, args.customers, f"{tag}-s"))
        cpu_after = cpu_by_group(server.pid, sealer.pid)
        print(f"\nsustained: decisions {sustained.decisions}, statuses {sustained.statuses}")
        print(cpu_line(cpu_before, cpu_after, sustained.sent))
        print(HEADER)
        print(sustained.line(), flush=True)
        best = search(token, args, tag, sustained)
        print(f"\nhighest offered rate with p99 < {TARGET_P99_MS:.0f} ms: {best} req/s")
    finally:
        for process in (sealer, server):
            process.terminate()
            process.wait(timeout=30)
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
