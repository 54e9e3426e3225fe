"""A hand-computed ledger, and ratings set directly, for the exposure tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.exposure.models import InvoiceDispute, Mitigant
from fengkong.exposure.status import DisputeStatus, MitigantKind, MitigantStatus
from fengkong.kit.money import Money
from fengkong.orders.status import OrderStatus
from fengkong.receivables.status import InvoiceStatus
from tests import factories

AS_OF = date(2026, 6, 30)
SYSTEM = Actor.system("test")


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def rate(session: Session, customer_id: int, *, grade: str, pd: float) -> None:
    factories.rate_customer(session, customer_id, grade=grade, pd=pd, as_of=AS_OF)


def mitigant(customer_id: int, kind: MitigantKind, amount: str, **overrides: object) -> Mitigant:
    values: dict[str, object] = {
        "customer_id": customer_id,
        "kind": kind,
        "amount": cny(amount),
        "valid_from": date(2026, 1, 1),
        "valid_until": None,
        "haircut": 0.0,
        "status": MitigantStatus.ACTIVE,
    }
    values.update(overrides)
    row = Mitigant(**values)
    return row


@dataclass(frozen=True)
class Ledger:
    customer_id: int
    invoice_ids: dict[str, int]


def hand_computed_ledger(session: Session) -> Ledger:
    """The ledger of docs/exposure.md's worked example, as of 2026-06-30 (amounts in yuan):

    invoices: A 10,000 due 07-10 (not due, billed under the contract), B 4,000 left of 5,000 due
    06-20 (10 days past due), C 3,000 due 05-01 (60 days, 1,000 of it disputed), D 2,000 due
    03-01 (121 days); a paid, a cancelled and a written-off invoice that do not count.
    orders: 6,000 open, 1,500 shipped (an invoiced and a cancelled one do not count).
    payments: 2,500 received, 500 of it allocated → 2,000 unapplied.
    contract: 100,000 in force, 10,000 invoiced under it → 90,000 committed.
    mitigants: a 20,000 guarantee (haircut 0, LGD 0.10), 10,000 collateral (haircut 0.30 →
    7,000, LGD 0.25); an expired guarantee and a released one do not count.
    """
    customer = factories.customer(industry_code="F51", region_code="310115")
    cid = customer.id
    contract = factories.contract(
        customer_id=cid,
        amount=cny("100000.00"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
    )
    a = factories.invoice(
        customer_id=cid,
        contract_id=contract.id,
        issue_date=date(2026, 6, 10),
        due_date=date(2026, 7, 10),
        amount=cny("10000.00"),
    )
    b = factories.invoice(
        customer_id=cid,
        issue_date=date(2026, 5, 21),
        due_date=date(2026, 6, 20),
        amount=cny("5000.00"),
        outstanding=cny("4000.00"),
    )
    c = factories.invoice(
        customer_id=cid,
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
        amount=cny("3000.00"),
    )
    d = factories.invoice(
        customer_id=cid,
        issue_date=date(2026, 1, 30),
        due_date=date(2026, 3, 1),
        amount=cny("2000.00"),
    )
    paid = factories.invoice(
        customer_id=cid, amount=cny("500.00"), outstanding=cny("0.00"), status=InvoiceStatus.PAID
    )
    factories.invoice(customer_id=cid, amount=cny("700.00"), status=InvoiceStatus.CANCELLED)
    factories.invoice(customer_id=cid, amount=cny("800.00"), status=InvoiceStatus.WRITTEN_OFF)
    factories.order(customer_id=cid, amount=cny("6000.00"), status=OrderStatus.OPEN)
    factories.order(customer_id=cid, amount=cny("1500.00"), status=OrderStatus.SHIPPED)
    factories.order(customer_id=cid, amount=cny("9999.00"), status=OrderStatus.INVOICED)
    factories.order(customer_id=cid, amount=cny("888.00"), status=OrderStatus.CANCELLED)
    payment = factories.payment(customer_id=cid, amount=cny("2500.00"))
    factories.allocation(payment_id=payment.id, invoice_id=paid.id, amount_minor=500_00)
    session.add_all(
        [
            InvoiceDispute(
                invoice_id=c.id,
                customer_id=cid,
                amount=cny("1000.00"),
                reason="短少交货",
                status=DisputeStatus.OPEN,
                opened_on=date(2026, 5, 10),
                opened_by="test",
            ),
            mitigant(cid, MitigantKind.GUARANTEE, "20000.00", provider="中国银行"),
            mitigant(cid, MitigantKind.COLLATERAL, "10000.00", haircut=0.3),
            mitigant(cid, MitigantKind.GUARANTEE, "50000.00", valid_until=date(2026, 6, 1)),
            mitigant(cid, MitigantKind.GUARANTEE, "50000.00", status=MitigantStatus.RELEASED),
        ]
    )
    session.flush()
    return Ledger(cid, {"A": a.id, "B": b.id, "C": c.id, "D": d.id})
