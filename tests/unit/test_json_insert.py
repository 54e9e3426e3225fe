"""Rows turned into the JSON values ``json_insert`` sends: each value as SQLAlchemy would bind it,
converted a column at a time, a value shared by many rows once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Column, Date, Float, Integer, MetaData, Numeric, String, Table
from sqlalchemy.dialects import postgresql

from fengkong.db import UTCDateTime
from fengkong.json_insert import bound_json_rows
from fengkong.kit.columns import enum_type
from fengkong.receivables.status import InvoiceStatus

DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
LEDGER = Table(
    "ledger_sample",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("status", enum_type(InvoiceStatus)),
    Column("as_of", Date),
    Column("recorded_at", UTCDateTime()),
    Column("amount", Numeric(20, 6)),
    Column("rate", Float),
    Column("note", String(20)),
    Column("details", JSON),
)
BEIJING = timezone(timedelta(hours=8))


def test_each_value_is_sent_as_its_column_binds_it_and_a_shared_value_alike_in_every_row() -> None:
    shared = datetime(2026, 12, 7, 9, 30, tzinfo=BEIJING)
    day = date(2026, 12, 7)
    rows = [
        {
            "id": n,
            "status": InvoiceStatus.OPEN if n % 2 else InvoiceStatus.PAID,
            "as_of": day,
            "recorded_at": shared if n < 2 else datetime(2026, 12, 7, n, tzinfo=UTC),
            "amount": Decimal(n) / 4,
            "rate": n / 2,
            "note": None if n == 3 else f"n{n}",
            "details": {"n": n},
        }
        for n in range(4)
    ]

    sent = bound_json_rows(LEDGER, rows, DIALECT)

    assert sent == [
        {
            "id": n,
            "status": "open" if n % 2 else "paid",
            "as_of": "2026-12-07",
            "recorded_at": "2026-12-07T01:30:00+00:00" if n < 2 else f"2026-12-07T0{n}:00:00+00:00",
            "amount": str(Decimal(n) / 4),
            "rate": n / 2,
            "note": None if n == 3 else f"n{n}",
            "details": {"n": n},
        }
        for n in range(4)
    ]


def test_a_value_json_cannot_carry_sends_nothing_this_way() -> None:
    rows = [{"id": 1, "rate": 0.5}, {"id": 2, "rate": float("nan")}]

    assert bound_json_rows(LEDGER, rows, DIALECT) is None


def test_rows_must_share_their_columns() -> None:
    with pytest.raises(ValueError, match="differ in their columns"):
        bound_json_rows(LEDGER, [{"id": 1, "note": "a"}, {"id": 2}], DIALECT)
