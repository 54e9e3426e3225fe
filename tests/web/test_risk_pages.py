"""Risk scores in the UI: the customer page's rating, factors, reasons and history chart, the
"Rescore now" button, the qualitative questionnaire, and grades in the customer list."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.kit.time import business_today
from fengkong.legal_events.kinds import LegalEventType
from fengkong.risk import service
from fengkong.risk.models import QualitativeQuestion, ScoreTrigger
from fengkong.scoring.grading import MasterScale
from fengkong.settings import Settings
from fengkong.web.routes.risk import Display
from tests import factories
from tests.integration.risk.conftest import AS_OF, scored_customer
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient

SYSTEM = Actor.system("test")
CHINESE = Display("zh_CN")
HTMX = {"HX-Request": "true", "HX-Target": "customer-results"}


@pytest.fixture
def analyst(signed_in: SignedIn, personas: Personas) -> WebClient:
    return signed_in(personas.alice_analyst)


@pytest.fixture
def manager(signed_in: SignedIn, personas: Personas) -> WebClient:
    return signed_in(personas.bob_manager)


def score(session: Session, customer: Customer, as_of: date = AS_OF) -> None:
    service.score_customers(
        session, SYSTEM, customer_ids=[customer.id], as_of=as_of, trigger=ScoreTrigger.MANUAL
    )


def risk_card(html: str) -> str:
    match = re.search(r'<section class="card risk-card".*?</section>', html, re.DOTALL)
    assert match is not None, "the customer page has no risk section"
    return match.group(0)


def questionnaire_card(html: str) -> str:
    match = re.search(r'<section class="card questionnaire-card".*?</section>', html, re.DOTALL)
    assert match is not None, "the page has no questionnaire section"
    return match.group(0)


def chart_data(html: str) -> dict[str, Any]:
    match = re.search(
        r'<script type="application/json" id="risk-history-data">(.*?)</script>', html, re.DOTALL
    )
    assert match is not None, "the page has no history chart data"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_a_scored_customer_shows_score_grade_pd_factors_and_reasons_in_chinese(
    analyst: WebClient, session: Session
) -> None:
    customer = scored_customer(late_days=40)
    score(session, customer)
    risk = service.get_risk(session, SYSTEM, customer_id=customer.id)

    card = risk_card(analyst.get(f"/customers/{customer.id}").text)

    assert "风险评级" in card
    assert f'<span class="risk-score">{CHINESE.score(risk.score)}</span>' in card
    assert f'grade-badge--{risk.grade.lower()}" aria-label="等级 {risk.grade}">' in card
    label = MasterScale.default().grade(risk.grade).label_zh
    assert f">{label}</span>" in card
    assert f'<dd class="risk-pd">{CHINESE.pd(risk.pd)}</dd>' in card
    assert "2026年6月30日" in card
    assert "fengkong-expert，第 1 版" in card
    assert "资产负债率" in card  # factor labels in Chinese
    assert "近12个月最大逾期天数" in card
    assert "40 天" in card  # days past due formatted in their unit
    assert "55%" in card  # debt-to-asset 5.5 m / 10 m as a percentage
    for reason in risk.reasons:
        assert reason.text_zh in card
    adverse = re.findall(r'risk-factor--adverse[^"]*" data-feature="(\w+)"', card)
    assert set(adverse) == {factor.feature for factor in risk.factors if factor.reason_zh}
    assert {reason.feature for reason in risk.reasons} <= set(
        re.findall(r'risk-factor--top" data-feature="(\w+)"', card)
    )


def test_the_risk_section_follows_the_page_language(analyst: WebClient, session: Session) -> None:
    customer = scored_customer(late_days=40)
    score(session, customer)
    risk = service.get_risk(session, SYSTEM, customer_id=customer.id)

    analyst.post("/locale", {"locale": "en", "next": "/"})
    card = risk_card(analyst.get(f"/customers/{customer.id}").text)

    assert "Risk rating" in card
    assert "Debt-to-asset ratio" in card
    assert "40 days" in card
    assert MasterScale.default().grade(risk.grade).label_en in card
    for reason in risk.reasons:
        assert reason.text_en in card
        assert reason.text_zh not in card


def test_the_history_chart_gets_every_score_and_a_band_per_grade(
    analyst: WebClient, session: Session
) -> None:
    customer = scored_customer(late_days=40)
    score(session, customer, AS_OF - timedelta(days=90))
    score(session, customer)
    history = service.risk_history(session, SYSTEM, customer_id=customer.id)
    assert len(history) == 2

    page = analyst.get(f"/customers/{customer.id}").text
    data = chart_data(page)

    assert data["points"] == [[entry.as_of.isoformat(), entry.score] for entry in reversed(history)]
    assert [detail["grade"] for detail in data["details"]] == [e.grade for e in reversed(history)]
    scale = MasterScale.default()
    assert data["bands"] == [
        {"grade": "A", "lower": 750.0, "upper": 1000.0},
        {"grade": "B", "lower": 650.0, "upper": 750.0},
        {"grade": "C", "lower": 550.0, "upper": 650.0},
        {"grade": "D", "lower": 450.0, "upper": 550.0},
        {"grade": "E", "lower": 0.0, "upper": 450.0},
    ]
    assert [grade.min_score for grade in scale.grades] == [750, 650, 550, 450, 0]
    assert data["text"]["pd"] == "违约概率"
    assert '<script src="/static/vendor/echarts.min.js" defer></script>' in page
    assert '<script src="/static/js/risk.js" defer></script>' in page
    assert page.count("<script>") == 0  # no inline scripts: a strict CSP stays possible


def test_a_knocked_out_customer_says_which_rule_set_the_grade(
    analyst: WebClient, session: Session
) -> None:
    customer = scored_customer()
    factories.legal_event(
        customer_id=customer.id,
        event_type=LegalEventType.DISHONEST_DEBTOR,
        occurred_on=AS_OF - timedelta(days=30),
    )
    score(session, customer)

    card = risk_card(analyst.get(f"/customers/{customer.id}").text)

    assert "“失信被执行人标志”触发否决规则，无论得分高低，等级定为 E。" in card
    assert "被列为失信被执行人，评级为 E" in card


def test_a_customer_never_scored_shows_that_it_is_not_scored_yet(
    analyst: WebClient, manager: WebClient
) -> None:
    customer = factories.customer()

    page = analyst.get(f"/customers/{customer.id}").text
    card = risk_card(page)

    assert "尚未评分" in card
    assert "risk-history-data" not in page
    assert "echarts.min.js" not in page
    assert "立即评分" not in card  # analysts do not score
    assert "立即评分" in risk_card(manager.get(f"/customers/{customer.id}").text)


def test_rescoring_needs_the_scoring_permission_and_the_csrf_token(
    analyst: WebClient, manager: WebClient, session: Session
) -> None:
    customer = scored_customer(late_days=10)
    url = f"/customers/{customer.id}/risk/rescore"
    assert "立即重新评分" not in analyst.get(f"/customers/{customer.id}").text

    assert analyst.post(url).status_code == 403
    assert manager.post_raw(url, {}).status_code == 403
    assert service.find_risk(session, customer.id) is None

    response = manager.post(url)

    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{customer.id}#risk"
    risk = service.find_risk(session, customer.id)
    assert risk is not None
    assert (risk.trigger, risk.computed_by) == (ScoreTrigger.MANUAL, "bob_manager")
    page = manager.get(f"/customers/{customer.id}").text
    assert "已重新评分（基准日 " in page
    assert f"等级 {risk.grade}" in page
    assert "立即重新评分" in risk_card(page)


def test_rescoring_unchanged_data_says_nothing_changed_and_adds_no_history(
    manager: WebClient, session: Session
) -> None:
    customer = scored_customer()
    url = f"/customers/{customer.id}/risk/rescore"
    manager.post(url)

    manager.post(url)

    assert len(service.risk_history(session, SYSTEM, customer_id=customer.id)) == 1
    assert "评分所用数据没有变化" in manager.get(f"/customers/{customer.id}").text


def test_rescoring_a_missing_customer_is_not_found(manager: WebClient) -> None:
    assert manager.post("/customers/999999/risk/rescore").status_code == 404


def answers(**fields: str) -> dict[str, str]:
    return {"assessed_on": "2026-06-01", **fields}


def test_the_questionnaire_records_answers_with_evidence_date_and_analyst(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer()
    page = analyst.get(f"/customers/{customer.id}").text
    assert "尚无回答" in questionnaire_card(page)
    assert 'name="answer_market_reputation" value="5"' in page
    assert "5 · 很差" in page  # the answers are worded, not only numbered

    response = analyst.post(
        f"/customers/{customer.id}/risk/assessment",
        answers(
            answer_market_reputation="2",
            evidence_market_reputation="  行业协会评价良好  ",
            answer_compliance_concern="4",
            evidence_compliance_concern="2026年5月环保处罚一次",
        ),
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{customer.id}#questionnaire"
    recorded = service.list_assessments(session, SYSTEM, customer_id=customer.id)
    assert sorted((a.question, a.answer, a.evidence) for a in recorded) == [
        (QualitativeQuestion.COMPLIANCE_CONCERN, 4, "2026年5月环保处罚一次"),
        (QualitativeQuestion.MARKET_REPUTATION, 2, "行业协会评价良好"),
    ]
    assert {(a.assessed_on, a.assessed_by) for a in recorded} == {
        (date(2026, 6, 1), "alice_analyst")
    }
    page = analyst.get(f"/customers/{customer.id}").text
    assert "已记录 2 项回答" in page
    card = questionnaire_card(page)
    assert "2 · 良好" in card
    assert "4 · 严重" in card
    assert "2026年6月1日" in card
    assert "alice_analyst" in card


def test_the_latest_answer_to_a_question_is_the_one_shown(
    analyst: WebClient, session: Session
) -> None:
    customer = factories.customer()
    url = f"/customers/{customer.id}/risk/assessment"
    analyst.post(url, answers(answer_operational_risk="1", evidence_operational_risk="产能充足"))
    analyst.post(
        url,
        {
            "assessed_on": "2026-06-20",
            "answer_operational_risk": "4",
            "evidence_operational_risk": "最大客户占收入七成",
        },
    )

    card = questionnaire_card(analyst.get(f"/customers/{customer.id}").text)

    assert "4 · 较高" in card
    assert "最大客户占收入七成" in card
    assert "产能充足" not in card


def test_a_questionnaire_with_problems_records_nothing_and_says_what_to_fix(
    analyst: WebClient, session: Session, settings: Settings
) -> None:
    customer = factories.customer()
    tomorrow = business_today(settings.zone) + timedelta(days=1)

    response = analyst.post(
        f"/customers/{customer.id}/risk/assessment",
        {
            "assessed_on": tomorrow.isoformat(),
            "answer_market_reputation": "7",
            "evidence_market_reputation": "传闻",
            "answer_management_quality": "3",
            "evidence_operational_risk": "供应商集中",
            "answer_compliance_concern": "2",
            "evidence_compliance_concern": "很长" * 5001,
        },
    )

    assert response.status_code == 400
    form = questionnaire_card(response.text)
    assert "回答未记录，请更正标出的字段。" in form
    assert 'id="answer-market_reputation-error">请从五个选项中选择一个。' in form
    assert 'id="evidence-management_quality-error">请说明回答的依据。' in form
    assert 'id="answer-operational_risk-error">请为此依据选择一个回答。' in form
    assert 'id="assessed-on-error">评估日期不能晚于今天。' in form
    assert 'id="evidence-compliance_concern-error">依据请勿超过 10,000 个字符。' in form
    # What was typed comes back, so nothing has to be entered twice.
    assert ">传闻</textarea>" in form
    assert ">供应商集中</textarea>" in form
    assert 'name="answer_management_quality" value="3" checked' in form
    assert f'value="{tomorrow.isoformat()}"' in form
    assert service.list_assessments(session, SYSTEM, customer_id=customer.id) == []


def test_an_empty_questionnaire_asks_for_at_least_one_answer(analyst: WebClient) -> None:
    customer = factories.customer()
    response = analyst.post(f"/customers/{customer.id}/risk/assessment", answers())
    assert response.status_code == 400
    assert "请至少回答一个问题。" in response.text


def test_a_questionnaire_without_a_valid_date_is_refused(analyst: WebClient) -> None:
    customer = factories.customer()
    response = analyst.post(
        f"/customers/{customer.id}/risk/assessment",
        {
            "assessed_on": "2026-13-40",
            "answer_market_reputation": "1",
            "evidence_market_reputation": "口碑好",
        },
    )
    assert response.status_code == 400
    assert "请填写回答的生效日期。" in response.text


def test_only_assessors_see_and_may_post_the_questionnaire(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    sales = signed_in(personas.sam_sales)
    page = sales.get(f"/customers/{customer.id}").text
    assert "定性评估" in page  # the answers are visible to readers
    assert "/risk/assessment" not in page

    refused = sales.post(
        f"/customers/{customer.id}/risk/assessment",
        answers(answer_market_reputation="1", evidence_market_reputation="口碑好"),
    )

    assert refused.status_code == 403
    assert service.list_assessments(session, SYSTEM, customer_id=customer.id) == []


def names_in(html: str) -> list[str]:
    return re.findall(r'class="record-link" href="/customers/\d+">([^<]+)</a>', html)


@pytest.fixture
def rated_book(session: Session) -> dict[str, Customer]:
    """Three scored customers (one a dishonest debtor, graded E) and one never scored."""
    book = {
        "prompt": scored_customer(),
        "late": scored_customer(late_days=60),
        "dishonest": scored_customer(),
        "unscored": factories.customer(),
    }
    for key, customer in book.items():
        customer.name = f"{key}-客户"
    factories.legal_event(
        customer_id=book["dishonest"].id,
        event_type=LegalEventType.DISHONEST_DEBTOR,
        occurred_on=AS_OF - timedelta(days=30),
    )
    session.flush()
    service.score_customers(
        session,
        SYSTEM,
        customer_ids=[book[key].id for key in ("prompt", "late", "dishonest")],
        as_of=AS_OF,
        trigger=ScoreTrigger.MANUAL,
    )
    return book


def test_the_list_shows_each_customers_grade_and_score(
    analyst: WebClient, session: Session, rated_book: dict[str, Customer]
) -> None:
    ratings = service.ratings_of(session, [c.id for c in rated_book.values()])
    html = analyst.get("/customers").text

    for key in ("prompt", "late", "dishonest"):
        rating = ratings[rated_book[key].id]
        row = re.search(rf"{key}-客户</a>.*?</tr>", html, re.DOTALL)
        assert row is not None
        assert f'grade-badge--{rating.grade.lower()}"' in row.group(0)
        assert f">{CHINESE.score(rating.score)}</td>" in row.group(0)
    unscored = re.search(r"unscored-客户</a>.*?</tr>", html, re.DOTALL)
    assert unscored is not None
    assert "未评分" in unscored.group(0)
    assert ratings[rated_book["dishonest"].id].grade == "E"


def test_the_list_filters_by_several_grades(
    analyst: WebClient, session: Session, rated_book: dict[str, Customer]
) -> None:
    ratings = service.ratings_of(session, [c.id for c in rated_book.values()])
    grade_of = {key: ratings[c.id].grade for key, c in rated_book.items() if c.id in ratings}
    others = sorted({grade_of["prompt"], grade_of["late"]} - {"E"})
    assert others, "the two customers who are not dishonest debtors should not be graded E"

    only_e = names_in(analyst.get("/customers?grade=E").text)
    assert only_e == ["dishonest-客户"]

    chosen = ["E", *others]
    html = analyst.get("/customers?" + "&".join(f"grade={g}" for g in chosen)).text
    expected = sorted(f"{key}-客户" for key, grade in grade_of.items() if grade in chosen)
    assert sorted(names_in(html)) == expected
    for grade in chosen:
        assert f'name="grade" value="{grade}" checked' in html

    partial = analyst.get("/customers?grade=E&grade=Z", headers=HTMX)
    assert partial.headers["HX-Push-Url"] == "/customers?grade=E"


def test_the_list_sorts_by_score_with_the_unscored_last(
    analyst: WebClient, session: Session, rated_book: dict[str, Customer]
) -> None:
    ratings = service.ratings_of(session, [c.id for c in rated_book.values()])
    by_score = sorted(
        (key for key, c in rated_book.items() if c.id in ratings),
        key=lambda key: (ratings[rated_book[key].id].score, rated_book[key].id),
    )

    lowest_first = names_in(analyst.get("/customers?sort=score").text)
    highest_first = names_in(analyst.get("/customers?sort=-score").text)

    assert lowest_first == [f"{key}-客户" for key in by_score] + ["unscored-客户"]
    assert highest_first[:3] == [f"{key}-客户" for key in reversed(by_score)]
    assert highest_first[-1] == "unscored-客户"
    headers = analyst.get("/customers").text
    assert 'href="/customers?sort=-score"' in headers  # a first click shows the safest first
    assert 'href="/customers?sort=grade"' in headers
