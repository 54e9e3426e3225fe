"""Header mapping and the column-wise checks, without a database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengkong.customers.uscc import check_digit
from fengkong.financials.checks import balances
from fengkong.imports import validation
from fengkong.imports.exports import rejects_headers
from fengkong.imports.kinds import KINDS, ImportKind, Kind
from fengkong.imports.reading import ROW_COLUMN
from fengkong.imports.validation import ROW_NO, VALID, Context, HeaderMapping
from fengkong.kit.money import Money
from tests.integration.imports.files import uscc

CONTEXT = Context(today=date(2026, 11, 26), default_currency="CNY")
INVOICES = KINDS[ImportKind.INVOICES]
CUSTOMER = uscc(1)


def _mapping(kind: Kind, header: list[str]) -> HeaderMapping:
    return validation.map_header(kind, header, rejects_headers())


def _check(
    kind: Kind, header: list[str], rows: list[list[str | None]]
) -> tuple[pl.DataFrame, list[tuple[int, str, str]]]:
    """Staged rows, and problems as (row, column, code)."""
    mapping = _mapping(kind, header)
    assert mapping.errors == ()
    names = mapping.names
    batch = pl.DataFrame(
        {name: [row[i] for row in rows] for i, name in enumerate(names)},
        schema=dict.fromkeys(names, pl.String),
    ).with_columns(pl.Series(ROW_COLUMN, range(2, len(rows) + 2), dtype=pl.Int64))
    checked = validation.check_batch(mapping, batch, CONTEXT)
    return checked.staged, [
        (row, column, code) for row, column, _value, code, _detail in checked.errors.iter_rows()
    ]


def _invoice(**cells: str | None) -> list[str | None]:
    row: dict[str, str | None] = {
        "invoice_number": "INV-1",
        "customer_uscc": CUSTOMER,
        "issue_date": "2026-01-05",
        "due_date": "2026-02-04",
        "amount": "1000.00",
        "currency": "CNY",
    }
    row.update(cells)
    return list(row.values())


INVOICE_HEADER = ["invoice_number", "customer_uscc", "issue_date", "due_date", "amount", "currency"]


def _invoice_problems(**cells: str | None) -> list[tuple[str, str]]:
    _, problems = _check(INVOICES, INVOICE_HEADER, [_invoice(**cells)])
    return [(column, code) for _row, column, code in problems]


def _staged_invoice(**cells: str | None) -> dict[str, object]:
    staged, problems = _check(INVOICES, INVOICE_HEADER, [_invoice(**cells)])
    assert problems == []
    return staged.row(0, named=True)


# The header -----------------------------------------------------------------------------------


def test_headers_may_be_english_chinese_or_an_alias_in_any_case_or_width() -> None:
    header = [
        "Invoice Number",
        "统一社会信用代码",
        "开票日期",
        "DUE-DATE",
        "价税合计",
        "ｃｕｒｒｅｎｃｙ",
    ]
    mapping = _mapping(INVOICES, header)
    assert mapping.errors == ()
    assert mapping.names == INVOICE_HEADER
    assert mapping.header("amount") == "价税合计"


def test_unknown_missing_and_doubled_columns_are_all_reported_on_row_one() -> None:
    mapping = _mapping(INVOICES, ["发票号", "invoice_number", "开票日期", "colour", "金额"])
    assert [(error.row, error.code, error.value) for error in mapping.errors] == [
        (1, "duplicate_column", "invoice_number"),
        (1, "unknown_column", "colour"),
        (1, "missing_column", None),
        (1, "missing_column", None),
    ]
    unknown = mapping.errors[1]
    assert "invoice_number (发票号)" in unknown.detail, "the message lists the accepted columns"
    assert [error.column for error in mapping.errors[2:]] == [
        "customer_uscc (统一社会信用代码)",
        "due_date (到期日)",
    ]


def test_the_columns_our_rejects_file_adds_are_skipped_on_the_way_back_in() -> None:
    mapping = _mapping(INVOICES, [*INVOICE_HEADER, "文件行号", "拒绝原因"])
    assert mapping.errors == ()
    mapping = _mapping(INVOICES, [*INVOICE_HEADER, "row in file", "reason rejected"])
    assert mapping.errors == ()


# Cells ----------------------------------------------------------------------------------------


def test_a_valid_row_is_staged_with_typed_values() -> None:
    assert _staged_invoice() == {
        ROW_NO: 2,
        VALID: True,
        "invoice_number": "INV-1",
        "customer_uscc": CUSTOMER,
        "issue_date": date(2026, 1, 5),
        "due_date": date(2026, 2, 4),
        "amount_minor": 100000,
        "currency": "CNY",
    }


@pytest.mark.parametrize(
    ("text", "minor", "currency"),
    [
        ("1000", 100000, "CNY"),
        ("1,234.5", 123450, "CNY"),
        ("¥ 99.90", 9990, "CNY"),
        ("0.1", 10, "CNY"),
        (".5", 50, "CNY"),
        ("+7.00", 700, "CNY"),
        ("1500", 1500, "JPY"),
        ("1.234", 1234, "KWD"),
        ("12.50000", 1250, "USD"),
    ],
)
def test_amounts_become_exact_minor_units_of_their_currency(
    text: str, minor: int, currency: str
) -> None:
    staged = _staged_invoice(amount=text, currency=currency)
    assert (staged["amount_minor"], staged["currency"]) == (minor, currency)


@pytest.mark.parametrize(
    ("amount", "currency", "problem"),
    [
        ("12.345", "CNY", "decimals"),
        ("0.5", "JPY", "decimals"),
        ("1e3", "CNY", "amount"),
        ("abc", "CNY", "amount"),
        ("1.2.3", "CNY", "amount"),
        ("-", "CNY", "amount"),
        ("0", "CNY", "not_positive"),
        ("-10", "CNY", "not_positive"),
        ("123456789012345", "CNY", "too_large"),
        ("=SUM(A1:A3)", "CNY", "formula"),
        (None, "CNY", "required"),
    ],
)
def test_amounts_that_are_not_exact_positive_money_are_refused(
    amount: str | None, currency: str, problem: str
) -> None:
    assert _invoice_problems(amount=amount, currency=currency) == [("amount", problem)]


def test_an_empty_currency_is_the_configured_default_and_an_unknown_one_an_error() -> None:
    assert _staged_invoice(currency="")["currency"] == "CNY"
    assert _staged_invoice(currency=" usd ")["currency"] == "USD"
    assert _invoice_problems(currency="RMB") == [("currency", "currency")]


def test_without_a_currency_column_amounts_are_in_the_default_currency() -> None:
    header = [name for name in INVOICE_HEADER if name != "currency"]
    staged, problems = _check(INVOICES, header, [_invoice()[:5]])
    assert problems == []
    assert staged.row(0, named=True)["currency"] == "CNY"


@pytest.mark.parametrize(
    "text",
    ["2026-01-05", "2026/1/5", "2026.01.05", "2026年1月5日", "20260105", "2026-01-05 00:00:00"],
)
def test_dates_are_read_as_people_type_them(text: str) -> None:
    assert _staged_invoice(issue_date=text)["issue_date"] == date(2026, 1, 5)


@pytest.mark.parametrize(
    "text", ["2026-02-30", "05/01/2026", "yesterday", "1899-12-31", "2026-13-01"]
)
def test_impossible_dates_are_refused(text: str) -> None:
    assert ("issue_date", "date") in _invoice_problems(issue_date=text)


def test_a_due_date_before_the_issue_date_is_refused_on_the_due_date() -> None:
    _, problems = _check(INVOICES, INVOICE_HEADER, [_invoice(due_date="2026-01-04")])
    assert problems == [(2, "due_date", "due_before_issue")]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("91440300MA0000001", "uscc_format"),
        ("91440300MA00000I1X", "uscc_format"),
        ("not a code", "uscc_format"),
        (CUSTOMER[:-1] + ("0" if CUSTOMER[-1] != "0" else "1"), "uscc_check_digit"),
    ],
)
def test_a_uscc_needs_its_shape_and_its_check_digit(text: str, code: str) -> None:
    assert _invoice_problems(customer_uscc=text) == [("customer_uscc", code)]


def test_a_uscc_is_read_without_spaces_hyphens_or_case() -> None:
    spaced = f" {CUSTOMER[:6]}-{CUSTOMER[6:]} ".lower()
    assert _staged_invoice(customer_uscc=spaced)["customer_uscc"] == CUSTOMER


def test_a_uscc_whose_registering_authority_is_a_letter_is_valid() -> None:
    body = "N2440300MA1234567"
    assert _staged_invoice(customer_uscc=body + check_digit(body))[
        "customer_uscc"
    ] == body + check_digit(body)


@given(st.text(alphabet=validation.USCC_ALPHABET, min_size=17, max_size=17))
@settings(max_examples=200, deadline=None)
def test_the_column_wise_check_digit_is_the_customers_areas(first_17: str) -> None:
    computed = pl.select(validation.uscc_check_digits(pl.lit(first_17))).item()
    assert computed == check_digit(first_17)


def test_text_longer_than_its_column_is_refused() -> None:
    assert _invoice_problems(invoice_number="X" * 65) == [("invoice_number", "too_long")]


def test_a_cell_starting_with_equals_is_a_formula_and_refused() -> None:
    assert _invoice_problems(invoice_number='=HYPERLINK("http://x")') == [
        ("invoice_number", "formula")
    ]


def test_the_apostrophe_our_exports_add_before_a_formula_like_value_is_dropped() -> None:
    assert _staged_invoice(invoice_number="'-INV-1")["invoice_number"] == "-INV-1"
    assert _invoice_problems(invoice_number="'=1+1") == [("invoice_number", "formula")]


def test_rows_with_nothing_in_them_are_not_records() -> None:
    staged, problems = _check(
        INVOICES, INVOICE_HEADER, [_invoice(), [None, " ", None, "", None, None]]
    )
    assert problems == []
    assert staged.height == 1


def test_a_value_under_a_column_without_a_name_is_refused() -> None:
    mapping = _mapping(INVOICES, [*INVOICE_HEADER, ""])
    batch = pl.DataFrame(
        [[*_invoice(), "stray"]], schema=dict.fromkeys(mapping.names, pl.String), orient="row"
    ).with_columns(pl.lit(2, pl.Int64).alias(ROW_COLUMN))
    checked = validation.check_batch(mapping, batch, CONTEXT)
    assert checked.errors.select("column", "code", "detail").row(0) == (
        "__unnamed_6",
        "unnamed_column",
        "G",
    )
    assert mapping.header("__unnamed_6") == "G"


def test_every_problem_of_a_row_is_reported_and_the_row_is_not_valid() -> None:
    staged, problems = _check(
        INVOICES,
        INVOICE_HEADER,
        [
            _invoice(),
            _invoice(invoice_number="INV-2", issue_date="soon", amount="-1", currency="XYZ"),
        ],
    )
    assert problems == [
        (3, "issue_date", "date"),
        (3, "amount", "not_positive"),
        (3, "currency", "currency"),
    ]
    assert staged.get_column(VALID).to_list() == [True, False]


def test_duplicates_in_a_file_point_at_the_first_row() -> None:
    keys = pl.DataFrame(
        {ROW_NO: [2, 3, 4, 5], "invoice_number": ["A", "B", "A", "A"]},
    )
    duplicates = validation.duplicate_errors(INVOICES, keys)
    assert duplicates.select("row", "column", "value", "code", "detail").rows() == [
        (4, "invoice_number", "A", "duplicate_row", "2"),
        (5, "invoice_number", "A", "duplicate_row", "2"),
    ]


# Other kinds' columns -------------------------------------------------------------------------

STATEMENTS = KINDS[ImportKind.FINANCIAL_STATEMENTS]
STATEMENT_HEADER = [
    "统一社会信用代码",
    "报告期",
    "资产总计",
    "负债合计",
    "所有者权益合计",
    "营业收入",
]


def _statement(assets: str, liabilities: str, equity: str) -> list[str | None]:
    return [CUSTOMER, "2025-12-31", assets, liabilities, equity, "100"]


def test_a_statement_balances_within_half_a_percent() -> None:
    staged, problems = _check(
        STATEMENTS,
        STATEMENT_HEADER,
        [_statement("1000.00", "600.00", "395.00"), _statement("1000.00", "600.00", "394.99")],
    )
    assert problems == [(3, "total_assets", "unbalanced")]
    assert staged.row(0, named=True)["period_months"] == 12, "a year unless said otherwise"


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=-(10**12), max_value=10**12),
)
@settings(max_examples=300, deadline=None)
def test_the_column_wise_balance_check_agrees_with_the_financials_area(
    assets: int, liabilities: int, equity: int
) -> None:
    def text(minor: int) -> str:
        return str(Decimal(minor).scaleb(-2))

    _, problems = _check(
        STATEMENTS,
        ["customer_uscc", "period_end", "total_assets", "total_liabilities", "total_equity"],
        [[CUSTOMER, "2025-12-31", text(assets), text(liabilities), text(equity)]],
    )
    unbalanced = ("total_assets", "unbalanced") in [(column, code) for _, column, code in problems]
    negative = [(column, code) for _, column, code in problems if code == "negative"]
    if not negative:
        assert unbalanced is not balances(assets, liabilities, equity)


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999999.99"), places=2))
@settings(max_examples=200, deadline=None)
def test_amounts_read_as_exactly_as_money_does(amount: Decimal) -> None:
    staged = _staged_invoice(amount=f"{amount:,}")
    assert staged["amount_minor"] == Money.of(amount, "CNY").minor_units


def test_statement_lines_that_cannot_be_negative_are_refused_and_others_may_be() -> None:
    header = ["customer_uscc", "period_end", "inventory", "net_profit"]
    _, problems = _check(STATEMENTS, header, [[CUSTOMER, "2025-12-31", "-1", "-500"]])
    assert problems == [(2, "inventory", "negative")]


def test_a_statement_without_any_amount_is_refused() -> None:
    header = ["customer_uscc", "period_end", "total_assets"]
    _, problems = _check(STATEMENTS, header, [[CUSTOMER, "2025-12-31", None]])
    assert problems == [(2, "total_assets", "statement_empty")]


def test_periods_are_quarters_halves_nine_months_or_years() -> None:
    header = ["customer_uscc", "period_end", "period_months", "revenue"]
    _, problems = _check(STATEMENTS, header, [[CUSTOMER, "2025-12-31", "5", "1"]])
    assert problems == [(2, "period_months", "choice")]


def test_related_parties_take_chinese_relation_names_and_shares_as_percentages() -> None:
    kind = KINDS[ImportKind.RELATED_PARTIES]
    header = ["客户统一社会信用代码", "关联方统一社会信用代码", "关联关系", "持股比例"]
    staged, problems = _check(
        kind,
        header,
        [
            [CUSTOMER, uscc(2), "母公司", "51%"],
            [CUSTOMER, uscc(3), "guarantor", "0.125"],
            [CUSTOMER, CUSTOMER, "子公司", "1"],
            [CUSTOMER, uscc(4), "cousin", "150%"],
        ],
    )
    assert staged.select("relation_type", "ownership_share").rows()[:2] == [
        ("parent", "0.510000"),
        ("guarantor", "0.125000"),
    ]
    assert problems == [
        (4, "related_uscc", "self_related"),
        (5, "relation_type", "choice"),
        (5, "ownership_share", "fraction"),
    ]


def test_customers_check_industry_and_region_codes_and_refuse_a_future_founding() -> None:
    kind = KINDS[ImportKind.CUSTOMERS]
    header = ["uscc", "name", "industry", "region", "established_on", "registered_capital"]
    staged, problems = _check(
        kind,
        header,
        [
            [CUSTOMER, "甲公司", "c3011", "310000", "2010-05-20", "10,000,000"],
            [uscc(2), "乙公司", "Z99", "990000", "2027-01-01", None],
        ],
    )
    first = staged.row(0, named=True)
    assert (first["industry_code"], first["registered_capital_minor"]) == ("C3011", 1_000_000_000)
    assert first["registered_capital_currency"] == "CNY"
    assert staged.row(1, named=True)["registered_capital_currency"] is None, (
        "no capital, so no currency for it"
    )
    assert problems == [
        (3, "industry", "industry"),
        (3, "region", "region"),
        (3, "established_on", "date_in_future"),
    ]


def test_booleans_integers_and_scores_have_their_own_spellings() -> None:
    reports = KINDS[ImportKind.CREDIT_REPORTS]
    header = ["customer_uscc", "agency", "report_date", "score"]
    staged, problems = _check(
        reports,
        header,
        [[CUSTOMER, "中诚信", "2026-03-01", "72.5"], [CUSTOMER, "X", "2026-03-01", "high"]],
    )
    assert staged.row(0, named=True)["score"] == 72.5
    assert problems == [(3, "score", "number")]
    statements = ["customer_uscc", "period_end", "audited", "revenue"]
    staged, problems = _check(
        STATEMENTS,
        statements,
        [[CUSTOMER, "2025-12-31", "是", "1"], [CUSTOMER, "2024-12-31", "maybe", "1"]],
    )
    assert staged.row(0, named=True)["audited"] is True
    assert problems == [(3, "audited", "boolean")]
