"""The monthly portfolio report, on SQLite and PostgreSQL: hand-checked figures on a small book
(exposure and expected loss by grade, migration, alerts and reviews of the month), then the demo
book rendered in both languages as HTML, PDF and a workbook whose sheets hold the report's
figures; the PDF's text read back with poppler and page 1 saved as a PNG artefact."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl  # type: ignore[import-untyped]
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.demo import service as demo_service
from fengkong.display.formatting import Formatter
from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.exposure import service as exposure_service
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus
from fengkong.reports import portfolio_report
from fengkong.reports.portfolio_report import gather, portfolio_report_file, sections
from fengkong.reviews.models import Review
from fengkong.reviews.status import ReviewStatus
from fengkong.risk import configs as risk_configs
from fengkong.risk import service as risk_service
from fengkong.risk.models import RiskScore, ScoreTrigger
from fengkong.settings import get_settings
from tests import factories
from tests.personas import Personas

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"
SYSTEM = Actor.system("test")
JUNE = date(2026, 6, 1)
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (make pdf-tools) is not installed"
)


def _earlier_score(session: Session, customer_id: int, grade: str, as_of: date) -> None:
    """A past score in the history, so the grade in force on an earlier day differs."""
    active = risk_configs.ensure_active(session, SYSTEM)
    session.add(
        RiskScore(
            customer_id=customer_id,
            as_of=as_of,
            score=700.0,
            grade=grade,
            risk_level="medium_low",
            pd=0.015,
            scorecard_version_id=active.scorecard_row.id,
            grade_scale_version_id=active.scale_row.id,
            inputs_hash="0" * 64,
            factors=[],
            reasons=[],
            trigger=ScoreTrigger.MANUAL,
            computed_by="test",
        )
    )
    session.flush()


def _alert(
    session: Session, customer_id: int, raised_at: datetime, closed_at: datetime | None = None
) -> None:
    rule_set = monitoring_service.rule_sets.ensure_active(session, SYSTEM)
    session.add(
        Alert(
            customer_id=customer_id,
            rule_id="dpd_over_30",
            rule_set_version_id=rule_set.row_id,
            kind="threshold",
            severity=Severity.HIGH,
            title="Days past due over 30",
            values={},
            recommended_actions=[],
            status=AlertStatus.NEW if closed_at is None else AlertStatus.RESOLVED,
            raised_at=raised_at,
            due_at=raised_at + timedelta(days=3),
            closed_at=closed_at,
        )
    )
    session.flush()


def _review(
    session: Session,
    customer_id: int,
    due_on: date,
    status: ReviewStatus = ReviewStatus.SCHEDULED,
    completed_on: date | None = None,
) -> None:
    session.add(
        Review(
            customer_id=customer_id,
            due_on=due_on,
            status=status,
            grade="C",
            cadence_months=12,
            checklist=[],
            scheduled_by="test",
            completed_on=completed_on,
        )
    )
    session.flush()


def _june_book(session: Session) -> None:
    """Two customers: one downgraded B → C in June with 800 CNY overdue, one first rated A in
    June with 1,000 CNY not yet due; alerts and reviews on either side of June's edges."""
    downgraded = factories.customer()
    factories.invoice(
        customer_id=downgraded.id,
        amount=Money.of("800.00", "CNY"),
        issue_date=date(2026, 5, 1),
        due_date=date(2026, 5, 31),
    )
    _earlier_score(session, downgraded.id, "B", date(2026, 5, 10))
    factories.rate_customer(session, downgraded.id, grade="C", pd=0.02, as_of=date(2026, 6, 20))
    new = factories.customer()
    factories.invoice(
        customer_id=new.id,
        amount=Money.of("1000.00", "CNY"),
        issue_date=date(2026, 6, 15),
        due_date=date(2026, 7, 31),
    )
    factories.rate_customer(session, new.id, grade="A", pd=0.01, as_of=date(2026, 6, 5))
    exposure_service.refresh_exposures(session, SYSTEM, as_of=date(2026, 6, 30))

    def utc(month: int, day: int, hour: int) -> datetime:
        return datetime(2026, month, day, hour, tzinfo=UTC)

    # Shanghai is UTC+8: June runs from 05-31 16:00 to 06-30 16:00 UTC.
    _alert(session, new.id, utc(5, 20, 2), closed_at=utc(6, 3, 2))
    _alert(session, new.id, utc(6, 10, 2))
    _alert(session, new.id, utc(6, 15, 2), closed_at=utc(7, 2, 2))
    _alert(session, new.id, utc(6, 30, 17))  # 1 July, 01:00 in Shanghai
    _alert(session, new.id, utc(5, 31, 17), closed_at=utc(6, 30, 17))  # 1 June
    _review(session, downgraded.id, date(2026, 6, 15), ReviewStatus.COMPLETED, date(2026, 6, 12))
    _review(session, downgraded.id, date(2026, 6, 20))
    _review(session, new.id, date(2026, 7, 10))
    _review(session, new.id, date(2026, 6, 25), ReviewStatus.COMPLETED, date(2026, 7, 3))
    _review(session, new.id, date(2026, 6, 5), ReviewStatus.CANCELLED)


def test_hand_checked_figures_of_a_small_book(session: Session, personas: Personas) -> None:
    _june_book(session)

    report = gather(session, personas.bob_manager.actor, month=JUNE)

    grades = {row.key: row for row in report.exposure.by_grade}
    assert (grades["A"].ead, grades["A"].expected_loss) == (1000_00, 4_50)  # 1,000 × 0.45 × 1%
    assert (grades["C"].ead, grades["C"].expected_loss) == (800_00, 7_20)  # 800 × 0.45 × 2%
    assert report.exposure.expected_loss == 11_70
    assert report.exposure.receivables_by_bucket["dpd_1_30"] == 800_00
    assert report.migration is not None
    assert report.migration.counts == {"B": {"C": 1}}
    assert (report.migration.downgraded, report.migration.upgraded) == (1, 0)
    assert report.migration.newly_rated == 1
    assert report.alerts is not None
    assert (report.alerts.opened, report.alerts.closed, report.alerts.open_at_end) == (3, 1, 3)
    assert report.reviews is not None
    assert (report.reviews.completed, report.reviews.due, report.reviews.overdue_at_end) == (
        1,
        3,
        2,
    )
    tables = {section.key: section for section in sections(report, "en")}
    assert ("Expected loss", Money.of("11.70", "CNY")) in tables["summary"].rows
    assert tables["migration"].rows == (("B", 0, 0, 1, 0, 0),)
    changes = {row[0]: row[1] for row in tables["grade_changes"].rows}
    assert (changes["Downgraded"], changes["Upgraded"], changes["Newly rated"]) == (1, 0, 1)
    assert ("Opened in the month", 3) in tables["alerts"].rows


def test_the_workbook_has_a_sheet_per_section_holding_the_report_figures(
    session: Session, personas: Personas
) -> None:
    _june_book(session)
    actor = personas.bob_manager.actor

    workbook = portfolio_report_file(session, actor, month=JUNE, fmt="xlsx", locale="zh_CN")

    expected = sections(gather(session, actor, month=JUNE), "zh_CN")
    book = openpyxl.load_workbook(io.BytesIO(workbook.content), read_only=True)
    assert book.sheetnames == [section.title for section in expected]
    assert workbook.filename == "portfolio-report-2026-06.xlsx"
    for section, sheet in zip(expected, book.worksheets, strict=True):
        header, *rows = list(sheet.iter_rows(values_only=True))
        assert header == tuple(column.title for column in section.columns)
        assert len(rows) == len(section.rows)
        for row, cells in zip(section.rows, rows, strict=True):
            for cell, value in zip(row, cells, strict=True):
                if isinstance(cell, Money):
                    assert Decimal(str(value)) == cell.amount
                elif isinstance(cell, float):
                    assert value == pytest.approx(cell)
                else:
                    assert value == cell
    summary = book["汇总"] if "汇总" in book.sheetnames else book.worksheets[0]
    assert summary["B2"].number_format == "#,##0.00"


def test_only_whole_book_readers_get_it_and_each_generation_is_audited(
    session: Session, personas: Personas
) -> None:
    _june_book(session)
    with pytest.raises(PermissionDenied):
        gather(session, personas.sam_sales.actor, month=JUNE)
    with pytest.raises(ValidationFailed):
        gather(session, personas.bob_manager.actor, month=date(2026, 6, 2))

    portfolio_report_file(session, personas.bob_manager.actor, month=JUNE, fmt="html", locale="en")

    [entry] = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "report", AuditEntry.entity_type == "portfolio"
        )
    ).all()
    assert (entry.entity_id, entry.actor_username) == (
        "2026-06",
        personas.bob_manager.user.username,
    )
    assert entry.after == {"format": "html", "locale": "en"}


def _pdf_text(pdf: Path) -> str:
    command = ["pdftotext", "-layout", str(pdf), "-"]
    # A fixed poppler command on a file the test wrote.
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603


@needs_poppler
def test_the_demo_book_renders_in_both_languages_as_html_pdf_and_workbook(
    session: Session, personas: Personas, tmp_path: Path
) -> None:
    today = business_today(get_settings().zone)
    demo_service.load_demo(session, SYSTEM, customers=12, seed=7, as_of=today)
    risk_service.score_customers(session, SYSTEM, as_of=today, trigger=ScoreTrigger.DEMO)
    demo_service.settle_demo(session, SYSTEM, today=today)
    exposure_service.refresh_exposures(session, SYSTEM, as_of=today)
    month = portfolio_report.last_complete_month(today)
    actor = personas.bob_manager.actor
    summary = gather(session, actor, month=month).exposure
    assert summary.customers > 0
    assert summary.expected_loss > 0

    english = portfolio_report_file(session, actor, month=month, fmt="html", locale="en")
    page = english.content.decode()
    assert "style=" not in page
    assert "<script" not in page
    assert "<svg" in page
    for label in ("Portfolio report", "Grade migration", "Exposure by industry", "Overdue ageing"):
        assert label in page, label

    report = portfolio_report_file(session, actor, month=month, fmt="pdf", locale="zh_CN")
    assert report.content.startswith(b"%PDF")
    pdf = tmp_path / "portfolio-report.pdf"
    pdf.write_bytes(report.content)
    text = _pdf_text(pdf)
    net = Formatter("zh_CN", get_settings().zone).money(
        Money.from_minor_units(summary.net_exposure, summary.currency)
    )
    for expected in ("组合报告", "等级迁移", "行业敞口分布", "逾期账龄", net):
        assert expected in text, expected

    english_pdf = tmp_path / "portfolio-report-en.pdf"
    english_pdf.write_bytes(
        portfolio_report_file(session, actor, month=month, fmt="pdf", locale="en").content
    )
    english_text = _pdf_text(english_pdf)
    for expected in ("Portfolio report", "Grade migration", "Overdue ageing"):
        assert expected in english_text, expected
    assert "组合报告" not in english_text

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / f"portfolio-report-{session.bind.dialect.name}-zh_CN"  # type: ignore[union-attr]
    page_one = ["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)]
    subprocess.run(["pdftoppm", *page_one], check=True)  # noqa: S603, S607 - poppler, fixed args
    assert target.with_suffix(".png").stat().st_size > 5_000
