"""Rules only the database can check, and how stored records are updated."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.imports.kinds import ImportKind
from fengkong.imports.problems import ImportRejected
from fengkong.kit.money import Money
from fengkong.receivables.status import InvoiceStatus
from tests import factories
from tests.integration.imports.conftest import Importer, Snapshot
from tests.integration.imports.files import uscc

INVOICE = ["invoice_number", "customer_uscc", "issue_date", "due_date", "amount", "currency"]
PAYMENT = ["payment_reference", "invoice_number", "paid_on", "amount", "currency"]


def _problems(refusal: Exception) -> list[tuple[int | None, str | None, str]]:
    assert isinstance(refusal, ImportRejected)
    return [(error.row, error.column, error.code) for error in refusal.errors]


def _invoice(session: Session, number: str) -> tables.Invoice:
    return session.scalars(
        select(tables.Invoice).where(tables.Invoice.invoice_number == number)
    ).one()


def test_rows_naming_an_unknown_customer_are_refused(importer: Importer) -> None:
    known = factories.customer()
    refusal = importer.refused(
        ImportKind.INVOICES,
        INVOICE,
        [
            ["INV-1", known.uscc, "2026-01-05", "2026-02-05", "100", "CNY"],
            ["INV-2", uscc(777), "2026-01-05", "2026-02-05", "100", "CNY"],
        ],
    )
    assert _problems(refusal) == [(3, "customer_uscc", "unknown_customer")]
    assert refusal.errors[0].value == uscc(777)


def test_an_invoice_cannot_move_to_another_customer(importer: Importer, session: Session) -> None:
    owner, other = factories.customer(), factories.customer()
    factories.invoice(customer_id=owner.id, invoice_number="INV-9")
    refusal = importer.refused(
        ImportKind.INVOICES,
        INVOICE,
        [["INV-9", other.uscc, "2026-01-15", "2026-02-14", "1000", "CNY"]],
    )
    assert _problems(refusal) == [(2, "invoice_number", "customer_changed")]
    assert refusal.errors[0].detail == owner.uscc


def test_an_invoices_order_must_be_the_same_customers(importer: Importer) -> None:
    customer, other = factories.customer(), factories.customer()
    theirs = factories.order(customer_id=other.id)
    refusal = importer.refused(
        ImportKind.INVOICES,
        [*INVOICE, "order_number", "contract_number"],
        [
            [
                "INV-1",
                customer.uscc,
                "2026-01-05",
                "2026-02-05",
                "10",
                "CNY",
                theirs.order_number,
                None,
            ],
            ["INV-2", customer.uscc, "2026-01-05", "2026-02-05", "10", "CNY", "SO-NONE", "HT-NONE"],
        ],
    )
    assert _problems(refusal) == [
        (2, "order_number", "other_customer"),
        (3, "order_number", "unknown_order"),
        (3, "contract_number", "unknown_contract"),
    ]


def test_a_changed_invoice_amount_moves_what_is_outstanding_and_keeps_what_was_paid(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    invoice = factories.invoice(
        customer_id=customer.id,
        invoice_number="INV-5",
        amount=Money.of("1000", "CNY"),
        outstanding=Money.of("400", "CNY"),
    )
    result = importer(
        ImportKind.INVOICES,
        INVOICE,
        [["INV-5", customer.uscc, "2026-01-15", "2026-02-14", "1200", None]],
    )
    assert (result.inserted, result.updated) == (0, 1)
    session.refresh(invoice)
    assert (invoice.amount_minor, invoice.outstanding_minor, invoice.version) == (120000, 60000, 2)
    assert invoice.source_ref == str(result.run_id)

    paid_in_full = importer(
        ImportKind.INVOICES,
        INVOICE,
        [["INV-5", customer.uscc, "2026-01-15", "2026-02-14", "600", None]],
        name="b.csv",
    )
    assert paid_in_full.updated == 1
    session.refresh(invoice)
    assert (invoice.outstanding_minor, invoice.status) == (0, InvoiceStatus.PAID)

    refusal = importer.refused(
        ImportKind.INVOICES,
        INVOICE,
        [["INV-5", customer.uscc, "2026-01-15", "2026-02-14", "500", "USD"]],
        name="c.csv",
    )
    assert _problems(refusal) == [
        (2, "amount", "amount_below_paid"),
        (2, "currency", "currency_changed"),
    ]
    assert refusal.errors[0].detail == "CNY 600.00"


def test_empty_cells_never_overwrite_stored_values(importer: Importer, session: Session) -> None:
    customer = factories.customer(legal_representative="张三", address="上海市")
    result = importer(
        ImportKind.CUSTOMERS,
        ["uscc", "name", "legal_representative", "address"],
        [[customer.uscc, "新名称有限公司", None, "  "]],
    )
    assert result.updated == 1
    session.refresh(customer)
    assert (customer.name, customer.legal_representative, customer.address) == (
        "新名称有限公司",
        "张三",
        "上海市",
    )
    assert (customer.source, customer.version) == ("import", 2)


def test_payments_settle_their_invoices(importer: Importer, session: Session) -> None:
    invoice = factories.invoice(invoice_number="INV-P", amount=Money.of("1000", "CNY"))
    result = importer(
        ImportKind.PAYMENTS,
        PAYMENT,
        [
            ["PAY-1", "INV-P", "2026-02-01", "300", "CNY"],
            ["PAY-2", "INV-P", "2026-02-03", "700", "CNY"],
        ],
    )
    assert result.inserted == 2
    session.refresh(invoice)
    assert (invoice.outstanding_minor, invoice.status, invoice.version) == (
        0,
        InvoiceStatus.PAID,
        2,
    )
    allocations = session.scalars(
        select(tables.PaymentAllocation.amount_minor).where(
            tables.PaymentAllocation.invoice_id == invoice.id
        )
    ).all()
    assert sorted(allocations) == [30000, 70000]
    payment = session.scalars(
        select(tables.Payment).where(tables.Payment.payment_reference == "PAY-1")
    ).one()
    assert (payment.customer_id, payment.source) == (invoice.customer_id, "import")


def test_payments_may_not_pay_more_than_is_outstanding_counting_earlier_rows(
    importer: Importer, session: Session
) -> None:
    factories.invoice(
        invoice_number="INV-O", amount=Money.of("1000", "CNY"), outstanding=Money.of("500", "CNY")
    )
    before = Snapshot.of(session)
    refusal = importer.refused(
        ImportKind.PAYMENTS,
        PAYMENT,
        [
            ["PAY-A", "INV-O", "2026-02-01", "300", "CNY"],
            ["PAY-B", "INV-O", "2026-02-02", "300", "CNY"],
        ],
    )
    assert _problems(refusal) == [(3, "invoice_number", "overpaid")]
    assert refusal.errors[0].detail == "CNY 500.00 < CNY 600.00"
    assert Snapshot.of(session) == before


def test_payments_must_match_their_invoice(importer: Importer) -> None:
    customer, other = factories.customer(), factories.customer()
    factories.invoice(customer_id=customer.id, invoice_number="INV-C")
    cancelled = factories.invoice(customer_id=customer.id, invoice_number="INV-X")
    cancelled.status = InvoiceStatus.CANCELLED
    refusal = importer.refused(
        ImportKind.PAYMENTS,
        [*PAYMENT, "customer_uscc"],
        [
            ["PAY-1", "INV-C", "2026-02-01", "10", "USD", None],
            ["PAY-2", "INV-X", "2026-02-01", "10", "CNY", None],
            ["PAY-3", "INV-NONE", "2026-02-01", "10", "CNY", None],
            ["PAY-4", "INV-C", "2026-02-01", "10", "CNY", other.uscc],
        ],
    )
    assert _problems(refusal) == [
        (2, "currency", "currency_mismatch"),
        (3, "invoice_number", "invoice_cancelled"),
        (4, "invoice_number", "unknown_invoice"),
        (5, "invoice_number", "other_customer"),
    ]


def test_a_recorded_payment_cannot_be_changed_by_an_import(
    importer: Importer, session: Session
) -> None:
    factories.invoice(invoice_number="INV-R", amount=Money.of("1000", "CNY"))
    importer(ImportKind.PAYMENTS, PAYMENT, [["PAY-R", "INV-R", "2026-02-01", "100", "CNY"]])
    refusal = importer.refused(
        ImportKind.PAYMENTS,
        PAYMENT,
        [["PAY-R", "INV-R", "2026-02-01", "150", "CNY"]],
        name="again.csv",
    )
    assert _problems(refusal) == [(2, "payment_reference", "payment_changed")]
    later = importer(
        ImportKind.PAYMENTS,
        [*PAYMENT, "method"],
        [["PAY-R", "INV-R", "2026-02-02", "100", "CNY", "承兑汇票"]],
        name="corrected.csv",
    )
    assert (later.inserted, later.updated) == (0, 1), "its date and method may be corrected"
    assert _invoice(session, "INV-R").outstanding_minor == 90000, "and it is not counted twice"


def test_a_stored_statement_keeps_its_currency(importer: Importer) -> None:
    customer = factories.customer()
    factories.financial_statement(customer_id=customer.id, currency="USD")
    refusal = importer.refused(
        ImportKind.FINANCIAL_STATEMENTS,
        ["customer_uscc", "period_end", "revenue"],
        [[customer.uscc, "2025-12-31", "1000"]],
    )
    assert _problems(refusal) == [(2, "currency", "currency_changed")]


def test_a_statement_without_a_publication_date_is_published_on_the_import_day(
    importer: Importer, session: Session
) -> None:
    customer = factories.customer()
    result = importer(
        ImportKind.FINANCIAL_STATEMENTS,
        ["customer_uscc", "period_end", "period_months", "revenue"],
        [[customer.uscc, "2025-06-30", "6", "500"]],
    )
    statement = session.scalars(
        select(tables.FinancialStatement).where(
            tables.FinancialStatement.customer_id == customer.id
        )
    ).one()
    assert result.inserted == 1
    assert statement.published_on >= date(2026, 1, 1)
    assert (statement.period_months, statement.audited) == (6, False)


def test_new_customers_belong_to_whoever_imported_them(
    importer: Importer, session: Session
) -> None:
    importer(ImportKind.CUSTOMERS, ["uscc", "name"], [[uscc(4242), "新客户有限公司"]])
    customer = session.scalars(
        select(tables.Customer).where(tables.Customer.uscc == uscc(4242))
    ).one()
    assert (customer.owner_id, customer.status, customer.uscc_verification) == (
        None,
        "active",
        "unverified",
    )
