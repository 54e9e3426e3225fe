"""``kit.bulk`` bypasses Core's per-row processing; values must still land as Core stores them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.customers.models import Customer
from fengkong.kit.bulk import insert_columns, insert_rows
from tests.factories import make_uscc


def _customer(session: Session, serial: int) -> Customer:
    customer = Customer(uscc=make_uscc(serial), name=f"测试客户{serial}有限公司")
    session.add(customer)
    session.flush()
    return customer


def _rows(first_id: int, customer_id: int, related_id: int) -> list[dict[str, object]]:
    moment = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    return [
        {
            "id": first_id + k,
            "customer_id": customer_id,
            "related_customer_id": related_id,
            "relation_type": relation,
            "ownership_share": share,
            "since": date(2020, 1, 2 + k),
            "note": note,
            "created_at": moment,
            "updated_at": moment,
            "sourced_at": moment,
            "version": 1,
        }
        for k, (relation, share, note) in enumerate(
            [("parent", Decimal("0.51"), "控股股东"), ("guarantor", None, None)]
        )
    ]


def _read(session: Session, ids: list[int]) -> list[dict[str, object]]:
    """The rows as stored, without the columns that differ by design (ids and the two links)."""
    table = tables.metadata.tables["related_parties"]
    statement = select(table).where(table.c.id.in_(ids)).order_by(table.c.id)
    return [
        {
            key: value
            for key, value in row._mapping.items()
            if key not in ("id", "customer_id", "related_customer_id")
        }
        for row in session.execute(statement)
    ]


def test_bulk_rows_read_back_exactly_as_core_inserted_ones(session: Session) -> None:
    customer = _customer(session, 8_000_001)
    related = _customer(session, 8_000_002)
    table = tables.metadata.tables["related_parties"]
    connection = session.connection()
    core_rows = _rows(9_000_000, customer.id, related.id)
    connection.execute(insert(table), core_rows)
    bulk_rows = _rows(9_000_010, related.id, customer.id)
    insert_rows(connection, table, bulk_rows)
    by_core = _read(session, [9_000_000, 9_000_001])
    by_bulk = _read(session, [9_000_010, 9_000_011])
    assert by_bulk == by_core
    assert by_bulk[0]["ownership_share"] == Decimal("0.51")
    assert by_bulk[0]["created_at"] == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def test_json_documents_round_trip(session: Session) -> None:
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    events = tables.metadata.tables["events"]
    insert_columns(
        session.connection(),
        events,
        {
            "event_id": ["a" * 32, "b" * 32],
            "event_type": ["customer_created", "customer_created"],
            "customer_id": [1, None],
            "entity_type": ["customers", "customers"],
            "entity_id": ["1", "2"],
            "payload": [{"name": "上海博朗贸易有限公司", "n": 1}, {"nested": [1, None]}],
            "occurred_at": [moment, moment],
            "recorded_at": [moment, moment],
        },
    )
    payloads = session.scalars(select(events.c.payload).order_by(events.c.event_id)).all()
    assert payloads == [{"name": "上海博朗贸易有限公司", "n": 1}, {"nested": [1, None]}]


def test_rows_must_agree_on_their_columns(session: Session) -> None:
    rows = _rows(9_000_020, 1, 2)
    del rows[1]["note"]
    with pytest.raises(ValueError, match="same columns"):
        insert_rows(session.connection(), tables.metadata.tables["related_parties"], rows)


def test_every_required_column_without_a_default_must_be_given(session: Session) -> None:
    columns = {"id": [1], "customer_id": [1]}
    with pytest.raises(ValueError, match="needs values for"):
        insert_columns(session.connection(), tables.metadata.tables["related_parties"], columns)


def test_columns_left_out_get_their_python_defaults(session: Session) -> None:
    customer = _customer(session, 8_000_003)
    related = _customer(session, 8_000_004)
    rows = _rows(9_000_030, customer.id, related.id)
    for row in rows:
        del row["version"], row["created_at"], row["updated_at"]
    table = tables.metadata.tables["related_parties"]
    insert_rows(session.connection(), table, rows)
    stored = session.execute(
        select(table.c.version, table.c.created_at, table.c.updated_at).where(
            table.c.id.in_([9_000_030, 9_000_031])
        )
    ).all()
    assert [version for version, _, _ in stored] == [1, 1]
    assert all(created is not None and updated is not None for _, created, updated in stored)
