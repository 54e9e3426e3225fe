from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer
from fengkong.customers.status import CustomerStatus
from fengkong.kit.money import Money
from tests import factories
from tests.factories import CustomerFactory, make_uscc
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient

HTMX = {"HX-Request": "true", "HX-Target": "customer-results"}


def names_in(html: str) -> list[str]:
    """Customer names in the order the results table lists them."""
    return re.findall(r'class="record-link" href="/customers/\d+">([^<]+)</a>', html)


@pytest.fixture
def analyst(signed_in: SignedIn, personas: Personas) -> WebClient:
    return signed_in(personas.alice_analyst)


@pytest.fixture
def book(session: Session, personas: Personas) -> dict[str, Customer]:
    """Four customers differing in each filterable attribute."""
    return {
        "steel": factories.customer(
            name="上海宝钢贸易有限公司",
            name_en="Shanghai Baosteel Trading Co., Ltd.",
            uscc=make_uscc(101, "310000"),
            industry_code="F51",
            region_code="310000",
            status=CustomerStatus.ACTIVE,
            owner_id=personas.sam_sales.user.id,
        ),
        "chips": factories.customer(
            name="深圳芯片制造有限公司",
            name_en="Shenzhen Chip Manufacturing Co., Ltd.",
            uscc=make_uscc(102, "440300"),
            industry_code="C39",
            region_code="440300",
            status=CustomerStatus.ACTIVE,
        ),
        "farm": factories.customer(
            name="广州绿野农业合作社",
            name_en=None,
            uscc=make_uscc(103, "440100"),
            industry_code="A01",
            region_code="440100",
            status=CustomerStatus.DORMANT,
        ),
        "bank": factories.customer(
            name="北京远景金融服务有限公司",
            name_en="Beijing Vista Financial Services Co., Ltd.",
            uscc=make_uscc(104, "110000"),
            industry_code="J66",
            region_code="110000",
            status=CustomerStatus.PROSPECT,
        ),
    }


def test_the_list_shows_customers_with_names_of_industry_and_region(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    page = analyst.get("/customers")
    assert page.status_code == 200
    assert names_in(page.text) == sorted(customer.name for customer in book.values())
    assert "批发和零售业" in page.text
    assert "深圳市" in page.text
    assert "共 4 个客户" in page.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=%E8%8A%AF%E7%89%87", ["chips"]),  # 芯片
        ("q=baosteel", ["steel"]),
        ("q=91440", ["chips", "farm"]),
        ("status=dormant", ["farm"]),
        ("status=active", ["chips", "steel"]),
        ("industry=C", ["chips"]),
        ("region=440000", ["chips", "farm"]),
        ("region=440300", ["chips"]),
        ("status=active&region=440000", ["chips"]),
    ],
)
def test_search_and_filters_narrow_the_list(
    analyst: WebClient, book: dict[str, Customer], query: str, expected: list[str]
) -> None:
    page = analyst.get(f"/customers?{query}")
    assert names_in(page.text) == sorted(book[key].name for key in expected)


def test_filter_values_the_form_cannot_send_are_ignored(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    page = analyst.get("/customers?status=bogus&industry=ZZ&region=999999&sort=evil&page=-3")
    assert page.status_code == 200
    assert len(names_in(page.text)) == 4


def test_a_search_that_matches_nothing_says_so_and_offers_to_clear_it(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    page = analyst.get("/customers?q=nothing-like-this")
    assert "没有符合条件的客户" in page.text
    assert 'href="/customers">清除筛选' in page.text


def test_an_empty_book_shows_an_empty_state(analyst: WebClient) -> None:
    assert "暂无客户" in analyst.get("/customers").text


def test_columns_sort_the_list(analyst: WebClient, book: dict[str, Customer]) -> None:
    by_name_desc = names_in(analyst.get("/customers?sort=-name").text)
    assert by_name_desc == sorted((customer.name for customer in book.values()), reverse=True)
    by_uscc = names_in(analyst.get("/customers?sort=uscc").text)
    assert by_uscc == [book[key].name for key in ("bank", "steel", "farm", "chips")]
    page = analyst.get("/customers?sort=-name")
    assert 'aria-sort="descending"' in page.text
    assert 'class="sort-link" href="/customers" hx-get="/customers"' in page.text


def test_the_list_is_split_into_pages_that_keep_the_filters(
    analyst: WebClient, session: Session
) -> None:
    CustomerFactory.create_batch(30, status=CustomerStatus.ACTIVE)
    CustomerFactory.create_batch(2, status=CustomerStatus.DORMANT)
    first = analyst.get("/customers?status=active")
    assert len(names_in(first.text)) == 25
    assert "第 1–25 条，共 30 个客户" in first.text
    assert 'href="/customers?status=active&amp;page=2"' in first.text
    second = analyst.get("/customers?status=active&page=2")
    assert len(names_in(second.text)) == 5
    assert "第 26–30 条，共 30 个客户" in second.text
    assert set(names_in(first.text)).isdisjoint(names_in(second.text))
    bigger = analyst.get("/customers?status=active&page_size=50")
    assert len(names_in(bigger.text)) == 30


def test_a_page_past_the_end_shows_the_last_page(analyst: WebClient, session: Session) -> None:
    CustomerFactory.create_batch(27)
    page = analyst.get("/customers?page=9")
    assert len(names_in(page.text)) == 2
    assert 'aria-current="page">2<' in page.text


def test_htmx_gets_only_the_results_and_the_canonical_address(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    response = analyst.get(
        "/customers?q=&status=active&industry=&region=&page_size=25", headers=HTMX
    )
    assert response.status_code == 200
    assert "<html" not in response.text
    assert names_in(response.text) == sorted([book["chips"].name, book["steel"].name])
    assert response.headers["HX-Push-Url"] == "/customers?status=active"
    assert 'id="filter-sort" name="sort" value="name" hx-swap-oob="true"' in response.text
    assert "HX-Request" in response.headers["Vary"]


def test_a_history_restore_gets_the_whole_page(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    response = analyst.get("/customers", headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.text


def test_the_customer_page_shows_the_profile_in_the_page_language(
    analyst: WebClient, book: dict[str, Customer], session: Session
) -> None:
    steel = book["steel"]
    steel.registered_capital = Money.of("50000000", "CNY")
    steel.established_on = date(2003, 7, 15)
    steel.legal_representative = "李四"
    steel.address = "上海市浦东新区世纪大道100号"
    session.flush()
    page = analyst.get(f"/customers/{steel.id}")
    assert page.status_code == 200
    for shown in (
        steel.uscc,
        "上海宝钢贸易有限公司",
        "Shanghai Baosteel Trading Co., Ltd.",
        "批发和零售业 (F51)",
        "上海市 (310000)",
        "¥50,000,000.00",
        "2003年7月15日",
        "李四",
        "上海市浦东新区世纪大道100号",
        "正常",
        "sam_sales",
    ):
        assert shown in page.text, shown
    analyst.post("/locale", {"locale": "en", "next": "/"})
    english = analyst.get(f"/customers/{steel.id}").text
    for shown in ("Wholesale and retail trade (F51)", "CN¥50,000,000.00", "Jul 15, 2003", "Active"):
        assert shown in english, shown


def test_a_customer_without_optional_data_shows_dashes_not_blanks(
    analyst: WebClient, book: dict[str, Customer]
) -> None:
    farm = analyst.get(f"/customers/{book['farm'].id}").text
    assert "未分配" in farm
    assert "—" in farm


def test_names_are_escaped_not_run_as_html(analyst: WebClient, session: Session) -> None:
    hostile = factories.customer(name="<script>alert(1)</script>有限公司", name_en="<b>x</b>")
    for url in ("/customers", f"/customers/{hostile.id}"):
        page = analyst.get(url).text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;有限公司" in page
        assert "&lt;b&gt;x&lt;/b&gt;" in page


def test_a_missing_customer_gets_a_not_found_page(analyst: WebClient) -> None:
    response = analyst.get("/customers/987654")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "页面不存在" in response.text
    assert "no customer with id" not in response.text


def test_an_unknown_address_gets_the_not_found_page(analyst: WebClient) -> None:
    response = analyst.get("/customers/not-a-number")
    assert response.status_code == 404
    assert "页面不存在" in response.text
