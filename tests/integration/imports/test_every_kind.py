"""Each kind imports from English or Chinese headers, records where its rows came from, and
importing the same data again changes nothing."""

from __future__ import annotations

from enum import Enum
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.imports.kinds import KINDS, ImportKind
from fengkong.imports.models import ImportStatus
from fengkong.kit.provenance import DataSource
from tests.integration.imports.conftest import Importer, Snapshot
from tests.integration.imports.samples import EXPECTED, SAMPLES, table

MODELS: dict[ImportKind, Any] = {  # every one is Sourced and Versioned
    ImportKind.CUSTOMERS: tables.Customer,
    ImportKind.RELATED_PARTIES: tables.RelatedParty,
    ImportKind.FINANCIAL_STATEMENTS: tables.FinancialStatement,
    ImportKind.INVOICES: tables.Invoice,
    ImportKind.PAYMENTS: tables.Payment,
    ImportKind.ORDERS: tables.Order,
    ImportKind.CONTRACTS: tables.Contract,
    ImportKind.CREDIT_REPORTS: tables.CreditReport,
    ImportKind.LEGAL_EVENTS: tables.LegalEvent,
}


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


@pytest.mark.parametrize("language", ["en", "zh"])
@pytest.mark.parametrize("kind", list(ImportKind))
def test_every_kind_imports_from_english_or_chinese_headers_with_its_provenance(
    importer: Importer, session: Session, kind: ImportKind, language: str
) -> None:
    sample = SAMPLES[kind]()
    header, rows = table(kind, sample, language)
    result = importer(kind, header, rows)
    assert result.errors == ()
    assert (result.inserted, result.updated, result.rejected) == (len(rows), 0, 0)
    assert result.status is ImportStatus.SUCCEEDED
    model = MODELS[kind]
    stored = session.scalars(
        select(model).where(model.source == DataSource.IMPORT).order_by(model.id)
    ).all()
    assert len(stored) == len(rows)
    assert {record.source_ref for record in stored} == {str(result.run_id)}
    assert all(record.sourced_at is not None for record in stored)
    seen = [{name: _plain(getattr(record, name)) for name in EXPECTED[kind]} for record in stored]
    assert EXPECTED[kind] in seen


@pytest.mark.parametrize("kind", list(ImportKind))
def test_importing_the_same_data_again_changes_nothing(
    importer: Importer, session: Session, kind: ImportKind
) -> None:
    header, rows = table(kind, SAMPLES[kind](), "zh")
    first = importer(kind, header, rows, name="first.csv")
    before = Snapshot.of(session)
    versions = session.scalars(select(MODELS[kind].version)).all()

    again = importer(kind, header, rows, name="again.csv")
    assert (again.already_imported, again.run_id) == (True, first.run_id)
    assert Snapshot.of(session) == before

    reordered = importer(
        kind, list(reversed(header)), [list(reversed(row)) for row in rows], name="copy.csv"
    )
    assert not reordered.already_imported, "another file, with the same records"
    assert (reordered.inserted, reordered.updated, reordered.unchanged) == (0, 0, len(rows))
    after = Snapshot.of(session)
    assert after.counts == before.counts | {"import_runs": before.counts["import_runs"] + 1}
    assert session.scalars(select(MODELS[kind].version)).all() == versions


def test_one_event_per_customer_touched_and_one_audit_entry_per_import(
    importer: Importer, session: Session
) -> None:
    header, rows = table(ImportKind.LEGAL_EVENTS, SAMPLES[ImportKind.LEGAL_EVENTS](), "en")
    customer_uscc = rows[0][0]
    before = Snapshot.of(session)
    result = importer(ImportKind.LEGAL_EVENTS, header, rows)
    after = Snapshot.of(session)
    assert after.counts["events"] - before.counts["events"] == 1
    assert after.counts["audit_log"] - before.counts["audit_log"] == 1
    event = session.scalars(select(tables.Event).order_by(tables.Event.id.desc())).first()
    assert event is not None
    customer = session.scalars(
        select(tables.Customer).where(tables.Customer.uscc == customer_uscc)
    ).one()
    assert (event.event_type, event.customer_id) == ("legal_events_imported", customer.id)
    assert event.payload["import_run_id"] == result.run_id
    assert (event.payload["inserted"], event.payload["updated"]) == (2, 0)
    assert event.payload["keys"] == [
        "enforcement/2026-02-14/(2026)沪0115执1号",
        "lawsuit/2026-03-01/",
    ]
    audit = session.scalars(select(tables.AuditEntry).order_by(tables.AuditEntry.id.desc())).first()
    assert audit is not None
    assert audit.after is not None
    assert (audit.action, audit.entity_type) == ("import", "legal_events")
    assert audit.after["import_run_id"] == result.run_id
    assert audit.after["inserted"] == 2


def test_every_column_of_every_kind_has_a_chinese_header_and_headers_are_unambiguous() -> None:
    from fengkong.imports.kinds import header_token

    for kind in KINDS.values():
        tokens = [header_token(name) for column in kind.columns for name in column.headers]
        assert len(tokens) == len(set(tokens)), kind.name
        assert all(column.chinese for column in kind.columns)
