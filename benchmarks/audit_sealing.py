"""How fast the audit chain's sealer links pending entries, and how fast the chain verifies.

    python benchmarks/audit_sealing.py [--entries 100000]

Builds a scratch PostgreSQL database (``fengkong_bench_audit_sealing``, dropped afterwards),
inserts ``--entries`` audit entries pending (as writers do), then times ``seal_all`` — the work of
the sealer thread in ``fengkong worker`` / ``fengkong serve`` — and ``verify_chain``. The sealer
must keep ahead of the writers: a credit check writes about three entries, so 200 checks a second
need about 600 sealed a second.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fengkong.audit.chain import append_entries, seal_all, verify_chain
from fengkong.database import upgrade

ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "fengkong_bench_audit_sealing"
INSERT_BATCH = 5_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()

    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{DATABASE}"'))
    url = make_url(ADMIN_URL).set(database=DATABASE).render_as_string(hide_password=False)
    try:
        upgrade(url)
        engine = create_engine(url)
        now = datetime.now(UTC)
        entries = [
            {
                "occurred_at": now,
                "actor_id": None,
                "actor_username": "benchmark",
                "action": "create",
                "entity_type": "orders",
                "entity_id": str(number),
                "before": None,
                "after": {"amount": "1234.50", "currency": "CNY", "status": "open", "n": number},
            }
            for number in range(args.entries)
        ]
        with engine.begin() as connection:
            for start in range(0, len(entries), INSERT_BATCH):
                append_entries(connection, entries[start : start + INSERT_BATCH])
        started = time.perf_counter()
        sealed = seal_all(engine)
        sealing = time.perf_counter() - started
        with engine.connect() as connection:
            started = time.perf_counter()
            report = verify_chain(connection)
            verifying = time.perf_counter() - started
        engine.dispose()
        print(
            f"sealed {sealed:,} pending entries in {sealing:.2f} s ({sealed / sealing:,.0f} a "
            f"second); verified {report.checked:,} in {verifying:.2f} s "
            f"({report.checked / verifying:,.0f} a second), intact: {report.intact}"
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
