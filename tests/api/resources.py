"""Every REST resource described once, so behaviour all of them share (lifecycle, duplicates,
permissions, idempotent replays) is tested the same way for each."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from fengkong.customers.models import Customer
from tests import factories

_serials = itertools.count(60_000)

Payload = dict[str, Any]


def money(amount: str, currency: str = "CNY") -> Payload:
    return {"amount": amount, "currency": currency}


def statement_lines(assets: str = "1000.00", currency: str = "CNY") -> Payload:
    """Balance-sheet totals that balance: liabilities 60 %, equity 40 % of assets."""
    total = Decimal(assets)
    return {
        "total_assets": money(assets, currency),
        "total_liabilities": money(f"{total * Decimal('0.6'):.2f}", currency),
        "total_equity": money(f"{total * Decimal('0.4'):.2f}", currency),
    }


@dataclass(frozen=True)
class Resource:
    name: str
    path: str
    table: str
    created_event: str
    updated_event: str
    create: Callable[[Customer], Payload]
    """A valid, unique create payload for a record of this customer."""
    existing: Callable[[], Any]
    """An existing record made by the factories."""
    change: Payload
    """A valid PATCH."""
    natural_key: Callable[[Any], Payload]
    """Fields that, merged into a create payload for its customer, repeat ``existing``'s key."""
    duplicate_code: str
    duplicate_fields: frozenset[str]

    def url(self, record_id: int) -> str:
        return f"{self.path}/{record_id}"

    def __str__(self) -> str:
        return self.name


def _customer_payload(_customer: Customer) -> Payload:
    serial = next(_serials)
    return {"uscc": factories.make_uscc(serial), "name": f"接口测试客户{serial}有限公司"}


def _related_party_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "related_customer_uscc": factories.customer().uscc,
        "relation_type": "guarantor",
        "ownership_share": "0.25",
    }


def _statement_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "period_end": "2025-12-31",
        "period_months": 12,
        "published_on": "2026-04-30",
        **statement_lines(),
        "revenue": money("2500.00"),
        "net_profit": money("-10.50"),
    }


def _invoice_payload(customer: Customer) -> Payload:
    return {
        "customer_uscc": customer.uscc,
        "invoice_number": f"API-INV-{next(_serials)}",
        "issue_date": "2026-01-10",
        "due_date": "2026-02-09",
        "amount": money("1200.50"),
    }


def _payment_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "payment_reference": f"API-PAY-{next(_serials)}",
        "paid_on": "2026-02-01",
        "amount": money("300.00"),
        "method": "bank_transfer",
    }


def _order_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "order_number": f"API-SO-{next(_serials)}",
        "ordered_on": "2026-01-03",
        "requested_delivery_on": "2026-01-20",
        "amount": money("8000.00"),
    }


def _contract_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "contract_number": f"API-HT-{next(_serials)}",
        "signed_on": "2025-12-01",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "amount": money("500000.00"),
        "payment_terms_days": 45,
    }


def _credit_report_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "agency": "大公国际",
        "rating": "AA-",
        "score": 81.5,
        "report_date": "2026-03-15",
        "valid_until": "2027-03-14",
    }


def _legal_event_payload(customer: Customer) -> Payload:
    return {
        "customer_id": customer.id,
        "event_type": "enforcement",
        "occurred_on": "2026-02-20",
        "case_number": f"(2026)沪0115执{next(_serials)}号",
        "authority": "上海市浦东新区人民法院",
        "amount": money("45000.00"),
    }


RESOURCES = (
    Resource(
        name="customers",
        path="/api/v1/customers",
        table="customers",
        created_event="customer_created",
        updated_event="customer_updated",
        create=_customer_payload,
        existing=factories.customer,
        change={"name": "改过名的客户有限公司"},
        natural_key=lambda record: {"uscc": record.uscc},
        duplicate_code="duplicate_uscc",
        duplicate_fields=frozenset({"uscc"}),
    ),
    Resource(
        name="related-parties",
        path="/api/v1/related-parties",
        table="related_parties",
        created_event="related_party_linked",
        updated_event="related_party_updated",
        create=_related_party_payload,
        existing=factories.related_party,
        change={"note": "同一实际控制人", "since": "2020-01-01"},
        natural_key=lambda record: {
            "related_customer_uscc": None,
            "related_customer_id": record.related_customer_id,
            "relation_type": record.relation_type.value,
        },
        duplicate_code="duplicate_related_party",
        duplicate_fields=frozenset({"customer_id", "related_customer_id", "relation_type"}),
    ),
    Resource(
        name="financial-statements",
        path="/api/v1/financial-statements",
        table="financial_statements",
        created_event="financial_statement_filed",
        updated_event="financial_statement_updated",
        create=_statement_payload,
        existing=factories.financial_statement,
        change={"audited": False, "published_on": "2026-05-15"},
        natural_key=lambda record: {
            "period_end": record.period_end.isoformat(),
            "period_months": record.period_months,
        },
        duplicate_code="duplicate_financial_statement",
        duplicate_fields=frozenset({"customer_id", "period_end", "period_months"}),
    ),
    Resource(
        name="invoices",
        path="/api/v1/invoices",
        table="invoices",
        created_event="invoice_issued",
        updated_event="invoice_updated",
        create=_invoice_payload,
        existing=factories.invoice,
        change={"due_date": "2026-03-31"},
        natural_key=lambda record: {"invoice_number": record.invoice_number},
        duplicate_code="duplicate_invoice_number",
        duplicate_fields=frozenset({"invoice_number"}),
    ),
    Resource(
        name="payments",
        path="/api/v1/payments",
        table="payments",
        created_event="payment_received",
        updated_event="payment_updated",
        create=_payment_payload,
        existing=factories.payment,
        change={"method": "acceptance_bill", "paid_on": "2026-02-03"},
        natural_key=lambda record: {"payment_reference": record.payment_reference},
        duplicate_code="duplicate_payment_reference",
        duplicate_fields=frozenset({"payment_reference"}),
    ),
    Resource(
        name="orders",
        path="/api/v1/orders",
        table="orders",
        created_event="order_placed",
        updated_event="order_updated",
        create=_order_payload,
        existing=factories.order,
        change={"status": "shipped", "amount": money("7999.99")},
        natural_key=lambda record: {"order_number": record.order_number},
        duplicate_code="duplicate_order_number",
        duplicate_fields=frozenset({"order_number"}),
    ),
    Resource(
        name="contracts",
        path="/api/v1/contracts",
        table="contracts",
        created_event="contract_signed",
        updated_event="contract_updated",
        create=_contract_payload,
        existing=factories.contract,
        change={"payment_terms_days": 90, "ends_on": None},
        natural_key=lambda record: {"contract_number": record.contract_number},
        duplicate_code="duplicate_contract_number",
        duplicate_fields=frozenset({"contract_number"}),
    ),
    Resource(
        name="credit-reports",
        path="/api/v1/credit-reports",
        table="credit_reports",
        created_event="credit_report_updated",
        updated_event="credit_report_updated",
        create=_credit_report_payload,
        existing=factories.credit_report,
        change={"rating": "A+", "verified": True},
        natural_key=lambda record: {
            "agency": record.agency,
            "report_date": record.report_date.isoformat(),
        },
        duplicate_code="duplicate_credit_report",
        duplicate_fields=frozenset({"customer_id", "agency", "report_date"}),
    ),
    Resource(
        name="legal-events",
        path="/api/v1/legal-events",
        table="legal_events",
        created_event="legal_event",
        updated_event="legal_event",
        create=_legal_event_payload,
        existing=factories.legal_event,
        change={"resolved_on": date(2026, 3, 1).isoformat(), "description": "已和解"},
        natural_key=lambda record: {
            "event_type": record.event_type.value,
            "occurred_on": record.occurred_on.isoformat(),
            "case_number": record.case_number,
        },
        duplicate_code="duplicate_legal_event",
        duplicate_fields=frozenset({"customer_id", "event_type", "occurred_on", "case_number"}),
    ),
)
