"""The dashboard on the start page: key figures, the charts' data, the grade migration matrix,
the largest expected losses and the reviews due, on a small book whose answers are known — in
both languages, and for each role only the panels its permissions open."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import ROLE_PERMISSIONS, Permission, Role
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.exposure import service as exposure_service
from fengkong.kit.money import Money
from fengkong.kit.time import business_today, utcnow
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import Severity
from fengkong.portfolio import service as portfolio_service
from fengkong.reviews.models import Review
from fengkong.risk import configs
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from fengkong.settings import Settings
from fengkong.web.routes import home
from tests import factories
from tests.conftest import migrated_sqlite_url
from tests.personas import Personas
from tests.web.conftest import SignedIn

SYSTEM = Actor.system("test")


@dataclass(frozen=True)
class Book:
    downgraded: int
    newly_rated: int
    unrated: int


def _score(session: Session, customer_id: int, grade: str, pd: float, as_of: date) -> None:
    """A score row as of ``as_of``, and the rating following it, as scoring does."""
    active = configs.ensure_active(session, SYSTEM)
    score = RiskScore(
        customer_id=customer_id,
        as_of=as_of,
        score=500.0,
        grade=grade,
        risk_level="medium",
        pd=pd,
        scorecard_version_id=active.scorecard_row.id,
        grade_scale_version_id=active.scale_row.id,
        inputs_hash=f"{customer_id}-{as_of}".ljust(64, "0"),
        factors=[],
        reasons=[],
        trigger=ScoreTrigger.MANUAL,
        computed_by="test",
    )
    session.add(score)
    session.flush()
    rating = session.get(CustomerRating, customer_id)
    if rating is None:
        rating = CustomerRating(customer_id=customer_id, risk_score_id=score.id, score=500.0)
        session.add(rating)
    rating.risk_score_id, rating.grade, rating.pd, rating.as_of = score.id, grade, pd, as_of
    rating.inputs_hash, rating.model_version_id = score.inputs_hash, score.model_version_id
    session.flush()


def _owing(name: str, amount: str, due: date) -> int:
    customer = factories.customer(name=name, industry_code="F51", region_code="310115")
    factories.invoice(
        customer_id=customer.id,
        amount=Money.of(amount, "CNY"),
        issue_date=due - timedelta(days=30),
        due_date=due,
    )
    return customer.id


def _book(session: Session, settings: Settings) -> Book:
    """华东重工 owes 10,000, 40 days overdue, downgraded B → D (PD 10 %); 江南电子 owes 4,000 not
    yet due, rated A (PD 0.5 %) for the first time yesterday; 西部商贸 owes 1,000, unrated.
    EL = 10,000 × 0.45 × 0.10 + 4,000 × 0.45 × 0.005 = 450 + 9. One high alert is open; 华东
    重工's review is 5 days overdue, 江南电子's due in 10 days."""
    today = business_today(settings.zone)
    downgraded = _owing("华东重工有限公司", "10000.00", today - timedelta(days=40))
    newly_rated = _owing("江南电子有限公司", "4000.00", today + timedelta(days=20))
    unrated = _owing("西部商贸有限公司", "1000.00", today + timedelta(days=20))
    _score(session, downgraded, "B", 0.01, today - timedelta(days=120))
    _score(session, downgraded, "D", 0.10, today - timedelta(days=1))
    _score(session, newly_rated, "A", 0.005, today - timedelta(days=1))
    exposure_service.refresh_exposures(session, SYSTEM, as_of=today)
    rule_set = monitoring_service.rule_sets.ensure_active(session, SYSTEM)
    raised = datetime.combine(today, time(9), settings.zone)
    session.add(
        Alert(
            customer_id=downgraded,
            rule_id="dpd_over_30",
            rule_set_version_id=rule_set.row_id,
            kind="threshold",
            severity=Severity.HIGH,
            title="Days past due over 30",
            values={},
            recommended_actions=[],
            raised_at=raised,
            due_at=raised + timedelta(days=2),
        )
    )
    for customer_id, due_in in ((downgraded, -5), (newly_rated, 10)):
        session.add(
            Review(
                customer_id=customer_id,
                due_on=today + timedelta(days=due_in),
                grade="D",
                cadence_months=6,
                checklist=[],
                scheduled_by="test",
            )
        )
    session.flush()
    return Book(downgraded, newly_rated, unrated)


def _chart(html: str) -> dict[str, Any]:
    found = re.search(r'id="dashboard-data">(.*?)</script>', html, re.DOTALL)
    assert found is not None, "the dashboard has no chart data"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _section(html: str, title_id: str) -> str:
    found = re.search(rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', html, re.DOTALL)
    assert found is not None, f"no section {title_id}"
    return found.group(0)


def _kpi(html: str, label: str) -> str:
    found = re.search(
        rf'<span class="kpi__label">{re.escape(label)}</span>(.*?)</li>', html, re.DOTALL
    )
    assert found is not None, f"no key figure {label}"
    return re.sub(r"\s+", " ", found.group(1))


def test_the_risk_manager_sees_every_figure_of_the_book_in_chinese(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    book = _book(session, settings)

    page = signed_in(personas.bob_manager).page("/")

    assert page.status_code == 200, page.text
    html = page.text
    assert 'title="¥15,000.00">¥1.5万<' in _kpi(html, "敞口总额")
    assert 'title="¥459.00">¥459.00<' in _kpi(html, "预期损失")
    assert ">2<" in _kpi(html, "已评级客户")
    assert "未评级1户" in _kpi(html, "已评级客户")
    assert "66.7%" in _kpi(html, "逾期占比")
    assert '<a href="/alerts">1</a>' in _kpi(html, "未关闭预警")
    assert '<a href="/reviews">1</a>' in _kpi(html, "待复审")
    assert "已逾期1项" in _kpi(html, "待复审")

    migration = _section(html, "migration-title")
    # One customer B → D (a downgrade, above the diagonal), one newly rated A.
    assert re.search(r'migration__cell--down migration__cell--filled">1<', migration)
    assert "新评级" in migration
    assert "上调0户，下调1户，不变0户。" in migration

    losses = _section(html, "losses-title")
    order = re.findall(r'href="/customers/(\d+)#exposure"', losses)
    assert order == [str(book.downgraded), str(book.newly_rated)]
    assert "¥450.00" in losses
    assert "10%" in losses

    reviews = _section(html, "reviews-title")
    assert reviews.index("华东重工有限公司") < reviews.index("江南电子有限公司")
    assert "复审逾期" in reviews

    chart = _chart(html)
    assert chart["locale"] == "ZH"
    assert chart["customers_by_grade"]["labels"] == ["A", "B", "C", "D", "E", "未评级"]
    assert chart["customers_by_grade"]["customers"] == [1, 0, 0, 1, 0, 1]
    assert chart["exposure_by_grade"]["labels"] == ["A", "D", "未评级"]
    assert chart["exposure_by_grade"]["expected_loss"] == [9.0, 450.0, 0.0]
    assert chart["ageing"]["amounts"] == [5000.0, 0.0, 10000.0, 0.0, 0.0]
    assert chart["industries"] == {"labels": ["批发和零售业"], "ead": [15000.0]}
    assert chart["regions"] == {"labels": ["上海市"], "ead": [15000.0]}
    assert chart["alerts"]["open"] == [0, 0, 1, 0]
    assert chart["alerts"]["raised"][2][-1] == 1
    assert "/static/js/dashboard.js" in html
    assert "/static/vendor/echarts.min.js" in html


def test_the_analyst_reads_the_dashboard_in_english(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    _book(session, settings)
    personas.alice_analyst.user.locale = "en"
    session.flush()

    html = signed_in(personas.alice_analyst).page("/").text

    assert "Portfolio dashboard" in html
    assert 'title="CN¥15,000.00">CN¥15K<' in _kpi(html, "Total exposure")
    assert "1 overdue" in _kpi(html, "Reviews due")
    assert "1 downgraded" in _section(html, "migration-title")
    assert _chart(html)["locale"] == "EN"
    assert _chart(html)["industries"]["labels"] == ["Wholesale and retail trade"]


def test_sales_get_shortcuts_not_the_dashboard_whose_figures_sum_the_whole_book(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    _book(session, settings)

    html = signed_in(personas.sam_sales).page("/").text

    assert 'id="dashboard"' not in html
    assert 'id="shortcuts-title"' in html
    assert 'aria-labelledby="migration-title"' not in html
    assert 'href="/reviews"' not in html


def test_a_role_without_exposure_keeps_its_shortcuts(
    signed_in: SignedIn,
    personas: Personas,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _book(session, settings)
    monkeypatch.setitem(
        ROLE_PERMISSIONS, Role.SALES, ROLE_PERMISSIONS[Role.SALES] - {Permission.EXPOSURE_READ}
    )

    html = signed_in(personas.sam_sales).page("/").text

    assert 'id="dashboard"' not in html
    assert 'id="shortcuts-title"' in html
    assert "/static/js/dashboard.js" not in html


def test_an_empty_book_says_exposure_is_not_computed_yet(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    factories.customer()

    html = signed_in(personas.ada_auditor).page("/").text

    assert "敞口尚未计算。" in html
    assert "1位客户尚无敞口数据" in html
    assert "暂无预期损失" in html
    assert "暂无可比较的评分" in html


def test_the_page_shows_the_kept_figures_and_refreshes_stale_ones_after_it(
    signed_in: SignedIn,
    personas: Personas,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    book = _book(session, settings)
    portfolio_service.refresh_figures(session, now=utcnow() - portfolio_service.MAX_AGE)
    factories.invoice(customer_id=book.unrated, amount=Money.of("5000.00", "CNY"))
    exposure_service.refresh_exposures(session, SYSTEM, customer_ids=[book.unrated])
    scheduled: list[Database] = []
    monkeypatch.setattr(home, "_refresh_in_background", scheduled.append)
    web = signed_in(personas.bob_manager)

    html = web.page("/").text

    assert 'title="¥15,000.00"' in _kpi(html, "敞口总额")  # as kept, not yet ¥20,000
    assert len(scheduled) == 1
    portfolio_service.refresh_figures(session)
    html = web.page("/").text
    assert 'title="¥20,000.00"' in _kpi(html, "敞口总额")
    assert len(scheduled) == 1  # fresh figures: nothing to refresh


def test_a_background_refresh_keeps_new_figures_in_its_own_transaction_one_at_a_time(
    tmp_path: Path,
) -> None:
    url = migrated_sqlite_url(tmp_path)
    database = open_database(url)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            factories.bind(session)
            try:
                _owing("华东重工有限公司", "10000.00", date(2026, 6, 1))
            finally:
                factories.bind(None)
            exposure_service.refresh_exposures(session, SYSTEM)
        with home._refreshing:
            home._refresh_in_background(database)  # another refresh runs: nothing happens
        with database.session_scope(actor=SYSTEM) as session:
            assert portfolio_service.latest_figures(session, SYSTEM) is None

        home._refresh_in_background(database)

        with database.session_scope(actor=SYSTEM) as session:
            figures = portfolio_service.latest_figures(session, SYSTEM)
            assert figures is not None
            assert figures.exposure.gross_exposure == 10_000_00
    finally:
        database.dispose()
