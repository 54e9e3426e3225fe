"""The customer list's new filters and Excel export, and the customer page's own sections (related
parties, ratios, payment behaviour, alerts and reviews, the interaction log) in both languages."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.access import regions
from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer, CustomerInteraction
from fengkong.customers.status import RelationType
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus
from fengkong.settings import Settings
from tests import factories
from tests.integration.customers.conftest import raise_alert, use_rules
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient

HTMX = {"HX-Request": "true", "HX-Target": "customer-results"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def names_in(html: str) -> list[str]:
    return re.findall(r'class="record-link" href="/customers/\d+">([^<]+)</a>', html)


def chart_data(html: str, element_id: str) -> dict[str, object]:
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert match is not None, element_id
    data: dict[str, object] = json.loads(match.group(1))
    return data


def sheet_rows(content: bytes) -> list[list[object]]:
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0)
    return [list(row) for row in sheet.to_python()]


def in_english(web: WebClient) -> WebClient:
    web.post("/locale", {"locale": "en", "next": "/"})
    return web


@pytest.fixture
def book(session: Session, personas: Personas) -> dict[str, Customer]:
    """Three customers in one region: owners, grades and open alerts differ."""
    use_rules(session)
    customers = {
        "safe": factories.customer(
            name="昆明安稳贸易有限公司", region_code="530100", owner_id=personas.sam_sales.user.id
        ),
        "risky": factories.customer(name="昆明高危建材有限公司", region_code="530100"),
        "plain": factories.customer(name="昆明普通物流有限公司", region_code="530100"),
    }
    factories.rate_customer(session, customers["safe"].id, grade="A", as_of=date(2026, 6, 30))
    factories.rate_customer(session, customers["risky"].id, grade="E", as_of=date(2026, 6, 30))
    raise_alert(session, customers["risky"], Severity.CRITICAL, AlertStatus.NEW)
    return customers


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("owner=me", ["safe"]),
        ("alerts=critical", ["risky"]),
        ("alerts=none", ["plain", "safe"]),
        ("risk_level=very_high", ["risky"]),
        ("risk_level=low&risk_level=very_high&sort=-grade", ["risky", "safe"]),
    ],
)
def test_the_new_filters_narrow_the_list(
    signed_in: SignedIn,
    personas: Personas,
    session: Session,
    book: dict[str, Customer],
    query: str,
    expected: list[str],
) -> None:
    # Sam sells in Kunming for this test, so the region's customers are in his scope.
    regions.assign_region(session, Actor.system("test"), username="sam_sales", region_code="53")
    page = signed_in(personas.sam_sales).get(f"/customers?region=530000&{query}")
    assert page.status_code == 200
    shown = names_in(page.text)
    wanted = [book[key].name for key in expected]
    assert shown == wanted if "sort=" in query else sorted(shown) == sorted(wanted)


def test_filters_stay_in_the_address_and_bogus_ones_are_dropped(
    signed_in: SignedIn, personas: Personas, book: dict[str, Customer]
) -> None:
    web = signed_in(personas.alice_analyst)
    response = web.get(
        "/customers?region=530000&alerts=critical&risk_level=very_high&owner=&page_size=25",
        headers=HTMX,
    )
    assert response.headers["HX-Push-Url"] == (
        "/customers?region=530000&risk_level=very_high&alerts=critical"
    )
    assert "badge--severity-critical" in response.text
    assert (
        'href="/customers/export.xlsx?region=530000&amp;risk_level=very_high&amp;alerts=critical"'
        in (response.text)
    )
    bogus = web.get("/customers?region=530000&alerts=panic&risk_level=doom&owner=ghost")
    assert len(names_in(bogus.text)) == 3


def test_the_export_downloads_every_row_of_the_filtered_sorted_view(
    signed_in: SignedIn, personas: Personas, book: dict[str, Customer], session: Session
) -> None:
    for index in range(30):
        factories.customer(name=f"昆明批量客户{index:02d}有限公司", region_code="530100")
    web = signed_in(personas.bob_manager)
    listed = [
        name
        for number in (1, 2)
        for name in names_in(web.get(f"/customers?region=530000&sort=-name&page={number}").text)
    ]
    response = web.get("/customers/export.xlsx?region=530000&sort=-name&page=2")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    rows = sheet_rows(response.content)
    assert rows[0][:5] == [
        "名称",
        "英文名称",
        "统一社会信用代码",
        "法定代表人",
        "法定代表人身份证号",
    ]
    assert "风险等级" in rows[0]
    assert [row[0] for row in rows[1:]] == listed
    risky = next(row for row in rows if row[0] == book["risky"].name)
    header = rows[0]
    assert risky[header.index("等级")] == "E"
    assert risky[header.index("风险等级")] == "很高风险"
    assert risky[header.index("未关闭预警")] == 1


def test_the_export_defuses_cells_that_a_spreadsheet_would_run_as_formulas(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    hostile = {
        '=HYPERLINK("http://evil.example","点我")': '\'=HYPERLINK("http://evil.example","点我")',
        "+86 合肥贸易有限公司": "'+86 合肥贸易有限公司",
        "-合肥减号有限公司": "'-合肥减号有限公司",
        "@SUM(1+1)合肥": "'@SUM(1+1)合肥",
    }
    for name in hostile:
        factories.customer(name=name, name_en="=1+1", region_code="340100")
    web = in_english(signed_in(personas.alice_analyst))
    response = web.get("/customers/export.xlsx?region=340000")
    rows = sheet_rows(response.content)
    assert rows[0][:3] == ["Name", "English name", "USCC"]
    assert sorted(str(row[0]) for row in rows[1:]) == sorted(hostile.values())
    assert {row[1] for row in rows[1:]} == {"'=1+1"}
    # Written as text: the sheet holds no formula at all.
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        assert "<f>" not in workbook.read("xl/worksheets/sheet1.xml").decode()


@pytest.fixture
def customer_360(session: Session, personas: Personas, settings: Settings) -> Customer:
    """A customer with a group, statements, a late payer's ledger, an alert and a review due."""
    use_rules(session)
    customer = factories.customer(name="杭州全景制造有限公司")
    parent = factories.customer(name="杭州全景控股集团有限公司")
    guaranteed = factories.customer(name="杭州全景物流有限公司")
    factories.related_party(
        customer_id=customer.id,
        related_customer_id=parent.id,
        relation_type=RelationType.PARENT,
        ownership_share=0.6,
    )
    factories.related_party(
        customer_id=guaranteed.id,
        related_customer_id=customer.id,
        relation_type=RelationType.GUARANTOR,
    )
    factories.rate_customer(session, parent.id, grade="B", as_of=date(2026, 6, 30))
    for year, liabilities in ((2024, 6_000_000_00), (2025, 5_000_000_00)):
        factories.financial_statement(
            customer_id=customer.id,
            period_end=date(year, 12, 31),
            published_on=date(year + 1, 4, 30),
            total_liabilities_minor=liabilities,
        )
    today = business_today(settings.zone)
    factories.invoice(
        customer_id=customer.id,
        issue_date=today - timedelta(days=70),
        due_date=today - timedelta(days=40),
        amount=Money.of("8000.00", "CNY"),
    )
    raise_alert(session, customer, Severity.HIGH, AlertStatus.NEW)
    return customer


def test_the_customer_page_shows_its_360_sections_in_chinese(
    signed_in: SignedIn, personas: Personas, customer_360: Customer
) -> None:
    page = signed_in(personas.bob_manager).get(f"/customers/{customer_360.id}")
    assert page.status_code == 200
    html = page.text
    for shown in (
        "信用代码未核实",  # the USCC verification, up front
        "关联方",
        "杭州全景控股集团有限公司",
        "母公司",
        "由本客户担保",
        "60%",
        "财务比率",
        "资产负债率",
        "付款表现",
        "加权逾期天数",
        "预警与复审",
        "1 条未关闭预警",
        "往来记录",
        "保存记录",
    ):
        assert shown in html, shown
    graph = chart_data(html, "related-parties-data")
    nodes = {node["name"]: node["grade"] for node in graph["nodes"]}  # type: ignore[attr-defined]
    assert nodes["杭州全景控股集团有限公司"] == "B"
    assert len(graph["links"]) == 2  # type: ignore[arg-type]
    ratios = chart_data(html, "ratios-data")
    debt = next(s for s in ratios["series"] if s["unit"] == "percent")  # type: ignore[attr-defined]
    assert debt["values"] == [60.0, 50.0]
    payments = chart_data(html, "payments-data")
    assert payments["worst"][-1] == 40  # type: ignore[index]
    assert '<script src="/static/js/customer.js" defer></script>' in html
    # No inline script: every script is a file or JSON data.
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag


def test_the_customer_page_speaks_english_too(
    signed_in: SignedIn, personas: Personas, customer_360: Customer
) -> None:
    web = in_english(signed_in(personas.alice_analyst))
    html = web.get(f"/customers/{customer_360.id}").text
    for shown in (
        "USCC unverified",
        "Related parties",
        "Parent company",
        "Guaranteed by this customer",
        "Financial ratios",
        "Debt-to-asset ratio",
        "Payment behaviour",
        "Alerts and reviews",
        "1 open alert",
        "Interactions",
        "Log interaction",
    ):
        assert shown in html, shown
    assert chart_data(html, "payments-data")["locale"] == "EN"


def test_the_alert_count_is_every_open_alert_though_ten_are_listed(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    use_rules(session)
    customer = factories.customer()
    for _ in range(12):
        raise_alert(session, customer, Severity.MEDIUM, AlertStatus.NEW)
    html = signed_in(personas.alice_analyst).get(f"/customers/{customer.id}").text
    assert "12 条未关闭预警" in html
    assert html.count("data-alert=") == 10


def test_sections_follow_permissions(
    signed_in: SignedIn, personas: Personas, customer_360: Customer
) -> None:
    sales = signed_in(personas.sam_sales).get(f"/customers/{customer_360.id}").text
    assert 'id="ratios"' not in sales  # sales may not read financial statements
    assert 'id="payments"' in sales
    assert 'id="interaction-summary"' in sales
    auditor = signed_in(personas.ada_auditor).get(f"/customers/{customer_360.id}").text
    assert 'id="ratios"' in auditor
    assert 'id="interaction-summary"' not in auditor  # auditors read the log, never write it


def _form(when: str = "", summary: str = "电话沟通回款安排，客户同意下周付款。") -> dict[str, str]:
    moment = when or (datetime.now(UTC) - timedelta(hours=2)).astimezone().strftime(
        "%Y-%m-%dT%H:%M"
    )
    return {"kind": "call", "occurred_at": moment, "summary": summary, "follow_up_on": ""}


def test_an_interaction_is_logged_through_the_form_and_listed_first(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    web = signed_in(personas.sam_sales)
    response = web.post(f"/customers/{customer.id}/interactions", _form())
    assert response.status_code == 303
    assert response.headers["location"] == f"/customers/{customer.id}#interactions"
    page = web.page(f"/customers/{customer.id}").text
    assert "往来记录已保存。" in page
    assert "电话沟通回款安排，客户同意下周付款。" in page
    assert "记录人：sam_sales" in page
    logged = session.scalars(
        select(CustomerInteraction).where(CustomerInteraction.customer_id == customer.id)
    ).one()
    assert logged.author_id == personas.sam_sales.user.id


def test_the_form_needs_its_csrf_token(signed_in: SignedIn, personas: Personas) -> None:
    customer = factories.customer()
    web = signed_in(personas.sam_sales)
    response = web.post_raw(f"/customers/{customer.id}/interactions", _form())
    assert response.status_code == 403


def test_htmx_gets_the_log_back_with_the_entry_or_the_problems_marked(
    signed_in: SignedIn, personas: Personas
) -> None:
    customer = factories.customer()
    web = signed_in(personas.alice_analyst)
    token = web.csrf_token()
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    url = f"/customers/{customer.id}/interactions"
    saved = web.http.post(url, data=_form(summary="拜访仓库"), headers=headers)
    assert saved.status_code == 200
    assert "<html" not in saved.text
    assert 'id="interactions"' in saved.text
    assert "拜访仓库" in saved.text
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = web.http.post(
        url, data={**_form(when=tomorrow, summary="  "), "kind": "fax"}, headers=headers
    )
    assert refused.status_code == 200
    for message in (
        "请选择电话、拜访、邮件或备注。",
        "往来时间不能晚于当前时间。",
        "请填写沟通内容。",
    ):
        assert message in refused.text, message
    assert 'aria-invalid="true"' in refused.text


def test_a_plain_post_with_problems_gets_the_page_back_with_them(
    signed_in: SignedIn, personas: Personas
) -> None:
    customer = factories.customer()
    web = in_english(signed_in(personas.alice_analyst))
    form = {**_form(), "follow_up_on": "2001-01-01"}
    response = web.post(f"/customers/{customer.id}/interactions", form)
    assert response.status_code == 400
    assert "The follow-up cannot be before the interaction." in response.text
    assert "The interaction was not logged. Correct the marked fields." in response.text
    assert 'value="2001-01-01"' in response.text


def test_auditors_may_not_log_interactions(signed_in: SignedIn, personas: Personas) -> None:
    customer = factories.customer()
    response = signed_in(personas.ada_auditor).post(
        f"/customers/{customer.id}/interactions", _form()
    )
    assert response.status_code == 403


def test_the_log_is_paged_newest_first_for_htmx_and_for_plain_links(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = factories.customer()
    now = datetime.now(UTC)
    for index in range(12):
        session.add(
            CustomerInteraction(
                customer_id=customer.id,
                kind="note",
                occurred_at=now - timedelta(hours=index + 1),
                summary=f"第{index:02d}条",
                author="test",
            )
        )
    session.flush()
    web = signed_in(personas.alice_analyst)
    first = web.get(f"/customers/{customer.id}").text
    assert "第00条" in first
    assert "第11条" not in first
    older = web.get(f"/customers/{customer.id}/interactions?page=2", headers={"HX-Request": "true"})
    assert "<html" not in older.text
    assert "第11条" in older.text
    assert "第00条" not in older.text
    plain = web.get(f"/customers/{customer.id}/interactions?page=2")
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/customers/{customer.id}?log_page=2#interactions"
