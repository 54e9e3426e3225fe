"""Exports, approvals and credit decisions leave audit entries in the chain: exports through
``record_action`` (they change no row), decisions as the ORM writes they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.credit_checks import service as checks_service
from fengkong.credit_checks.status import DecisionReason, ReleaseKind
from fengkong.kit.money import Money
from fengkong.limits import service as limits_service
from fengkong.limits.status import Decision, RequestKind
from fengkong.models import service as models_service
from fengkong.models.models import ModelVersion
from fengkong.models.status import ModelKind, ModelState
from fengkong.settings import get_settings
from tests import factories
from tests.integration.credit_checks.conftest import DAY, MANAGER, World, run_check, world
from tests.integration.limits.conftest import TODAY, cny, graded_customer
from tests.integration.models.training import lab_data, scorecard_run
from tests.personas import Personas
from tests.recorded import sealed_chain
from tests.web.conftest import SignedIn, new_browser, signed_in

__all__ = ["lab_data", "new_browser", "scorecard_run", "signed_in", "world"]


def _entries(session: Session, entity_type: str, *actions: str) -> list[AuditEntry]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.action.in_(actions))
            .order_by(AuditEntry.id)
        )
    )


def _as(session: Session, actor: Actor) -> Actor:
    """Attribute the session's writes to ``actor``, as a request's unit of work does."""
    session.info["actor"] = actor
    return actor


def _assert_chain_intact(session: Session) -> None:
    report = sealed_chain(session)
    assert report.intact, report.broken


def test_a_customer_export_is_audited_with_its_row_count_and_filters(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    for number in range(3):
        factories.customer(name=f"云南导出测试有限公司{number}", region_code="530100")
    factories.customer(name="合肥不在筛选内有限公司", region_code="340100")
    web = signed_in(personas.bob_manager)

    response = web.get("/customers/export.xlsx?region=530000&sort=-name")

    assert response.status_code == 200
    [entry] = _entries(session, "customers", "export")
    assert (entry.actor_username, entry.entity_id) == ("bob_manager", "*")
    assert entry.after == {
        "rows": 3,
        "format": "xlsx",
        "filters": {"region": "530000", "sort": "-name"},
    }
    _assert_chain_intact(session)


def test_downloading_rejected_import_rows_is_an_audited_export(
    app: FastAPI, client: TestClient, personas: Personas, session: Session, tmp_path: Path
) -> None:
    app.state.settings = get_settings().model_copy(update={"data_dir": tmp_path})
    customer = factories.customer()
    content = (
        "发票号,统一社会信用代码,开票日期,到期日,金额,币种\r\n"
        f"INV-1,{customer.uscc},2026-01-05,2026-02-05,100,CNY\r\n"
        f"INV-2,{customer.uscc},2026-01-05,2026-02-05,-100,CNY\r\n"
    )
    headers = personas.alice_analyst.headers
    uploaded = client.post(
        "/api/v1/imports/invoices",
        headers=headers,
        params={"partial": "true"},
        files={"file": ("发票.csv", content.encode("utf-8"), "text/csv")},
    )
    assert uploaded.status_code == 201, uploaded.text
    run_id = uploaded.json()["run_id"]

    assert client.get(uploaded.json()["rejects_url"], headers=headers).status_code == 200

    [entry] = _entries(session, "import_runs", "export")
    assert (entry.actor_username, entry.entity_id) == ("alice_analyst", str(run_id))
    assert entry.after == {"rows": 1, "format": "csv", "kind": "invoices"}


def test_a_scorecard_export_is_audited(
    client: TestClient, personas: Personas, session: Session, scorecard_run: Path
) -> None:
    model = models_service.register_directory(
        session, personas.alice_analyst.actor, directory=scorecard_run, name="pd"
    )

    exported = client.get(
        f"/api/v1/models/{model.id}/export?format=sql", headers=personas.ada_auditor.headers
    )

    assert exported.status_code == 200
    [entry] = _entries(session, "model_versions", "export")
    assert (entry.actor_username, entry.entity_id) == ("ada_auditor", str(model.id))
    assert entry.after == {"format": "sql", "filename": f"pd-v{model.version}.sql"}


def test_a_limit_approval_is_audited(session: Session, personas: Personas) -> None:
    customer = graded_customer(session, "B")
    request = limits_service.request_limit(
        session,
        personas.sam_sales.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=cny("500000"),
        justification="新客户首单",
        today=TODAY,
    )
    limits_service.decide_limit_request(
        session,
        _as(session, personas.alice_analyst.actor),
        request_id=request.id,
        decision=Decision.APPROVE,
        today=TODAY,
    )

    [decision] = _entries(session, "limit_request_decisions", "create")
    assert decision.actor_username == "alice_analyst"
    assert decision.after is not None
    assert decision.after["decision"] == "approve"
    [granted] = _entries(session, "credit_limits", "create")
    assert granted.actor_username == "alice_analyst"
    approved = [
        entry
        for entry in _entries(session, "limit_requests", "update")
        if entry.entity_id == str(request.id)
    ]
    assert approved[-1].after is not None
    assert approved[-1].after["status"] == "approved"
    _assert_chain_intact(session)


def test_a_model_approval_is_audited(session: Session, personas: Personas) -> None:
    model = ModelVersion(
        name="pd",
        version=1,
        kind=ModelKind.SCORECARD,
        state=ModelState.VALIDATED,
        artefact="{}",
        artefact_sha256="0" * 64,
        features=["current_ratio"],
        parameters={},
        author="alice_analyst",
        author_id=personas.alice_analyst.user.id,
        validated_by="alice_analyst",
    )
    session.add(model)
    session.flush()

    models_service.approve_model(
        session, _as(session, personas.bob_manager.actor), model_id=model.id, comment="KS 0.41"
    )

    updates = [
        entry
        for entry in _entries(session, "model_versions", "update")
        if entry.entity_id == str(model.id)
    ]
    after: dict[str, Any] = {
        key: value for entry in updates for key, value in (entry.after or {}).items()
    }
    assert (after["state"], after["approved_by"]) == ("approved", "bob_manager")
    assert {entry.actor_username for entry in updates} == {"bob_manager"}
    _assert_chain_intact(session)


def test_a_credit_check_decision_is_audited(session: Session, world: World) -> None:
    customer = factories.customer()
    factories.invoice(
        customer_id=customer.id, issue_date=DAY, due_date=DAY, amount=Money.of("60000.00", "CNY")
    )
    world.limit(customer.id, "100000.00")
    hold = run_check(session, customer.id, "SO-9", "50000.00").hold
    assert hold is not None

    checks_service.release_hold(
        session,
        _as(session, MANAGER),
        hold_id=hold.id,
        kind=ReleaseKind.FULL,
        reason=DecisionReason.COLLATERAL_PROVIDED,
        comment="保函 No. 2026-17",
        today=DAY,
    )

    released = [
        entry
        for entry in _entries(session, "credit_holds", "update")
        if entry.entity_id == str(hold.id)
    ]
    assert [entry.actor_username for entry in released] == ["wang_manager"]
    assert released[0].after is not None
    assert released[0].after["status"] == "released"
    # The automated check itself is its own immutable record (credit_checks, not audited); the
    # hold it raised is.
    [held] = _entries(session, "credit_holds", "create")
    assert held.entity_id == str(hold.id)
    _assert_chain_intact(session)
