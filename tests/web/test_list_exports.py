"""List exports through the one mechanism: each list's Excel and CSV hold the filtered rows, in
the access scope of the reader, with formula-looking text defused, each export audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.collections import service as collections_service
from fengkong.customers.models import Customer
from fengkong.imports.models import ImportStatus
from fengkong.kit.money import Money
from fengkong.limits import service as limits_service
from fengkong.limits.status import BlockKind, RequestKind
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import Channel, DeliveryStatus
from fengkong.reviews.models import Review
from fengkong.reviews.status import ReviewStatus
from tests import factories
from tests.integration.limits.conftest import graded_customer
from tests.integration.monitoring.conftest import (
    NOW,
    SYSTEM,
    TODAY,
    notifications,  # noqa: F401  (autouse: records notify calls)
    overdue_invoice,
    use_rules,
)
from tests.personas import Persona, Personas
from tests.web.conftest import SignedIn

INJECTION = '=HYPERLINK("http://evil.example","点我")'


@dataclass(frozen=True)
class Book:
    """Sam's own customer (named like a formula), a Shanghai customer in his region, and Alice's
    Hangzhou customer outside his scope; each with an overdue invoice, an open alert (the own
    one titled like a formula) and a credit block whose reason looks like a formula."""

    own: Customer
    regional: Customer
    theirs: Customer
    alerts: dict[int, int]
    """Alert id by customer id."""


@pytest.fixture
def book(session: Session, personas: Personas) -> Book:
    own = factories.customer_of(personas.sam_sales.user, name=INJECTION, region_code="330106")
    regional = factories.customer(name="+1 上海区域客户有限公司", region_code="310000")
    theirs = factories.customer_of(
        personas.alice_analyst.user, name="@SUM(1) 杭州他人客户有限公司", region_code="330106"
    )
    use_rules(session)
    for customer in (own, regional, theirs):
        overdue_invoice(customer.id, days=45)
    raised = monitoring_service.evaluate_customers(
        session, SYSTEM, customer_ids=[own.id, regional.id, theirs.id], as_of=TODAY, now=NOW
    ).raised
    alerts = {session.get_one(Alert, alert_id).customer_id: alert_id for alert_id in raised}
    session.get_one(Alert, alerts[own.id]).title = "-2+3 超期"
    for customer in (own, regional, theirs):
        limits_service.set_block(
            session, SYSTEM, customer_id=customer.id, kind=BlockKind.CREDIT_BLOCK, reason="=1+1"
        )
    session.flush()
    return Book(own=own, regional=regional, theirs=theirs, alerts=alerts)


@dataclass(frozen=True)
class ListExport:
    """One list: its export path and the value identifying a book customer's row in the
    file's first column."""

    entity_type: str
    path: str
    key: Callable[[Book, Customer], str]


def _escaped_name(book: Book, customer: Customer) -> str:
    return f"'{customer.name}" if customer.name[0] in "=+@" else customer.name


LISTS = [
    ListExport("customers", "/customers/export", _escaped_name),
    ListExport("collections_worklist", "/collections/export", _escaped_name),
    ListExport("credit_blocks", "/blocks/export", lambda book, customer: str(customer.id)),
    ListExport("data_quality", "/data-quality/export", _escaped_name),
    ListExport(
        "alerts",
        "/alerts/export",
        lambda book, customer: str(book.alerts[customer.id]),
    ),
]


def _rows(content: bytes, fmt: str) -> list[list[str]]:
    """The file's rows as text, the header row first."""
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return [[_text(cell) for cell in row] for row in sheet.to_python(skip_empty_area=False)]


def _text(cell: object) -> str:
    """A cell as the CSV file writes it: whole numbers without a decimal point."""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _keys(rows: list[list[str]]) -> set[str]:
    return {row[0] for row in rows[1:]}


def _exports(session: Session, entity_type: str) -> list[AuditEntry]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.action == "export")
            .order_by(AuditEntry.id)
        )
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("listed", LISTS, ids=lambda listed: listed.entity_type)
def test_an_export_holds_the_scoped_rows_escaped_and_is_audited(
    signed_in: SignedIn,
    personas: Personas,
    session: Session,
    book: Book,
    listed: ListExport,
    fmt: str,
) -> None:
    response = signed_in(personas.sam_sales).get(f"{listed.path}.{fmt}")
    assert response.status_code == 200, response.text
    assert f".{fmt}" in response.headers["content-disposition"]
    rows = _rows(response.content, fmt)
    own, regional, theirs = (listed.key(book, c) for c in (book.own, book.regional, book.theirs))
    keys = _keys(rows)
    assert {own, regional} <= keys
    assert theirs not in keys
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    [entry] = _exports(session, listed.entity_type)
    assert entry.after == {"rows": len(rows) - 1, "format": fmt, "filters": {}}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_customer_export_keeps_the_filters_and_the_page_language(
    signed_in: SignedIn, personas: Personas, session: Session, book: Book, fmt: str
) -> None:
    web = signed_in(personas.alice_analyst)
    response = web.get(f"/customers/export.{fmt}?region=310000&page=2")
    rows = _rows(response.content, fmt)
    assert rows[0][0] == "名称"
    assert _keys(rows) == {f"'{book.regional.name}"}
    [entry] = _exports(session, "customers")
    assert entry.after is not None
    assert entry.after["filters"] == {"region": "310000", "page": "2"}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_customer_export_masks_personal_data_without_pii_read_and_audits_it_with(
    signed_in: SignedIn, personas: Personas, session: Session, book: Book, fmt: str
) -> None:
    book.own.legal_representative = "张伟"
    book.own.legal_representative_id_number = "110101199003071234"
    session.flush()

    def row_of_own(persona: Persona) -> list[str]:
        rows = _rows(signed_in(persona).get(f"/customers/export.{fmt}?owner=me").content, fmt)
        header = rows[0]
        [row] = rows[1:]
        return [row[header.index("法定代表人")], row[header.index("法定代表人身份证号")]]

    assert row_of_own(personas.sam_sales) == ["张*", "110***********1234"]
    assert _pii_views(session) == []
    book.own.owner_id = personas.bob_manager.user.id
    session.flush()
    assert row_of_own(personas.bob_manager) == ["张伟", "110101199003071234"]
    [view] = _pii_views(session)
    assert view.actor_username == "bob_manager"


def _pii_views(session: Session) -> list[AuditEntry]:
    session.flush()
    return list(
        session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "customers", AuditEntry.action == "pii_view"
            )
        )
    )


def test_the_alert_export_keeps_the_inbox_filters(
    signed_in: SignedIn, personas: Personas, session: Session, book: Book
) -> None:
    web = signed_in(personas.alice_analyst)
    everything = _rows(web.get("/alerts/export.csv").content, "csv")
    assert _keys(everything) == {str(alert_id) for alert_id in book.alerts.values()}
    assert "'-2+3 超期" in {row[1] for row in everything}
    resolved = _rows(web.get("/alerts/export.csv?status=resolved").content, "csv")
    assert resolved[1:] == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_review_export_holds_the_reviews_the_list_shows(
    signed_in: SignedIn, personas: Personas, session: Session, book: Book, fmt: str
) -> None:
    def review(customer: Customer, status: ReviewStatus) -> Review:
        row = Review(
            customer_id=customer.id,
            due_on=TODAY,
            status=status,
            grade="BBB",
            cadence_months=12,
            checklist=[],
            scheduled_by="scheduler",
        )
        session.add(row)
        return row

    scheduled = review(book.own, ReviewStatus.SCHEDULED)
    completed = review(book.regional, ReviewStatus.COMPLETED)
    session.flush()
    web = signed_in(personas.alice_analyst)

    listed = _rows(web.get(f"/reviews/export.{fmt}").content, fmt)
    everything = _rows(web.get(f"/reviews/export.{fmt}?show=all").content, fmt)

    assert _keys(listed) == {str(scheduled.id)}
    assert _keys(everything) == {str(scheduled.id), str(completed.id)}
    assert [entry.after["rows"] for entry in _exports(session, "reviews") if entry.after] == [1, 2]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_failed_deliveries_export_holds_dead_and_failing_ones_for_managers_only(
    signed_in: SignedIn, personas: Personas, session: Session, fmt: str
) -> None:
    def delivery(number: int, status: DeliveryStatus) -> Delivery:
        row = Delivery(
            channel=Channel.EMAIL,
            target=f"ops{number}@example.com",
            topic="alert.raised",
            subject=f"预警 {number}",
            body="",
            payload={},
            dedupe_key=f"export-test-{number}",
            message_id=f"m{number}",
            status=status,
            last_error="=HYPERLINK(1)" if number == 1 else "SMTP: refused",
        )
        session.add(row)
        return row

    dead, failing, _sent = (
        delivery(number, status)
        for number, status in enumerate(
            (DeliveryStatus.DEAD, DeliveryStatus.FAILED, DeliveryStatus.SENT), start=1
        )
    )
    session.flush()

    rows = _rows(
        signed_in(personas.adam_admin).get(f"/settings/deliveries/export.{fmt}").content, fmt
    )

    assert _keys(rows) == {str(dead.id), str(failing.id)}
    assert "'=HYPERLINK(1)" in {cell for row in rows for cell in row}
    denied = signed_in(personas.alice_analyst).get(f"/settings/deliveries/export.{fmt}")
    assert denied.status_code == 403
    assert len(_exports(session, "deliveries")) == 1


def test_the_credit_hold_export_answers_with_the_queue_headers_and_is_audited(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    response = signed_in(personas.sam_sales).get("/credit-holds/export.csv?status=released")

    assert response.status_code == 200
    assert _rows(response.content, "csv")[0][:3] == ["冻结单", "客户", "订单"]
    [entry] = _exports(session, "credit_holds")
    assert entry.after == {"rows": 0, "format": "csv", "filters": {"status": "released"}}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_approvals_export_holds_the_queue_for_approvers_and_own_requests_for_sales(
    signed_in: SignedIn, personas: Personas, session: Session, fmt: str
) -> None:
    customer = graded_customer(session, "B")
    sam = personas.sam_sales
    customer.owner_id = sam.user.id
    requested = limits_service.request_limit(
        session,
        sam.actor,
        customer_id=customer.id,
        kind=RequestKind.NEW,
        amount=Money.of("300000.00", "CNY"),
        justification="@SUM(A1) 首单",
    )
    session.flush()

    queue = _rows(signed_in(personas.alice_analyst).get(f"/approvals/export.{fmt}").content, fmt)
    own = _rows(signed_in(sam).get(f"/approvals/export.{fmt}").content, fmt)

    assert _keys(queue) == _keys(own) == {str(requested.id)}
    assert queue[1][-1] == "'@SUM(A1) 首单"
    assert len(_exports(session, "limit_requests")) == 2


def test_the_model_registry_export_lists_the_champion_for_model_readers_only(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    rows = _rows(signed_in(personas.ada_auditor).get("/models/export.xlsx").content, "xlsx")

    assert rows[0][:4] == ["名称", "版本", "类型", "状态"]
    assert "冠军" in {row[3] for row in rows[1:]}
    assert signed_in(personas.sam_sales).get("/models/export.csv").status_code == 403
    assert len(_exports(session, "model_versions")) == 1


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_dunning_notice_export_holds_the_scoped_notices_with_the_status_filter(
    signed_in: SignedIn, personas: Personas, session: Session, book: Book, fmt: str
) -> None:
    issued = collections_service.run_dunning(session, SYSTEM, today=TODAY).notices_issued
    assert issued >= 3
    web = signed_in(personas.sam_sales)
    rows = _rows(web.get(f"/collections/notices/export.{fmt}").content, fmt)
    assert rows[0][:3] == ["编号", "运行日期", "客户编号"]
    assert {row[2] for row in rows[1:]} == {str(book.own.id), str(book.regional.id)}
    assert all(row[0].startswith("DN-") and row[7] == "已发出" for row in rows[1:])
    cancelled = _rows(web.get(f"/collections/notices/export.{fmt}?status=cancelled").content, fmt)
    assert cancelled[1:] == []
    assert [
        (entry.after or {}).get("filters") for entry in _exports(session, "dunning_notices")
    ] == [
        {},
        {"status": "cancelled"},
    ]
    page = signed_in(personas.alice_analyst).page("/collections/notices?status=issued&page=1").text
    assert 'href="/collections/notices/export.csv?status=issued"' in page


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_import_run_export_holds_every_run_of_the_kinds_the_reader_may_read(
    signed_in: SignedIn, personas: Personas, session: Session, fmt: str
) -> None:
    customers = factories.import_run(file_name="=cmd|' /C calc'!A0.csv")
    statements = factories.import_run(
        kind="financial_statements", status=ImportStatus.PARTIAL, rows_rejected=2
    )
    analyst = _rows(
        signed_in(personas.alice_analyst).get(f"/imports/runs/export.{fmt}").content, fmt
    )
    assert analyst[0][:3] == ["批次", "内容", "文件"]
    by_run = {row[0]: row for row in analyst[1:]}
    assert by_run[str(customers.id)][1:3] == ["客户", "'=cmd|' /C calc'!A0.csv"]
    assert by_run[str(statements.id)][1] == "财务报表"
    assert by_run[str(statements.id)][7] == "部分导入"
    sales = _rows(signed_in(personas.sam_sales).get(f"/imports/runs/export.{fmt}").content, fmt)
    assert str(customers.id) in _keys(sales)
    assert str(statements.id) not in _keys(sales), "sales may not read financial statements"
    assert [(entry.after or {}).get("rows") for entry in _exports(session, "import_runs")] == [
        len(analyst) - 1,
        len(sales) - 1,
    ]


def test_the_list_pages_offer_both_formats_with_the_current_query(
    signed_in: SignedIn, personas: Personas, book: Book
) -> None:
    web = signed_in(personas.alice_analyst)
    customers = web.page("/customers?region=310000").text
    assert 'href="/customers/export.xlsx?region=310000"' in customers
    assert 'href="/customers/export.csv?region=310000"' in customers
    alerts = web.page("/alerts?severity=high").text
    assert 'href="/alerts/export.csv?severity=high"' in alerts
    assert 'href="/collections/export.xlsx?region=31"' in web.page("/collections?region=31").text
    assert 'href="/reviews/export.csv?show=all"' in web.page("/reviews?show=all").text
    assert 'href="/blocks/export.xlsx"' in web.page("/blocks").text
    assert 'href="/approvals/export.csv"' in web.page("/approvals").text
    assert 'href="/models/export.xlsx"' in web.page("/models").text
    assert 'href="/data-quality/export.csv"' in web.page("/data-quality").text
    holds = web.page("/credit-holds?status=released").text
    assert 'href="/credit-holds/export.csv?status=released"' in holds


def test_an_unknown_export_format_is_not_found(signed_in: SignedIn, personas: Personas) -> None:
    assert signed_in(personas.alice_analyst).get("/customers/export.pdf").status_code == 404
