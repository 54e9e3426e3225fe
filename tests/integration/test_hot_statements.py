"""Hot statements on psycopg's cursor (``hot_statements``): the rows ``Session.execute`` gives
and the rows an ``INSERT … RETURNING`` stores, without SQLAlchemy's per-execution work after the
first — and SQLAlchemy's path whenever replaying what it sent could differ from it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    event,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeDecorator

from fengkong import hot_statements
from fengkong.customers.models import Customer
from fengkong.db import UTCDateTime
from fengkong.kit.columns import enum_type
from fengkong.kit.id_sets import IdsParameter
from fengkong.receivables.models import Invoice
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.personas import Personas
from tests.sql_statements import statements_sent


def _on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@contextmanager
def orm_executions(session: Session) -> Iterator[list[object]]:
    """The statements that went through ``Session.execute`` (its ``do_orm_execute`` hook)."""
    seen: list[object] = []

    def record(state: Any) -> None:
        seen.append(state.statement)

    event.listen(session, "do_orm_execute", record)
    try:
        yield seen
    finally:
        event.remove(session, "do_orm_execute", record)


def _outstanding_by_status() -> Select[InvoiceStatus, int, int]:
    """A new statement each time: what ``rows`` learns is keyed by the statement object."""
    return (
        select(Invoice.status, func.sum(Invoice.outstanding_minor), func.count())
        .where(Invoice.customer_id == bindparam("customer_id", type_=Integer))
        .group_by(Invoice.status)
        .order_by(Invoice.status)
    )


def test_a_hot_read_gives_the_sessions_rows_and_skips_the_orm_after_the_first(
    session: Session,
) -> None:
    customers = [factories.customer().id for _ in range(3)]
    for index, customer_id in enumerate(customers):
        for amount in (10_000 * (index + 1), 2_500):
            factories.invoice(
                customer_id=customer_id, amount_minor=amount, outstanding_minor=amount
            )
    statement = _outstanding_by_status()

    with orm_executions(session) as executed:
        fast = [hot_statements.rows(session, statement, {"customer_id": id_}) for id_ in customers]
    expected = [
        session.execute(statement, {"customer_id": customer_id}).all() for customer_id in customers
    ]

    assert [
        [(InvoiceStatus(status), int(total), count) for status, total, count in found]
        for found in fast
    ] == [[tuple(row) for row in found] for found in expected]
    assert len({tuple(found) for found in map(tuple, fast)}) == 3  # each customer's own rows
    # On PostgreSQL only the first went through the session; elsewhere every one did.
    assert len(executed) == (1 if _on_postgresql(session) else 3)


def test_a_value_sqlalchemy_converts_is_sent_converted(session: Session) -> None:
    customer_id = factories.customer().id
    for amount in (7_000, 3_000):
        factories.invoice(customer_id=customer_id, amount_minor=amount, outstanding_minor=amount)
    factories.invoice(
        customer_id=customer_id, amount_minor=1_000, outstanding_minor=0, status=InvoiceStatus.PAID
    )
    statement = select(func.count()).where(
        Invoice.customer_id == bindparam("customer_id", type_=Integer),
        Invoice.status == bindparam("status", type_=Invoice.__table__.c.status.type),
    )
    statuses = [InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.OPEN, InvoiceStatus.CANCELLED]

    with orm_executions(session) as executed:
        counts = [
            hot_statements.rows(session, statement, {"customer_id": customer_id, "status": s})
            for s in statuses
        ]

    # The enum goes out as its stored value, converted by its type on every replay.
    assert [found[0][0] for found in counts] == [2, 1, 2, 0]
    assert len(executed) == (1 if _on_postgresql(session) else 4)


class _Upper(TypeDecorator[str]):
    """Converts on the way in, yet leaves an upper-case value as it is."""

    impl = String(3)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.upper()


def test_a_parameters_bind_processor_converts_every_replayed_value(session: Session) -> None:
    customer_id = factories.customer().id
    factories.invoice(customer_id=customer_id, amount_minor=5_000, outstanding_minor=5_000)
    statement = select(func.count()).where(
        Invoice.customer_id == bindparam("customer_id", type_=Integer),
        Invoice.currency == bindparam("currency", type_=_Upper),
    )

    with orm_executions(session) as executed:
        counts = [
            hot_statements.rows(session, statement, {"customer_id": customer_id, "currency": code})
            for code in ("CNY", "cny", "Cny", "usd")
        ]

    # "CNY" came out of the processor unchanged; "cny" sent as given would have matched nothing.
    assert [found[0][0] for found in counts] == [1, 1, 1, 0]
    assert len(executed) == (1 if _on_postgresql(session) else 4)


def test_an_expanded_list_parameter_stays_with_the_session(session: Session) -> None:
    customers = [factories.customer().id for _ in range(3)]
    for customer_id in customers:
        factories.invoice(customer_id=customer_id, amount_minor=1_000, outstanding_minor=1_000)
    statement = select(func.count()).where(
        Invoice.customer_id.in_(bindparam("customer_ids", expanding=True))
    )

    with orm_executions(session) as executed:
        counts = [
            hot_statements.rows(session, statement, {"customer_ids": chosen})[0][0]
            for chosen in (customers[:1], customers, customers[1:])
        ]

    assert counts == [1, 3, 2]
    assert len(executed) == 3


def test_a_scoped_actors_hot_read_keeps_the_scope(session: Session, personas: Personas) -> None:
    sam = replace(personas.sam_sales.actor, region_code=None)
    factories.customer_of(personas.sam_sales.user)
    factories.customer()
    statement = select(func.count()).select_from(Customer)
    whole_book = hot_statements.rows(session, statement, {})[0][0]
    assert hot_statements.rows(session, statement, {})[0][0] == whole_book  # learnt, then replayed

    session.info["actor"], actor = sam, session.info["actor"]
    try:
        with orm_executions(session) as executed:
            scoped = hot_statements.rows(session, statement, {})[0][0]
    finally:
        session.info["actor"] = actor

    assert scoped == session.scalar(
        select(func.count()).select_from(Customer).where(Customer.owner_id == sam.user_id)
    )
    assert 0 < scoped < whole_book
    assert len(executed) == 1  # through the session, whose hook adds the scope


def test_unflushed_changes_are_flushed_before_a_hot_read(session: Session) -> None:
    invoice = factories.invoice(amount_minor=4_000, outstanding_minor=4_000)
    statement = _outstanding_by_status()
    before = hot_statements.rows(session, statement, {"customer_id": invoice.customer_id})
    invoice.outstanding_minor = 1_000

    after = hot_statements.rows(session, statement, {"customer_id": invoice.customer_id})

    assert [int(total) for _status, total, _count in before] == [4_000]
    assert [int(total) for _status, total, _count in after] == [1_000]


def test_a_driver_error_is_sqlalchemys_and_listeners_see_each_statement(
    session: Session,
) -> None:
    if not _on_postgresql(session):
        pytest.skip("the driver's cursor is used on PostgreSQL only")
    statement = select(literal(100) / bindparam("divisor", type_=Integer))
    hot_statements.rows(session, statement, {"divisor": 4})

    sent = statements_sent(session, lambda: hot_statements.rows(session, statement, {"divisor": 5}))
    assert len(sent) == 1
    assert "/" in sent[0]
    with pytest.raises(DataError, match="division by zero"), session.begin_nested():
        hot_statements.rows(session, statement, {"divisor": 0})


def test_values_the_statement_does_not_take_are_ignored_as_sqlalchemy_ignores_them(
    session: Session,
) -> None:
    invoice = factories.invoice(amount_minor=3_000, outstanding_minor=3_000)
    statement = _outstanding_by_status()
    values = {"customer_id": invoice.customer_id, "except_order_id": None}

    with orm_executions(session) as executed:
        found = [hot_statements.rows(session, statement, values) for _ in range(2)]

    assert [[int(total) for _status, total, _count in rows] for rows in found] == [[3_000]] * 2
    assert len(executed) == (1 if _on_postgresql(session) else 2)


# --- inserts ---------------------------------------------------------------------------------

_stamps = itertools.count()


class _Stamped(TypeDecorator[str]):
    """A bind processor that never gives the same value twice: no replay can match it."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else f"{value}#{next(_stamps)}"


def _scratch_table(session: Session, *extra: Column[Any]) -> Table:
    """A table of this test alone (a new ``Table``, so nothing is known of it yet), created in
    the test's transaction: an enum, a JSON document, a UTC timestamp and an amount."""
    table = Table(
        "hot_insert_scratch",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("status", enum_type(InvoiceStatus), nullable=False),
        Column("document", JSON, nullable=False),
        Column("stamped_at", UTCDateTime, nullable=False),
        Column("amount_minor", BigInteger, nullable=False),
        *extra,
    )
    table.create(session.connection())
    return table


@contextmanager
def cursor_statements(session: Session) -> Iterator[list[bool]]:
    """For each INSERT sent: whether it went out on the cursor (no execution context)."""
    on_cursor: list[bool] = []

    def record(*args: Any) -> None:
        if str(args[2]).startswith("INSERT"):
            on_cursor.append(args[4] is None)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", record)
    try:
        yield on_cursor
    finally:
        event.remove(connection, "before_cursor_execute", record)


def _row(index: int) -> dict[str, Any]:
    return {
        "status": [InvoiceStatus.OPEN, InvoiceStatus.PAID][index % 2],
        "document": {"reasons": [{"code": f"r{index}", "values": {"amount": index * 100}}]},
        "stamped_at": datetime(2026, 12, 7, 9, index, tzinfo=timezone(timedelta(hours=8))),
        "amount_minor": 1_000 * index,
    }


def test_inserted_rows_are_stored_as_sqlalchemy_would_store_them(session: Session) -> None:
    table = _scratch_table(session)
    given = [_row(index) for index in range(1, 5)]

    with cursor_statements(session) as on_cursor:
        keys = [hot_statements.insert_key(session, table, row) for row in given]

    stored = session.execute(select(table).order_by(table.c.id)).all()
    assert [(row.id,) for row in stored] == keys
    assert [(row.status, row.document, row.stamped_at, row.amount_minor) for row in stored] == [
        (row["status"], row["document"], row["stamped_at"].astimezone(UTC), row["amount_minor"])
        for row in given
    ]
    assert all(row.stamped_at.tzinfo is UTC for row in stored)
    # On PostgreSQL the first insert taught the rest to go out on the cursor.
    expected = [False, True, True, True] if _on_postgresql(session) else [False] * 4
    assert on_cursor == expected


def test_an_insert_whose_values_cannot_be_reproduced_stays_with_sqlalchemy(
    session: Session,
) -> None:
    table = _scratch_table(session, Column("label", _Stamped, nullable=False))

    with cursor_statements(session) as on_cursor:
        for index in range(1, 4):
            hot_statements.insert_key(session, table, _row(index) | {"label": "x"})

    assert on_cursor == [False, False, False]
    labels = session.scalars(select(table.c.label).order_by(table.c.id)).all()
    assert len(set(labels)) == 3  # each processed once, by SQLAlchemy


def test_an_insert_error_on_the_cursor_is_sqlalchemys(session: Session) -> None:
    table = _scratch_table(session)
    hot_statements.insert_key(session, table, _row(1) | {"id": 1_000})

    with (
        cursor_statements(session) as on_cursor,
        pytest.raises(IntegrityError, match="hot_insert_scratch"),
        session.begin_nested(),
    ):
        hot_statements.insert_key(session, table, _row(2) | {"id": 1_000})

    assert on_cursor == [_on_postgresql(session)]
    assert session.scalar(select(func.count()).select_from(table)) == 1


def test_past_the_learnt_bound_new_statements_go_through_the_session(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice = factories.invoice(amount_minor=2_000, outstanding_minor=2_000)
    monkeypatch.setattr(hot_statements, "MAX_LEARNT", len(hot_statements._replays))
    statement = _outstanding_by_status()
    values = {"customer_id": invoice.customer_id}

    with orm_executions(session) as executed:
        found = [hot_statements.rows(session, statement, values) for _ in range(3)]

    assert [[int(total) for _status, total, _count in rows] for rows in found] == [[2_000]] * 3
    assert len(executed) == 3
    assert id(statement) not in hot_statements._replays


# --- writes ----------------------------------------------------------------------------------


def _insert_from_select(table: Table) -> Any:
    """An ``INSERT … SELECT`` of the scratch table's values as parameters, a literal among them."""
    return insert(table).from_select(
        ["status", "document", "stamped_at", "amount_minor"],
        select(
            bindparam("status", type_=table.c.status.type),
            bindparam("document", type_=JSON),
            bindparam("stamped_at", type_=table.c.stamped_at.type),
            bindparam("amount_minor", type_=BigInteger) + literal(1, BigInteger),
        ),
    )


def test_a_write_is_stored_as_sqlalchemy_would_store_it(session: Session) -> None:
    table = _scratch_table(session)
    statement = _insert_from_select(table)
    given = [_row(index) for index in range(1, 5)]

    with cursor_statements(session) as on_cursor:
        for row in given:
            hot_statements.execute(session.connection(), statement, row)

    stored = session.execute(select(table).order_by(table.c.id)).all()
    assert [(row.status, row.document, row.stamped_at, row.amount_minor) for row in stored] == [
        (row["status"], row["document"], row["stamped_at"].astimezone(UTC), row["amount_minor"] + 1)
        for row in given
    ]
    expected = [False, True, True, True] if _on_postgresql(session) else [False] * 4
    assert on_cursor == expected


def test_a_write_with_a_default_computed_in_python_stays_with_sqlalchemy(
    session: Session,
) -> None:
    table = _scratch_table(
        session, Column("label", String(40), default=lambda: f"#{next(_stamps)}")
    )
    statement = insert(table)

    with cursor_statements(session) as on_cursor:
        for index in range(1, 4):
            hot_statements.execute(session.connection(), statement, _row(index))

    assert on_cursor == [False, False, False]
    labels = session.scalars(select(table.c.label).order_by(table.c.id)).all()
    assert len(set(labels)) == 3  # each default computed anew, by SQLAlchemy


def _invoices_of_customers(ids: IdsParameter) -> Select[int, InvoiceStatus, datetime | None, int]:
    return (
        select(Invoice.id, Invoice.status, Invoice.archived_at, Invoice.amount_minor)
        .where(ids.among(Invoice.customer_id))
        .order_by(Invoice.id)
    )


def test_records_hold_what_the_sessions_rows_hold_on_every_execution(session: Session) -> None:
    """Enum columns as their members, timestamps as aware UTC times, by the statement's column
    names — the first execution (through SQLAlchemy) and the later ones (on the cursor) alike."""
    customers = [factories.customer().id for _ in range(3)]
    archived_at = datetime(2026, 7, 1, 16, 30, 5, 250_000, tzinfo=timezone(timedelta(hours=8)))
    for customer_id in customers:
        factories.invoice(customer_id=customer_id, amount_minor=10_000, outstanding_minor=10_000)
        factories.invoice(
            customer_id=customer_id,
            amount_minor=2_500,
            outstanding_minor=0,
            status=InvoiceStatus.PAID,
        )
    session.execute(
        update(Invoice).where(Invoice.amount_minor == 2_500).values(archived_at=archived_at)
    )
    ids = IdsParameter.of(session)
    statement = _invoices_of_customers(ids)

    found = [
        hot_statements.records(session, statement, values)
        for customer_id in customers
        for values in ids.bound([customer_id], chunk=10)
    ]
    expected = [
        session.execute(statement, values).all()
        for customer_id in customers
        for values in ids.bound([customer_id], chunk=10)
    ]

    assert [[tuple(record) for record in records] for records in found] == [
        [tuple(row) for row in rows] for rows in expected
    ]
    for records in found:
        open_invoice, paid = records
        assert open_invoice.status is InvoiceStatus.OPEN
        assert paid.status is InvoiceStatus.PAID
        assert open_invoice.archived_at is None
        assert paid.archived_at == archived_at
        assert paid.archived_at.utcoffset() == timedelta(0)
        assert paid.amount_minor == 2_500


def test_records_refuse_a_column_of_a_type_they_would_not_convert(session: Session) -> None:
    table = Table(
        "upper_codes", MetaData(), Column("id", Integer, primary_key=True), Column("code", _Upper())
    )
    with pytest.raises(TypeError, match="code"):
        hot_statements.records(session, select(table.c.code), {})
