"""The audit hash chain: entries written by flushes and by ``record_action`` verify on both
backends, and any change made directly in the database (the way a DBA could) is found and named."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fengkong import recorders
from fengkong.audit.chain import (
    GENESIS_HASH,
    ChainReport,
    compute_entry_hash,
    seal_pending,
    verify_chain,
)
from fengkong.audit.models import AuditEntry
from tests import factories

AWKWARD_DETAILS: dict[str, Any] = {
    "amount": "1234567.89",
    "rate": 0.035,
    "whole": 1.0,
    "big": 2**62,
    "name": "上海浦东发展有限公司 — “引号” ✓",
    "nested": {"z": [1, None, {"b": True, "a": "甲"}], "a": {}},
    "missing": None,
    "empty": [],
}


def _verify(session: Session, **options: Any) -> ChainReport:
    """Seal what is pending (PostgreSQL), then verify."""
    session.flush()
    seal_pending(session.connection())
    return verify_chain(session.connection(), **options)


def _ids(session: Session) -> list[int]:
    return list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))


def _write_entries(session: Session, count: int = 5) -> list[int]:
    """A mix of row changes and actions, sealed into the chain: the ids of this test's entries,
    in chain order."""
    before = set(_ids(session))
    customer = factories.customer(name="杭州测试贸易有限公司")
    session.flush()
    for number in range(count - 2):
        recorders.record_action(
            session,
            action="export",
            entity_type="customers",
            entity_id="*",
            details={**AWKWARD_DETAILS, "number": number},
        )
    customer.name = "杭州测试贸易股份有限公司"
    session.flush()
    seal_pending(session.connection())
    return [entry_id for entry_id in _ids(session) if entry_id not in before]


@contextmanager
def bypassing_append_only(session: Session) -> Iterator[None]:
    """What a DBA could do: on PostgreSQL a superuser turns triggers off for the session; on
    SQLite anyone who can open the file drops the triggers. Both are undone afterwards."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
        yield
        session.execute(text("SET LOCAL session_replication_role = origin"))
        return
    triggers = session.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )
    ).all()
    assert len(triggers) == 2
    for name, _sql in triggers:
        session.execute(text(f"DROP TRIGGER {name}"))
    yield
    for _name, sql in triggers:
        session.execute(text(sql))


def test_entries_from_flushes_and_actions_verify_with_awkward_values(session: Session) -> None:
    entries = _write_entries(session)
    report = _verify(session)

    assert report.intact, report.broken
    assert report.checked == session.scalar(select(func.count()).select_from(AuditEntry))
    assert report.last_id == entries[-1]
    stored = session.scalars(select(AuditEntry).where(AuditEntry.id.in_(entries))).all()
    assert {entry.action for entry in stored} == {"create", "export", "update"}
    assert any(entry.after == {**AWKWARD_DETAILS, "number": 0} for entry in stored)


def test_each_entry_links_to_the_one_before(session: Session) -> None:
    entries = _write_entries(session)
    rows = session.scalars(
        select(AuditEntry).where(AuditEntry.id.in_(entries)).order_by(AuditEntry.id)
    ).all()

    for previous, entry in itertools.pairwise(rows):
        assert entry.prev_hash == previous.entry_hash
    for entry in rows:
        fields = {column: getattr(entry, column) for column in ("occurred_at", "actor_id")}
        fields |= {
            column: getattr(entry, column)
            for column in (
                "actor_username",
                "action",
                "entity_type",
                "entity_id",
                "before",
                "after",
            )
        }
        assert entry.prev_hash is not None
        assert entry.entry_hash == compute_entry_hash(entry.prev_hash, fields)


def test_one_flush_of_many_rows_appends_them_in_id_order(session: Session) -> None:
    before = set(_ids(session))
    customers = [factories.CustomerFactory.build(name=f"批量公司{n}") for n in range(25)]
    session.add_all(customers)
    session.flush()

    added = [entry_id for entry_id in _ids(session) if entry_id not in before]
    assert len(added) == 25
    assert _verify(session).intact


def test_entries_of_a_rolled_back_savepoint_leave_no_gap(session: Session) -> None:
    _write_entries(session)
    savepoint = session.begin_nested()
    recorders.record_action(session, action="export", entity_type="customers", entity_id="*")
    savepoint.rollback()
    recorders.record_action(session, action="export", entity_type="invoices", entity_id="*")

    assert _verify(session).intact


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("after", '{"amount": "9999999.99"}'),
        ("actor_username", "somebody_else"),
        ("action", "view"),
        ("entity_id", "42"),
        ("occurred_at", None),
    ],
)
def test_changing_any_column_of_an_entry_names_that_entry(
    session: Session, column: str, value: str | None
) -> None:
    entries = _write_entries(session)
    target = entries[2]
    with bypassing_append_only(session):
        if value is None:
            moved = session.scalar(select(AuditEntry.occurred_at).where(AuditEntry.id == target))
            assert moved is not None
            session.execute(
                update(AuditEntry)
                .where(AuditEntry.id == target)
                .values(occurred_at=moved.replace(microsecond=(moved.microsecond + 1) % 1_000_000))
            )
        else:
            session.execute(
                # The column comes from the test's own parameters, never from input.
                text(f"UPDATE audit_log SET {column} = :value WHERE id = :id"),  # noqa: S608
                {"value": value, "id": target},
            )

    report = _verify(session)

    assert report.broken is not None
    assert report.broken.id == target
    assert "was changed" in report.broken.problem
    assert report.last_id == entries[1]


def test_rehashing_a_changed_entry_breaks_the_next_link(session: Session) -> None:
    entries = _write_entries(session)
    target = entries[1]
    with bypassing_append_only(session):
        session.execute(
            text("UPDATE audit_log SET entry_hash = :forged WHERE id = :id"),
            {"forged": "f" * 64, "id": target},
        )
    report = _verify(session)

    assert report.broken is not None
    assert report.broken.id == target


def test_deleting_an_entry_names_the_next_one(session: Session) -> None:
    entries = _write_entries(session)
    with bypassing_append_only(session):
        session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entries[2]})

    report = _verify(session)

    assert report.broken is not None
    assert report.broken.id == entries[3]
    assert "removed, inserted or reordered" in report.broken.problem
    assert report.broken.action == "export"
    assert report.broken.entity_type == "customers"
    assert report.broken.describe().startswith(f"entry {entries[3]} (")


def test_swapping_two_entries_is_found(session: Session) -> None:
    entries = _write_entries(session)
    first, second = entries[1], entries[2]
    positions = {
        row.id: row.chain_position
        for row in session.execute(
            select(AuditEntry.id, AuditEntry.chain_position).where(
                AuditEntry.id.in_([first, second])
            )
        )
    }
    with bypassing_append_only(session):
        for entry_id, position in (
            (first, -1),
            (second, positions[first]),
            (first, positions[second]),
        ):
            session.execute(
                update(AuditEntry).where(AuditEntry.id == entry_id).values(chain_position=position)
            )

    report = _verify(session)

    assert report.broken is not None
    assert report.broken.id == second


def test_from_an_anchor_a_pruned_log_still_verifies(session: Session) -> None:
    entries = _write_entries(session)
    anchor = entries[2]
    with bypassing_append_only(session):
        session.execute(text("DELETE FROM audit_log WHERE id < :id"), {"id": anchor})

    whole = _verify(session)
    assert whole.broken is not None
    assert whole.broken.id == anchor
    assert GENESIS_HASH in whole.broken.problem

    from_anchor = _verify(session, from_id=anchor)
    assert from_anchor.intact
    assert from_anchor.checked == len(entries) - 2


def test_verify_reads_in_batches(session: Session) -> None:
    entries = _write_entries(session, count=9)
    with bypassing_append_only(session):
        session.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": entries[6]})

    report = _verify(session, batch_size=2)

    assert report.broken is not None
    assert report.broken.id == entries[7]


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'view' WHERE id = :id", "DELETE FROM audit_log WHERE id = :id"],
)
def test_the_app_cannot_update_or_delete_audit_entries(session: Session, statement: str) -> None:
    entries = _write_entries(session)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement), {"id": entries[0]})
    savepoint.rollback()

    assert _verify(session).intact


def test_the_app_cannot_truncate_the_audit_log_on_postgresql(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    _write_entries(session)
    savepoint = session.begin_nested()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("TRUNCATE audit_log"))
    savepoint.rollback()

    assert _verify(session).intact
