"""Pulling from export files in a folder, end to end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.connectors import service
from fengkong.connectors.folder import ExportFileInvalid, FolderProvider
from fengkong.connectors.models import CreditDataPull, DataKind
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer
from fengkong.kit.provenance import DataSource
from tests import factories
from tests.integration.connectors.conftest import config

ACTOR = Actor.system("test")
AGENCY = (DataKind.AGENCY_REPORT,)


def export(folder: Path, name: str, records: list[dict[str, Any]]) -> None:
    document = {
        "format": "fengkong.connector-export/1",
        "kind": "agency_report",
        "source": "中诚信",
        "records": records,
    }
    (folder / name).write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


def reports_of(session: Session, customer: Customer) -> list[CreditReport]:
    return list(
        session.scalars(select(CreditReport).where(CreditReport.customer_id == customer.id))
    )


def test_reports_from_an_export_file_are_stored_with_the_file_as_their_source(
    session: Session, tmp_path: Path
) -> None:
    customer = factories.customer()
    export(
        tmp_path,
        "ccx-2026-11.json",
        [
            {
                "uscc": customer.uscc,
                "name": customer.name,
                "agency": "中诚信",
                "rating": "AA-",
                "score": 77,
                "report_date": "2026-11-01",
                "valid_until": "2027-10-31",
            }
        ],
    )
    cfg = config(FolderProvider(tmp_path), kinds=AGENCY)
    service.pull(session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg)
    (stored,) = reports_of(session, customer)
    assert (stored.rating, stored.score, stored.verified) == ("AA-", 77.0, True)
    assert (stored.source, stored.source_ref) == (DataSource.CONNECTOR, "folder:ccx-2026-11.json")
    service.pull(session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg)
    assert len(reports_of(session, customer)) == 1


def test_a_malformed_export_stores_nothing_and_names_the_file_and_record(
    session: Session, tmp_path: Path
) -> None:
    customer = factories.customer()
    export(
        tmp_path,
        "ccx-2026-11.json",
        [
            {
                "uscc": customer.uscc,
                "name": customer.name,
                "agency": "中诚信",
                "report_date": "2026-11-01",
            },
            {
                "uscc": customer.uscc,
                "name": customer.name,
                "agency": "中诚信",
                "report_date": "yesterday",
            },
        ],
    )
    cfg = config(FolderProvider(tmp_path), kinds=AGENCY)
    with (
        pytest.raises(
            ExportFileInvalid, match=r"ccx-2026-11\.json: record 2: report_date"
        ) as raised,
        session.begin_nested(),
    ):
        service.pull(session, ACTOR, customer_id=customer.id, kinds=AGENCY, force=True, config=cfg)
    assert raised.value.details[0] | {"message": None} == {
        "file": "ccx-2026-11.json",
        "record": 2,
        "field": "report_date",
        "message": None,
    }
    assert reports_of(session, customer) == []
    assert session.scalar(select(func.count()).select_from(CreditDataPull)) == 0
