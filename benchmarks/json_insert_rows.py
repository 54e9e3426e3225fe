"""Many new rows on PostgreSQL: a pipelined ``executemany`` against one JSON statement.

    python benchmarks/json_insert_rows.py [--repeat 2]

What ``recorders.insert_many_created`` chooses between. A scratch table shaped like a risk score
row (17 columns) is filled, alternately, by Core's ``executemany`` of a single-row INSERT and by
``INSERT … SELECT … FROM json_to_recordset`` (``fengkong.json_insert``), in pages of 10, 100 and
2,000 rows, once with a small JSON column (a rule state's or an alert's) and once with a score's
20-factor documents. Printed per call: wall time, this process's CPU and the PostgreSQL
backend's CPU (Linux ``/proc``), each committed.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Insert,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    text,
)

from fengkong.json_insert import bound_json_rows, insert_from_json
from process_cpu import cpu_seconds

ADMIN_URL = os.environ.get(
    "FENGKONG_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PAGES = ((10, 200), (100, 40), (2_000, 4))
FACTOR = {
    "feature": "days_past_due_weighted",
    "value": 12.5,
    "score": 0.4,
    "points": 23.0,
    "weight": 0.1,
    "reason_code": "R01",
    "reason_zh": "逾期天数较高",
    "reason_en": "Days past due are high",
}
SHAPES: dict[str, Callable[[], dict[str, Any]]] = {
    "small JSON": lambda: {"factors": {"days_past_due": 12}, "reasons": None},
    "20-factor JSON": lambda: {
        "factors": [dict(FACTOR) for _ in range(20)],
        "reasons": [dict(FACTOR) for _ in range(3)],
    },
}

metadata = MetaData()
scores = Table(
    "bench_json_insert_rows",
    metadata,
    Column("id", BigInteger, primary_key=True),
    Column("customer_id", Integer),
    Column("as_of", Date),
    Column("score", Float),
    Column("grade", String(8)),
    Column("risk_level", String(16)),
    Column("pd", Float),
    Column("scorecard_version_id", Integer),
    Column("grade_scale_version_id", Integer),
    Column("model_version_id", Integer),
    Column("inputs_hash", String(64)),
    Column("factors", JSON),
    Column("reasons", JSON),
    Column("knocked_out_by", String(64)),
    Column("trigger", String(16)),
    Column("computed_at", DateTime(timezone=True)),
    Column("computed_by", String(64)),
)


def _rows(
    count: int, first_id: int, documents: Callable[[], dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            "id": first_id + n,
            "customer_id": n,
            "as_of": date(2026, 12, 7),
            "score": 612.5,
            "grade": "B",
            "risk_level": "low",
            "pd": 0.012,
            "scorecard_version_id": 1,
            "grade_scale_version_id": 1,
            "model_version_id": 1,
            "inputs_hash": "a" * 64,
            "knocked_out_by": None,
            "trigger": "changed",
            "computed_at": datetime.now(UTC),
            "computed_by": "stream-worker",
            **documents(),
        }
        for n in range(count)
    ]


def _insert(connection: Connection, way: str, rows: list[dict[str, Any]]) -> None:
    if way == "executemany":
        connection.execute(insert(scores), rows)
        return
    as_json = bound_json_rows(scores, rows, connection.dialect)
    connection.execute(_json_statement(), {"rows": as_json})


@cache
def _json_statement() -> Insert:
    """Built once, as ``recorders`` builds it once a process per table."""
    return insert_from_json(scores, tuple(sorted(scores.c.keys())), "rows")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2, help="alternations of the two ways")
    args = parser.parse_args()
    engine = create_engine(ADMIN_URL)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    next_id = 0
    try:
        with engine.connect() as connection:
            backend = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
            for shape, documents in SHAPES.items():
                for count, calls in PAGES:
                    for way in ("executemany", "json_to_recordset") * args.repeat:
                        wall = 0.0
                        ours, theirs = cpu_seconds(os.getpid()), cpu_seconds(backend)
                        for _ in range(calls):
                            rows = _rows(count, next_id, documents)
                            next_id += count
                            started = time.perf_counter()
                            _insert(connection, way, rows)
                            connection.commit()
                            wall += time.perf_counter() - started
                        ours = cpu_seconds(os.getpid()) - ours
                        theirs = cpu_seconds(backend) - theirs
                        print(
                            f"{shape:>14} {count:5d} rows {way:>17}: "
                            f"wall {wall / calls * 1000:7.2f} ms, "
                            f"client CPU {ours / calls * 1000:7.2f} ms, "
                            f"PostgreSQL CPU {theirs / calls * 1000:7.2f} ms"
                        )
    finally:
        metadata.drop_all(engine)
        engine.dispose()


if __name__ == "__main__":
    main()
