"""Time the point-in-time features over synthetic raw ledgers of a large portfolio.

    python benchmarks/score_features.py [--customers 100000] [--invoices 10000000] [--threads 1 2]

The ledgers are drawn with NumPy (seeded, about a minute of work for polars at most): invoices
with partial, late and missing payments, quarterly statements, orders, agency reports, legal
events, questionnaire answers and credit limits. Each thread count runs in a fresh child process,
because polars reads ``POLARS_MAX_THREADS`` once, when it is first imported. The child prints one
JSON line; the parent prints the figures for docs/performance.md. The budget is 60 s for
``compute_features`` on one thread. CPU time is printed next to wall time: on a shared machine
the difference is time spent waiting for a core.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date
from typing import Any

AS_OF = date(2026, 11, 30)
HISTORY_DAYS = 3 * 365
SEED = 20261130


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _generate(customers: int, invoices: int) -> Any:
    """Synthetic ledgers, each customer with a latent quality that drives its lateness."""
    import numpy as np
    import polars as pl

    from fengkong.scoring.features.external import RATING_NOTCHES
    from fengkong.scoring.features.windows import day_number
    from fengkong.scoring.ledgers import SCHEMAS, STATEMENT_LINES, Ledgers

    rng = np.random.default_rng(SEED)
    today = day_number(AS_OF)
    start = today - HISTORY_DAYS
    ids = np.arange(1, customers + 1, dtype=np.int64)
    quality = rng.beta(2.0, 5.0, customers)  # 0 = excellent payer, 1 = very poor

    def dates(values: Any) -> pl.Series:
        return pl.Series(np.asarray(values, dtype=np.int32)).cast(pl.Date)

    def frame(table: str, columns: dict[str, Any]) -> pl.DataFrame:
        return pl.DataFrame(columns).cast(dict(SCHEMAS[table]))  # type: ignore[arg-type]

    sections = np.array(list("ABCDEFGHIJKLMNOPQRST"))
    provinces = np.array(["11", "31", "32", "33", "37", "41", "44", "51", "52", "62"])
    customer_frame = frame(
        "customers",
        {
            "customer_id": ids,
            "industry_code": sections[rng.integers(0, 20, customers)],
            "region_code": np.char.add(provinces[rng.integers(0, 10, customers)], "0100"),
            "established_on": dates(today - rng.integers(200, 30 * 365, customers)),
            "registered_capital": np.where(
                rng.random(customers) < 0.1, np.nan, rng.lognormal(15, 1.5, customers)
            ),
            "first_trade_on": pl.Series([None] * customers, dtype=pl.Date),
        },
    ).with_columns(pl.col("registered_capital").fill_nan(None))

    owner = np.sort(rng.integers(1, customers + 1, invoices))
    issued = rng.integers(start, today + 1, invoices)
    due = issued + rng.choice(np.array([30, 60, 90]), invoices)
    amount = np.round(rng.lognormal(10, 1.2, invoices), 2)
    lateness = rng.exponential(2 + 80 * quality[owner - 1] ** 2) - rng.integers(0, 15, invoices)
    paid_on = due + np.round(lateness).astype(np.int64)
    settled = paid_on <= today
    split = settled & (rng.random(invoices) < 0.15)
    invoice_ids = np.arange(1, invoices + 1, dtype=np.int64)
    first_part = np.round(amount * 0.5, 2)
    allocation_ids = np.concatenate((invoice_ids[settled], invoice_ids[split]))
    allocation_frame = frame(
        "allocations",
        {
            "invoice_id": allocation_ids,
            "customer_id": owner[allocation_ids - 1],
            "paid_on": dates(
                np.concatenate((paid_on[settled], np.maximum(issued, paid_on - 20)[split]))
            ),
            "amount": np.concatenate(
                (np.where(split, amount - first_part, amount)[settled], first_part[split])
            ),
        },
    )
    invoice_frame = frame(
        "invoices",
        {
            "invoice_id": invoice_ids,
            "customer_id": owner,
            "issue_date": dates(issued),
            "due_date": dates(due),
            "amount": amount,
        },
    )

    quarters = 12  # three years of quarterly, year-to-date statements
    quarter_ends = [date(2023 + q // 4, 3 * (q % 4) + 1, 1) for q in range(1, quarters + 1)]
    ends = np.array([day_number(end) - 1 for end in quarter_ends])
    statement_owner = np.repeat(ids, quarters)
    period_end = np.tile(ends, customers)
    size = rng.lognormal(17, 1.2, customers)[statement_owner - 1]
    lines = {name: size * rng.uniform(0.05, 1.0, size.shape) for name in STATEMENT_LINES}
    lines["total_liabilities"] = lines["total_assets"] * (0.3 + 0.6 * quality[statement_owner - 1])
    lines["net_profit"] = lines["revenue"] * rng.normal(0.05, 0.08, size.shape)
    statement_frame = frame(
        "statements",
        {
            "customer_id": statement_owner,
            "period_end": dates(period_end),
            "period_months": np.tile(np.array([3, 6, 9, 12] * (quarters // 4)), customers),
            "published_on": dates(period_end + rng.integers(20, 120, period_end.shape)),
            **lines,
        },
    )

    orders = invoices // 2
    order_frame = frame(
        "orders",
        {
            "customer_id": rng.integers(1, customers + 1, orders),
            "ordered_on": dates(rng.integers(start, today + 1, orders)),
            "amount": np.round(rng.lognormal(10.5, 1.2, orders), 2),
        },
    )
    reports = customers * 3
    scale = np.array(list(RATING_NOTCHES))
    report_frame = frame(
        "credit_reports",
        {
            "customer_id": np.repeat(ids, 3),
            "agency": np.tile(np.array(["中诚信国际", "大公国际", "Dun & Bradstreet"]), customers),
            "report_date": dates(rng.integers(start, today + 1, reports)),
            "rating": scale[
                np.clip(
                    np.repeat(quality, 3) * 20 + rng.normal(0, 2, reports), 0, len(scale) - 1
                ).astype(int)
            ],
            "score": rng.uniform(0, 100, reports),
        },
    )
    events = customers // 3
    occurred = rng.integers(start, today + 1, events)
    kinds = np.array(["lawsuit", "judgment", "enforcement", "dishonest_debtor", "asset_freeze"])
    legal_frame = frame(
        "legal_events",
        {
            "customer_id": rng.integers(1, customers + 1, events),
            "event_type": kinds[rng.integers(0, len(kinds), events)],
            "occurred_on": dates(occurred),
            "amount": rng.lognormal(12, 1.5, events),
            "resolved_on": pl.Series(occurred + rng.integers(30, 400, events)).cast(pl.Int32),
        },
    ).with_columns(
        pl.when(pl.col("resolved_on").cast(pl.Int32) % 2 == 0).then(pl.col("resolved_on"))
    )
    questions = np.array(["market_reputation", "management_quality", "operational_risk",
                          "compliance_concern"])  # fmt: skip
    answers = customers * 4
    qualitative_frame = frame(
        "qualitative",
        {
            "customer_id": np.repeat(ids, 4),
            "question": np.tile(questions, customers),
            "answer": rng.integers(1, 6, answers),
            "assessed_on": dates(rng.integers(start, today + 1, answers)),
        },
    )
    limit_frame = frame(
        "credit_limits",
        {"customer_id": ids, "credit_limit": np.round(rng.lognormal(14, 1, customers), -3)},
    )
    # A loader gives no row order: shuffle, so that the sorting compute_features does is timed.
    return Ledgers(
        customers=customer_frame,
        statements=statement_frame,
        invoices=invoice_frame.sample(fraction=1.0, shuffle=True, seed=SEED),
        allocations=allocation_frame.sample(fraction=1.0, shuffle=True, seed=SEED),
        orders=order_frame,
        credit_reports=report_frame,
        legal_events=legal_frame,
        qualitative=qualitative_frame,
        credit_limits=limit_frame,
    ).validate()


def _measure(customers: int, invoices: int, runs: int) -> dict[str, Any]:
    started = time.perf_counter()
    import polars as pl

    from fengkong.scoring.context import ContextTables
    from fengkong.scoring.features import compute_features

    ledgers = _generate(customers, invoices)
    generated = time.perf_counter() - started
    rss_data = _rss_mb()
    rows = {table: frame.height for table, frame in ledgers.tables().items()}
    context = ContextTables.default()
    seconds, cpu_seconds = [], []
    for _ in range(runs):
        begun, cpu_begun = time.perf_counter(), time.process_time()
        features = compute_features(ledgers, AS_OF, context)
        seconds.append(time.perf_counter() - begun)
        cpu_seconds.append(time.process_time() - cpu_begun)
    if features.height != customers:
        raise RuntimeError(f"expected {customers} feature rows, got {features.height}")
    return {
        "threads": pl.thread_pool_size(),
        "generation_s": generated,
        "compute_s": seconds,
        "compute_cpu_s": cpu_seconds,
        "rows": rows,
        "rss_after_generation_mb": rss_data,
        "peak_rss_mb": _rss_mb(),
        "null_share": features.drop("customer_id").null_count().sum_horizontal()[0]
        / (features.width - 1)
        / features.height,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(_measure(arguments.customers, arguments.invoices, arguments.runs)))
        return
    for threads in arguments.threads:
        command = [
            sys.executable,
            __file__,
            "--child",
            f"--customers={arguments.customers}",
            f"--invoices={arguments.invoices}",
            f"--runs={arguments.runs}",
        ]
        environment = {**os.environ, "POLARS_MAX_THREADS": str(threads), "OMP_NUM_THREADS": "1"}
        output = subprocess.run(  # noqa: S603 - runs this very script with fixed arguments
            command, env=environment, check=True, capture_output=True, text=True
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        seconds = result["compute_s"]
        total_rows = sum(result["rows"].values())
        best = min(seconds)
        print(f"threads={result['threads']}")
        print(f"  rows: {', '.join(f'{k} {v:,}' for k, v in result['rows'].items())}")
        print(f"  generation: {result['generation_s']:.1f} s")
        print(
            f"  compute_features: best {best:.1f} s, runs "
            f"{', '.join(f'{s:.1f}' for s in seconds)} s; "
            f"{total_rows / best:,.0f} ledger rows/s, "
            f"{result['rows']['invoices'] / best:,.0f} invoices/s"
        )
        print(
            f"  CPU time: {', '.join(f'{s:.1f}' for s in result['compute_cpu_s'])} s "
            "(on a busy machine wall time exceeds it)"
        )
        print(
            f"  peak RSS: {result['peak_rss_mb']:,.0f} MB "
            f"(after generation {result['rss_after_generation_mb']:,.0f} MB); "
            f"missing feature values {result['null_share']:.1%}"
        )


if __name__ == "__main__":
    main()
