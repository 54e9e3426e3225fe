"""The customer credit report on demo data, on SQLite and PostgreSQL: both languages as HTML and
PDF, the PDF's text and fonts read back with poppler, page 1 saved as a PNG artefact; scope,
masking and the audit entry of each generation."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.customers.service import CustomerNotFound
from fengkong.demo import service as demo_service
from fengkong.display.formatting import Formatter
from fengkong.errors import PermissionDenied
from fengkong.exposure import service as exposure_service
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.reports.customer_report import customer_report_file
from fengkong.reviews import service as reviews_service
from fengkong.reviews.models import Review
from fengkong.reviews.status import GradeOutcome, LimitOutcome
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from fengkong.settings import Locale, get_settings
from tests import factories
from tests.personas import Personas

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "reports"
DEMO_CUSTOMERS = 12
SYSTEM = Actor.system("test")
needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (make pdf-tools) is not installed"
)


def _load_demo(session: Session) -> int:
    """A small scored and settled demo book; the id of its customer with the largest exposure,
    so every section of the report has something to show."""
    today = business_today(get_settings().zone)
    demo_service.load_demo(session, SYSTEM, customers=DEMO_CUSTOMERS, seed=7, as_of=today)
    risk_service.score_customers(session, SYSTEM, as_of=today, trigger=ScoreTrigger.DEMO)
    demo_service.settle_demo(session, SYSTEM, today=today)
    rated = risk_service.ratings_of(session, list(session.scalars(select(Customer.id))))
    return max(
        rated,
        key=lambda customer_id: (
            exposure_service.get_exposure(
                session, SYSTEM, customer_id=customer_id, as_of=today
            ).gross_exposure
        ),
    )


def _poppler(tool: str, *arguments: str) -> str:
    """What a poppler-utils tool prints (``pdftotext``, ``pdffonts``, ``pdftoppm``)."""
    command = [shutil.which(tool) or tool, *arguments]
    return subprocess.run(  # noqa: S603 - our own command on our own file
        command, check=True, capture_output=True, text=True
    ).stdout


@needs_poppler
def test_the_report_renders_on_demo_data_in_both_languages(
    session: Session, personas: Personas, tmp_path: Path
) -> None:
    customer_id = _load_demo(session)
    analyst = personas.alice_analyst.actor
    rating = risk_service.ratings_of(session, [customer_id])[customer_id]
    today = business_today(get_settings().zone)
    exposure = exposure_service.get_exposure(session, SYSTEM, customer_id=customer_id, as_of=today)
    name = session.get_one(Customer, customer_id).name
    languages: tuple[tuple[Locale, tuple[str, ...]], ...] = (
        ("zh_CN", ("客户资信报告", "信用等级", "机密", "违约概率")),
        ("en", ("Customer credit report", "Credit grade", "Confidential")),
    )
    backend = session.get_bind().dialect.name
    for locale, labels in languages:
        html = customer_report_file(session, analyst, customer_id, fmt="html", locale=locale)
        page = html.content.decode()
        assert html.media_type.startswith("text/html")
        assert name in page
        assert "<svg" in page
        assert "style=" not in page
        assert "<script" not in page
        for label in labels:
            assert label in page, label

        report = customer_report_file(session, analyst, customer_id, fmt="pdf", locale=locale)
        assert report.content.startswith(b"%PDF")
        assert report.filename.endswith(".pdf")
        pdf = tmp_path / f"customer-report-{locale}.pdf"
        pdf.write_bytes(report.content)
        text = _poppler("pdftotext", "-layout", str(pdf), "-")
        gross = Formatter(locale, get_settings().zone).money(
            Money.from_minor_units(exposure.gross_exposure, exposure.currency)
        )
        for expected in (*labels, name, rating.grade, gross):
            assert expected in text, expected
        # pdffonts: two header lines, then name … emb sub uni object-id per font.
        fonts = [line for line in _poppler("pdffonts", str(pdf)).splitlines()[2:] if line]
        assert any("CJK" in line or "WenQuanYi" in line for line in fonts)
        assert all(line.split()[-5] == "yes" for line in fonts)

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"customer-report-{backend}-{locale}"
        _poppler(
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf),
            str(target),
        )
        assert target.with_suffix(".png").stat().st_size > 5_000


def test_each_generation_is_audited_and_personal_data_is_shown_with_pii_read(
    session: Session, personas: Personas
) -> None:
    customer = factories.customer(legal_representative="张建国")
    report = customer_report_file(
        session, personas.bob_manager.actor, customer.id, fmt="html", locale="en"
    )
    assert "张建国" in report.content.decode()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_id == str(customer.id))
    ).all()
    actions = {entry.action for entry in entries}
    assert "report" in actions
    [generated] = [entry for entry in entries if entry.action == "report"]
    assert generated.entity_type == "customers"
    assert generated.after == {"format": "html", "locale": "en"}


def test_the_recommendation_is_the_latest_completed_reviews_outcome_and_notes(
    session: Session, personas: Personas
) -> None:
    today = business_today(get_settings().zone)
    customer = factories.customer()
    factories.rate_customer(session, customer.id, grade="B", as_of=today)
    reviews_service.schedule_reviews(session, SYSTEM, today=today, customer_ids=[customer.id])
    review = session.scalars(select(Review).where(Review.customer_id == customer.id)).one()
    analyst = personas.alice_analyst.actor
    reviews_service.start_review(session, analyst, review_id=review.id)
    reviews_service.complete_review(
        session,
        analyst,
        review_id=review.id,
        today=today,
        grade_outcome=GradeOutcome.OVERRIDDEN,
        override_grade="D",
        override_reason="两起诉讼",
        limit_outcome=LimitOutcome.KEPT,
        notes="走访工厂，建议维持额度并按月复核。",
        tick=[item["key"] for item in review.checklist],
    )
    report = customer_report_file(session, analyst, customer.id, fmt="html", locale="zh_CN")
    page = report.content.decode()
    section = page[page.index('id="recommendation"') :]
    assert "最近一次完成的复审" in section
    assert "走访工厂，建议维持额度并按月复核。" in section
    assert "→ D" in section
    assert "所用模型与版本" in page


def test_sales_sees_only_their_customers_with_personal_data_masked(
    session: Session, personas: Personas
) -> None:
    sam = personas.sam_sales
    own = factories.customer_of(sam.user, legal_representative="张建国")
    elsewhere = factories.customer(region_code="110000", owner_id=personas.bob_manager.user.id)
    report = customer_report_file(session, sam.actor, own.id, fmt="html", locale="zh_CN")
    page = report.content.decode()
    assert own.name in page
    assert "张建国" not in page
    with pytest.raises(CustomerNotFound):
        customer_report_file(session, sam.actor, elsewhere.id, fmt="html", locale="zh_CN")


def test_a_reader_without_customers_read_gets_no_report(session: Session) -> None:
    customer = factories.customer()
    nobody = Actor(
        user_id=None, username="nobody", role=Actor.system().role, token_scopes=frozenset()
    )
    with pytest.raises(PermissionDenied):
        customer_report_file(session, nobody, customer.id, fmt="html", locale="en")
