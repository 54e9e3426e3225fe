"""One valid file's worth of rows for each kind, with the records it refers to created first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from fengkong.imports.kinds import KINDS, ImportKind
from fengkong.kit.money import Money
from tests import factories
from tests.integration.imports.files import Cell, uscc

Sample = list[dict[str, Cell]]


def _customers() -> Sample:
    return [
        {
            "uscc": uscc(9001),
            "name": "华南电子有限公司",
            "industry": "C39",
            "region": "440300",
            "registered_capital": "5,000,000",
            "currency": "CNY",
            "established_on": "2015-03-01",
            "legal_representative": "李四",
            "address": "深圳市南山区科技园",
        },
        {"uscc": uscc(9002), "name": "华东物流有限公司", "industry": "G54", "region": "310000"},
    ]


def _related_parties() -> Sample:
    customer, parent, guarantor = (factories.customer() for _ in range(3))
    return [
        {
            "customer_uscc": customer.uscc,
            "related_uscc": parent.uscc,
            "relation_type": "母公司",
            "ownership_share": "60%",
            "since": "2020-01-01",
            "note": "控股股东",
        },
        {
            "customer_uscc": customer.uscc,
            "related_uscc": guarantor.uscc,
            "relation_type": "guarantor",
        },
    ]


def _financial_statements() -> Sample:
    customer = factories.customer()
    return [
        {
            "customer_uscc": customer.uscc,
            "period_end": "2025-12-31",
            "total_assets": "10,000,000.00",
            "current_assets": "6000000",
            "cash": "1000000",
            "inventory": "1500000",
            "total_liabilities": "5500000",
            "current_liabilities": "4000000",
            "total_equity": "4500000",
            "revenue": "12000000",
            "net_profit": "-250000.50",
            "operating_cash_flow": "-80000",
            "interest_expense": "150000",
        },
        {
            "customer_uscc": customer.uscc,
            "period_end": "2026-06-30",
            "period_months": "6",
            "revenue": "5800000",
        },
    ]


def _invoices() -> Sample:
    customer = factories.customer()
    order = factories.order(customer_id=customer.id)
    return [
        {
            "invoice_number": "INV-2026-0001",
            "customer_uscc": customer.uscc,
            "issue_date": "2026-01-05",
            "due_date": "2026-03-05",
            "amount": "11300.00",
            "currency": "CNY",
            "order_number": order.order_number,
        },
        {
            "invoice_number": "INV-2026-0002",
            "customer_uscc": customer.uscc,
            "issue_date": "2026-01-06",
            "due_date": "2026-01-06",
            "amount": "250",
            "currency": "USD",
        },
    ]


def _payments() -> Sample:
    invoice = factories.invoice(
        amount=Money.of("1000.00", "CNY"), outstanding=Money.of("1000.00", "CNY")
    )
    return [
        {
            "payment_reference": "BANK-20260201-1",
            "invoice_number": invoice.invoice_number,
            "paid_on": "2026-02-01",
            "amount": "400.00",
            "currency": "CNY",
            "method": "电汇",
        },
        {
            "payment_reference": "BANK-20260202-7",
            "invoice_number": invoice.invoice_number,
            "paid_on": "2026-02-02",
            "amount": "600",
        },
    ]


def _orders() -> Sample:
    customer = factories.customer()
    return [
        {
            "order_number": "SO-2026-1",
            "customer_uscc": customer.uscc,
            "ordered_on": "2026-01-02",
            "requested_delivery_on": "2026-01-20",
            "amount": "5000",
            "currency": "CNY",
        }
    ]


def _contracts() -> Sample:
    customer = factories.customer()
    return [
        {
            "contract_number": "HT-2026-001",
            "customer_uscc": customer.uscc,
            "signed_on": "2025-12-01",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "amount": "1,200,000",
            "payment_terms_days": "60",
        }
    ]


def _credit_reports() -> Sample:
    customer = factories.customer()
    return [
        {
            "customer_uscc": customer.uscc,
            "agency": "中诚信",
            "report_date": "2026-03-01",
            "rating": "AA",
            "score": "81.5",
            "valid_until": "2027-02-28",
        }
    ]


def _legal_events() -> Sample:
    customer = factories.customer()
    return [
        {
            "customer_uscc": customer.uscc,
            "event_type": "被执行人",
            "occurred_on": "2026-02-14",
            "case_number": "(2026)沪0115执1号",
            "authority": "上海市浦东新区人民法院",
            "amount": "250000",
            "currency": "CNY",
        },
        {"customer_uscc": customer.uscc, "event_type": "lawsuit", "occurred_on": "2026-03-01"},
    ]


SAMPLES: dict[ImportKind, Callable[[], Sample]] = {
    ImportKind.CUSTOMERS: _customers,
    ImportKind.RELATED_PARTIES: _related_parties,
    ImportKind.FINANCIAL_STATEMENTS: _financial_statements,
    ImportKind.INVOICES: _invoices,
    ImportKind.PAYMENTS: _payments,
    ImportKind.ORDERS: _orders,
    ImportKind.CONTRACTS: _contracts,
    ImportKind.CREDIT_REPORTS: _credit_reports,
    ImportKind.LEGAL_EVENTS: _legal_events,
}


def table(kind: ImportKind, sample: Sample, language: str) -> tuple[list[str], list[list[Cell]]]:
    """The sample as a header (English or Chinese) and rows, with every column the sample uses."""
    names = list(dict.fromkeys(name for row in sample for name in row))
    columns = [KINDS[kind].column(name) for name in names]
    header = [column.name if language == "en" else column.chinese for column in columns]
    return header, [[row.get(name) for name in names] for row in sample]


EXPECTED: dict[ImportKind, dict[str, object]] = {
    ImportKind.CUSTOMERS: {
        "uscc": uscc(9001),
        "industry_code": "C39",
        "registered_capital_minor": 500_000_000,
        "registered_capital_currency": "CNY",
        "established_on": date(2015, 3, 1),
    },
    ImportKind.RELATED_PARTIES: {"relation_type": "parent", "ownership_share": Decimal("0.6")},
    ImportKind.FINANCIAL_STATEMENTS: {
        "total_assets_minor": 1_000_000_000,
        "net_profit_minor": -25_000_050,
        "period_months": 12,
        "currency": "CNY",
    },
    ImportKind.INVOICES: {
        "amount_minor": 1_130_000,
        "outstanding_minor": 1_130_000,
        "status": "open",
    },
    ImportKind.PAYMENTS: {"amount_minor": 40_000, "method": "电汇"},
    ImportKind.ORDERS: {"amount_minor": 500_000, "status": "open"},
    ImportKind.CONTRACTS: {
        "amount_minor": 120_000_000,
        "payment_terms_days": 60,
        "status": "active",
    },
    ImportKind.CREDIT_REPORTS: {"rating": "AA", "score": 81.5, "verified": True},
    ImportKind.LEGAL_EVENTS: {
        "event_type": "enforcement",
        "amount_minor": 25_000_000,
        "currency": "CNY",
        "verified": True,
    },
}
