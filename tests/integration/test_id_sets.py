"""Rows of many customers by id (``fengkong.kit.id_sets``): the same rows on both backends, one
short statement on PostgreSQL however many ids, chunks of ``IN`` on SQLite."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from fengkong.kit.id_sets import IdArray, among, id_sets
from tests import factories
from tests.sql_statements import statements_sent

MISSING = list(range(10_000_000, 10_002_500))


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def test_the_rows_of_thousands_of_ids_are_read_in_one_statement_on_postgresql(
    session: Session,
) -> None:
    customers = [factories.customer() for _ in range(3)]
    wanted = sorted([c.id for c in customers[:2]] + MISSING)
    found: list[int] = []

    def read() -> None:
        for part in id_sets(session, wanted, chunk=1_000):
            found.extend(session.scalars(select(Customer.id).where(part.among(Customer.id))))

    sent = statements_sent(session, read)

    assert sorted(found) == sorted(c.id for c in customers[:2])
    if _postgresql(session):
        (statement,) = sent
        assert "ANY" in statement
        assert len(statement) < 200
    else:
        assert len(sent) == 3  # 2,502 ids in chunks of 1,000


def test_a_filter_by_ids_reads_the_same_rows_on_both_backends(session: Session) -> None:
    customers = [factories.customer() for _ in range(4)]
    wanted = [customers[0].id, customers[2].id, MISSING[0]]

    found = session.scalars(
        select(Customer.id).where(among(session, Customer.id, wanted)).order_by(Customer.id)
    ).all()

    assert list(found) == [customers[0].id, customers[2].id]


def test_no_ids_read_nothing(session: Session) -> None:
    factories.customer()
    assert list(id_sets(session, [], chunk=10)) == []


def test_ids_are_bound_as_one_array_of_the_column_type_on_postgresql(session: Session) -> None:
    customers = [factories.customer() for _ in range(3)]
    wanted = [customers[2].id, customers[0].id, MISSING[-1]]
    parameters: list[object] = []

    def keep(*args: object) -> None:
        parameters.append(args[3])

    bind = session.connection()
    event.listen(bind, "before_cursor_execute", keep)
    try:
        found = session.scalars(
            select(Customer.id).where(among(session, Customer.id, wanted)).order_by(Customer.id)
        ).all()
    finally:
        event.remove(bind, "before_cursor_execute", keep)

    assert list(found) == [customers[0].id, customers[2].id]
    if _postgresql(session):
        (bound,) = parameters
        assert isinstance(bound, dict)
        (array,) = bound.values()
        assert isinstance(array, IdArray)
        assert list(array) == wanted


def test_an_id_array_dumps_integers_only(session: Session) -> None:
    if not _postgresql(session):
        pytest.skip("arrays are PostgreSQL's")
    connection = session.connection()
    assert connection.exec_driver_sql(
        "SELECT %(ids)s::bigint[]", {"ids": IdArray([3, 2_147_483_648, -1])}
    ).scalar_one() == [3, 2_147_483_648, -1]
    hostile = IdArray(["1}, {2"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        connection.exec_driver_sql("SELECT %(ids)s::bigint[]", {"ids": hostile})
