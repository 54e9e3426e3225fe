"""The demo generator is pure: these tests check its rows without a database."""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pytest

from fengkong.customers.uscc import is_valid_uscc
from fengkong.demo.generator import (
    PROFILE_SHARES,
    SALES_BOOK_EVERY,
    TABLES,
    DemoData,
    Profile,
    TableRows,
    generate_demo,
)
from fengkong.reference.classifications import validate_industry_code, validate_region_code

AS_OF = date(2026, 6, 30)
CUSTOMERS = 300


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate_demo(customers=CUSTOMERS, seed=7, as_of=AS_OF)


def _as_of() -> np.datetime64:
    return np.datetime64(AS_OF, "D")


def _profile_of(demo: DemoData) -> dict[int, str]:
    profiles = demo.tables["demo_profiles"]
    return dict(zip(profiles.column("customer_id"), profiles.column("profile"), strict=True))


def _same(left: TableRows, right: TableRows) -> bool:
    return list(left.columns) == list(right.columns) and all(
        left.column(name) == right.column(name) for name in left.columns
    )


def test_the_same_inputs_give_identical_rows(demo: DemoData) -> None:
    again = generate_demo(customers=CUSTOMERS, seed=7, as_of=AS_OF)
    assert demo.counts() == again.counts()
    for name in TABLES:
        assert _same(demo.tables[name], again.tables[name]), name


def test_another_seed_gives_other_customers_and_history(demo: DemoData) -> None:
    other = generate_demo(customers=CUSTOMERS, seed=8, as_of=AS_OF)
    for name in ("customers", "invoices", "payments", "financial_statements", "demo_profiles"):
        assert not _same(demo.tables[name], other.tables[name]), name


def test_tables_come_parents_first(demo: DemoData) -> None:
    assert tuple(demo.tables) == TABLES
    assert TABLES.index("customers") < TABLES.index("invoices") < TABLES.index("payments")
    assert TABLES.index("payments") < TABLES.index("payment_allocations")


def test_every_uscc_is_valid_and_unique(demo: DemoData) -> None:
    codes = demo.tables["customers"].column("uscc")
    assert all(is_valid_uscc(code) for code in codes)
    assert len(set(codes)) == CUSTOMERS
    assert all(code.startswith("91") for code in codes)


def test_uscc_region_matches_the_customer_region(demo: DemoData) -> None:
    customers = demo.tables["customers"]
    for code, region in zip(customers.column("uscc"), customers.column("region_code"), strict=True):
        assert code[2:8] == region


def test_industry_and_region_codes_are_valid(demo: DemoData) -> None:
    customers = demo.tables["customers"]
    industries = customers.column("industry_code")
    assert all(validate_industry_code(code) == code for code in industries)
    assert all(validate_region_code(code) == code for code in customers.column("region_code"))
    assert len({code[0] for code in industries}) >= 8  # a spread of sections, not one trade


def test_names_look_like_chinese_companies_and_are_unique(demo: DemoData) -> None:
    customers = demo.tables["customers"]
    names = customers.column("name")
    assert len(set(names)) == CUSTOMERS
    assert all(name.endswith("有限公司") for name in names)
    english = [name for name in customers.column("name_en") if name is not None]
    assert len(english) > CUSTOMERS * 0.8
    assert all(name.endswith("Co., Ltd.") for name in english)
    assert any("（中国）" in name for name in names)  # some foreign-invested customers


def test_registered_capital_is_positive_and_in_cny_or_usd(demo: DemoData) -> None:
    customers = demo.tables["customers"]
    assert all(amount > 0 for amount in customers.column("registered_capital_minor"))
    assert set(customers.column("registered_capital_currency")) == {"CNY", "USD"}


def test_customers_are_established_before_their_history_starts(demo: DemoData) -> None:
    established = demo.tables["customers"].columns["established_on"]
    since = demo.tables["customers"].occurred_on
    assert (established < since).all()
    assert (since < np.datetime64("2023-07-01")).all()


def test_profile_shares_are_as_intended(demo: DemoData) -> None:
    shares = Counter(_profile_of(demo).values())
    for profile, share in PROFILE_SHARES.items():
        assert shares[profile.value] == pytest.approx(CUSTOMERS * share, abs=1)
    assert sum(shares.values()) == CUSTOMERS


def test_the_profile_appears_in_no_business_table(demo: DemoData) -> None:
    names = {profile.value for profile in Profile}
    for table, rows in demo.tables.items():
        if table == "demo_profiles":
            continue
        assert "profile" not in rows.columns
        for values in rows.columns.values():
            if values.dtype == object:
                assert not names & set(values.tolist()), table


def test_ids_start_at_the_given_offsets() -> None:
    first_ids = {name: 1000 * (k + 1) for k, name in enumerate(TABLES)}
    demo = generate_demo(customers=40, seed=1, as_of=AS_OF, first_ids=first_ids, owner_id=9)
    customers = demo.tables["customers"]
    assert customers.column("id") == list(range(1000, 1040))
    owners = customers.column("owner_id")
    assert owners[::SALES_BOOK_EVERY] == [9] * len(owners[::SALES_BOOK_EVERY])
    assert set(owners) - set(owners[::SALES_BOOK_EVERY]) == {None}
    for name, rows in demo.tables.items():
        if "id" in rows.columns and len(rows):
            assert rows.column("id") == list(range(first_ids[name], first_ids[name] + len(rows)))
    customer_ids = set(customers.column("id"))
    for name in ("invoices", "payments", "orders", "financial_statements", "demo_profiles"):
        assert set(demo.tables[name].column("customer_id")) <= customer_ids, name
    allocations = demo.tables["payment_allocations"]
    assert set(allocations.column("invoice_id")) <= set(demo.tables["invoices"].column("id"))
    assert set(allocations.column("payment_id")) == set(demo.tables["payments"].column("id"))


def test_balance_sheets_balance_and_parts_fit_their_totals(demo: DemoData) -> None:
    lines = demo.tables["financial_statements"].columns
    assets, liabilities = lines["total_assets_minor"], lines["total_liabilities_minor"]
    assert (assets == liabilities + lines["total_equity_minor"]).all()
    assert (lines["current_assets_minor"] <= assets).all()
    assert (lines["current_liabilities_minor"] <= liabilities).all()
    parts = lines["cash_minor"] + lines["accounts_receivable_minor"] + lines["inventory_minor"]
    assert (parts <= lines["current_assets_minor"]).all()
    assert (lines["revenue_minor"] > 0).all()
    assert (lines["interest_expense_minor"] >= 0).all()


def test_statements_are_quarterly_year_to_date_and_published_in_time(demo: DemoData) -> None:
    statements = demo.tables["financial_statements"].columns
    period_end = statements["period_end"]
    months = period_end.astype("datetime64[M]").astype(np.int64) % 12 + 1
    assert (statements["period_months"] == months).all()
    assert set(statements["period_months"].tolist()) == {3, 6, 9, 12}
    lag = (statements["published_on"] - period_end).astype(np.int64)
    assert lag.min() >= 20
    assert lag.max() <= 120
    assert statements["published_on"].max() <= _as_of()
    per_customer = Counter(statements["customer_id"].tolist())
    assert max(per_customer.values()) == 12  # three years of quarters


def test_year_to_date_revenue_grows_within_a_fiscal_year(demo: DemoData) -> None:
    statements = demo.tables["financial_statements"]
    by_period = {
        (customer, end): revenue
        for customer, end, revenue in zip(
            statements.column("customer_id"),
            statements.column("period_end"),
            statements.column("revenue_minor"),
            strict=True,
        )
    }
    half_years = [(c, end) for c, end in by_period if end.month == 6]
    comparable = [
        (c, end) for c, end in half_years if (c, end.replace(month=3, day=31)) in by_period
    ]
    assert comparable
    for customer, end in comparable:
        assert by_period[(customer, end)] > by_period[(customer, end.replace(month=3, day=31))]


def test_nothing_happens_after_the_as_of_date(demo: DemoData) -> None:
    for name, rows in demo.tables.items():
        assert rows.occurred_on.max() <= _as_of(), name
    assert demo.tables["payments"].columns["paid_on"].max() <= _as_of()
    assert demo.tables["invoices"].columns["issue_date"].max() <= _as_of()
    resolved = [day for day in demo.tables["legal_events"].column("resolved_on") if day]
    assert max(resolved) <= AS_OF


def test_outstanding_is_amount_less_allocations_and_never_negative(demo: DemoData) -> None:
    invoices = demo.tables["invoices"].columns
    allocations = demo.tables["payment_allocations"].columns
    first_id = int(invoices["id"][0])
    settled = np.zeros(len(invoices["id"]), dtype=np.int64)
    np.add.at(settled, allocations["invoice_id"] - first_id, allocations["amount_minor"])
    outstanding = invoices["outstanding_minor"]
    assert (outstanding == invoices["amount_minor"] - settled).all()
    assert (outstanding >= 0).all()
    assert (allocations["amount_minor"] > 0).all()
    paid = invoices["status"] == "paid"
    assert (outstanding[paid] == 0).all()
    assert (outstanding[~paid] > 0).all()
    assert 0.02 < (~paid).mean() < 0.5  # some receivables are open at the as-of date


def test_each_payment_is_the_sum_of_its_allocations(demo: DemoData) -> None:
    payments = demo.tables["payments"].columns
    allocations = demo.tables["payment_allocations"].columns
    first_id = int(payments["id"][0])
    allocated = np.zeros(len(payments["id"]), dtype=np.int64)
    np.add.at(allocated, allocations["payment_id"] - first_id, allocations["amount_minor"])
    assert (allocated == payments["amount_minor"]).all()


def test_invoices_are_due_on_their_terms_and_linked_to_orders(demo: DemoData) -> None:
    invoices = demo.tables["invoices"].columns
    terms = (invoices["due_date"] - invoices["issue_date"]).astype(np.int64)
    assert set(terms.tolist()) == {30, 60, 90}
    orders = demo.tables["orders"]
    order_status = dict(zip(orders.column("id"), orders.column("status"), strict=True))
    linked = [order for order in invoices["order_id"].tolist() if order is not None]
    assert len(linked) > len(invoices["id"]) / 2
    assert {order_status[order] for order in linked} == {"invoiced"}
    assert {"open", "cancelled"} <= set(order_status.values())


def test_related_parties_are_never_self_and_never_repeated(demo: DemoData) -> None:
    links = demo.tables["related_parties"]
    triples = list(
        zip(
            links.column("customer_id"),
            links.column("related_customer_id"),
            links.column("relation_type"),
            strict=True,
        )
    )
    assert triples
    assert all(customer != related for customer, related, _ in triples)
    assert len(set(triples)) == len(triples)
    kinds = {kind for _, _, kind in triples}
    assert kinds == {"parent", "subsidiary", "guarantor", "same_legal_representative"}


def test_credit_reports_are_unique_per_agency_and_day(demo: DemoData) -> None:
    reports = demo.tables["credit_reports"]
    keys = list(
        zip(
            reports.column("customer_id"),
            reports.column("agency"),
            reports.column("report_date"),
            strict=True,
        )
    )
    assert len(set(keys)) == len(keys)
    assert len(set(reports.column("agency"))) == 3


def test_sudden_defaults_are_rated_c_or_cc_after_their_default(demo: DemoData) -> None:
    profile = _profile_of(demo)
    reports = demo.tables["credit_reports"]
    latest: dict[int, str] = {}
    for customer, rating in zip(
        reports.column("customer_id"), reports.column("rating"), strict=True
    ):
        latest[customer] = rating
    defaulted = [latest[c] for c in latest if profile[c] == Profile.SUDDEN_DEFAULT]
    healthy = [latest[c] for c in latest if profile[c] == Profile.HEALTHY]
    assert sum(rating in ("CC", "C") for rating in defaulted) > 0.8 * len(defaulted)
    assert not any(rating in ("CC", "C") for rating in healthy)


def test_deteriorating_customers_borrow_more_and_earn_less_over_time(demo: DemoData) -> None:
    profile = _profile_of(demo)
    statements = demo.tables["financial_statements"].columns
    customer = statements["customer_id"]
    sliding = np.array([profile[c] == Profile.SLOWLY_DETERIORATING for c in customer.tolist()])
    debt_ratio = statements["total_liabilities_minor"] / statements["total_assets_minor"]
    margin = statements["net_profit_minor"] / statements["revenue_minor"]
    early = sliding & (statements["period_end"] < np.datetime64("2024-07-01"))
    late = sliding & (statements["period_end"] >= np.datetime64("2025-10-01"))
    assert debt_ratio[late].mean() > debt_ratio[early].mean() + 0.1
    assert margin[late].mean() < margin[early].mean() - 0.02


def test_legal_trouble_follows_the_profile(demo: DemoData) -> None:
    profile = _profile_of(demo)
    events = demo.tables["legal_events"]
    kinds = Counter(
        (profile[c], kind)
        for c, kind in zip(events.column("customer_id"), events.column("event_type"), strict=True)
    )
    healthy = sum(n for (p, _), n in kinds.items() if p == Profile.HEALTHY)
    defaulted = sum(n for (p, _), n in kinds.items() if p == Profile.SUDDEN_DEFAULT)
    assert defaulted > healthy
    assert kinds[(Profile.SUDDEN_DEFAULT, "lawsuit")] > 0
    assert kinds[(Profile.HEALTHY, "dishonest_debtor")] == 0
    occurred, resolved = events.column("occurred_on"), events.column("resolved_on")
    assert all(r is None or r >= o for o, r in zip(occurred, resolved, strict=True))


def test_a_demo_needs_at_least_one_customer() -> None:
    with pytest.raises(ValueError, match="at least one customer"):
        generate_demo(customers=0, seed=1, as_of=AS_OF)


def test_a_single_customer_demo_works() -> None:
    demo = generate_demo(customers=1, seed=3, as_of=AS_OF)
    assert demo.counts()["customers"] == 1
    assert demo.counts()["demo_profiles"] == 1
