"""Test data: factory_boy factories bound to the current test's session, behind typed helpers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, cast

import factory
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Role
from fengkong.contracts.models import Contract
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer, CustomerContact, RelatedParty
from fengkong.customers.status import CustomerStatus, RelationType
from fengkong.customers.uscc import check_digit
from fengkong.financials.models import FinancialStatement
from fengkong.imports.models import ImportRun, ImportStatus
from fengkong.kit.money import Money
from fengkong.legal_events.kinds import LegalEventType
from fengkong.legal_events.models import LegalEvent
from fengkong.orders.models import Order
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.risk import configs as risk_configs
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from tests import planted

_ALL: list[type[factory.alchemy.SQLAlchemyModelFactory]] = []


def bind(session: Session | None) -> None:
    for factory_class in _ALL:
        setattr(factory_class._meta, "sqlalchemy_session", session)  # noqa: B010 - untyped options


class _Base(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "flush"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _ALL.append(cls)


FACTORY_USCC_SERIALS = 5_000_000


def make_uscc(serial: int, region: str = "310000") -> str:
    """A valid USCC for an enterprise (91…) registered in ``region``."""
    body = f"91{region}MA{serial:07d}"
    return body + check_digit(body)


class UserFactory(_Base):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.LazyAttribute(lambda user: user.username.title())
    role = Role.CREDIT_ANALYST
    password_hash = None
    is_active = True


class CustomerFactory(_Base):
    class Meta:
        model = Customer

    # Far above the serials tests pick by hand (make_uscc(900) …), which a long run's sequence
    # would otherwise reach and collide with.
    uscc = factory.Sequence(lambda n: make_uscc(FACTORY_USCC_SERIALS + n + 1))
    name = factory.Sequence(lambda n: f"上海测试贸易有限公司{n}")
    name_en = factory.Sequence(lambda n: f"Shanghai Test Trading Co., Ltd. {n}")
    industry_code = "F51"
    region_code = "310000"
    registered_capital = factory.LazyFunction(lambda: Money.of("10000000", "CNY"))
    established_on = date(2010, 5, 20)
    legal_representative = "张三"
    status = CustomerStatus.ACTIVE


class ContactFactory(_Base):
    """A customer's contact person; the phone and e-mail are the planted values the run-wide log
    check looks for (tests/planted.py)."""

    class Meta:
        model = CustomerContact

    name = factory.Sequence(lambda n: f"联系人{n}")
    title = "财务经理"
    phone = planted.PHONE
    email = planted.EMAIL
    is_primary = True


class RelatedPartyFactory(_Base):
    class Meta:
        model = RelatedParty

    relation_type = RelationType.PARENT


class InvoiceFactory(_Base):
    class Meta:
        model = Invoice

    invoice_number = factory.Sequence(lambda n: f"INV-{n:06d}")
    issue_date = date(2026, 1, 15)
    due_date = factory.LazyAttribute(lambda invoice: invoice.issue_date + timedelta(days=30))
    amount = factory.LazyFunction(lambda: Money.of("1000.00", "CNY"))
    outstanding = factory.LazyAttribute(lambda invoice: invoice.amount)


class PaymentFactory(_Base):
    class Meta:
        model = Payment

    payment_reference = factory.Sequence(lambda n: f"PAY-{n:06d}")
    paid_on = date(2026, 2, 10)
    amount = factory.LazyFunction(lambda: Money.of("1000.00", "CNY"))


class PaymentAllocationFactory(_Base):
    class Meta:
        model = PaymentAllocation


class ImportRunFactory(_Base):
    class Meta:
        model = ImportRun

    kind = "customers"
    file_name = factory.Sequence(lambda n: f"customers-{n:03d}.csv")
    file_sha256 = factory.Sequence(lambda n: f"{n:064x}")
    file_bytes = 2_048
    status = ImportStatus.SUCCEEDED
    actor_username = "alice_analyst"
    rows_total = 10
    rows_inserted = 10


def import_run(**overrides: Any) -> ImportRun:
    """A finished import run as the import leaves it (the file itself is not kept)."""
    return cast(ImportRun, ImportRunFactory(**overrides))


def user(**overrides: Any) -> User:
    return cast(User, UserFactory(**overrides))


def customer(**overrides: Any) -> Customer:
    return cast(Customer, CustomerFactory(**overrides))


def customer_of(owner: User, **overrides: Any) -> Customer:
    """A customer ``owner`` looks after: in a sales user's access scope whatever their region."""
    return customer(owner_id=owner.id, **overrides)


def contact(**overrides: Any) -> CustomerContact:
    return cast(CustomerContact, ContactFactory(**_with_customer(overrides)))


def related_party(**overrides: Any) -> RelatedParty:
    for key in ("customer_id", "related_customer_id"):
        if key not in overrides:
            overrides[key] = customer().id
    return cast(RelatedParty, RelatedPartyFactory(**overrides))


def invoice(**overrides: Any) -> Invoice:
    return cast(Invoice, InvoiceFactory(**_with_customer(overrides)))


def payment(**overrides: Any) -> Payment:
    return cast(Payment, PaymentFactory(**_with_customer(overrides)))


def allocation(*, payment_id: int, invoice_id: int, amount_minor: int) -> PaymentAllocation:
    return cast(
        PaymentAllocation,
        PaymentAllocationFactory(
            payment_id=payment_id, invoice_id=invoice_id, amount_minor=amount_minor
        ),
    )


class FinancialStatementFactory(_Base):
    class Meta:
        model = FinancialStatement

    period_end = date(2025, 12, 31)
    period_months = 12
    published_on = date(2026, 4, 30)
    audited = True
    currency = "CNY"
    total_assets_minor = 10_000_000_00
    current_assets_minor = 6_000_000_00
    cash_minor = 1_000_000_00
    accounts_receivable_minor = 2_000_000_00
    inventory_minor = 1_500_000_00
    total_liabilities_minor = 5_500_000_00
    current_liabilities_minor = 4_000_000_00
    total_equity_minor = 4_500_000_00
    revenue_minor = 12_000_000_00
    net_profit_minor = 600_000_00
    interest_expense_minor = 150_000_00
    operating_cash_flow_minor = 800_000_00


class OrderFactory(_Base):
    class Meta:
        model = Order

    order_number = factory.Sequence(lambda n: f"SO-{n:06d}")
    ordered_on = date(2026, 1, 5)
    amount = factory.LazyFunction(lambda: Money.of("5000.00", "CNY"))


class ContractFactory(_Base):
    class Meta:
        model = Contract

    contract_number = factory.Sequence(lambda n: f"HT-{n:06d}")
    signed_on = date(2025, 12, 1)
    starts_on = date(2026, 1, 1)
    ends_on = date(2026, 12, 31)
    amount = factory.LazyFunction(lambda: Money.of("1200000.00", "CNY"))
    payment_terms_days = 60


class CreditReportFactory(_Base):
    class Meta:
        model = CreditReport

    agency = "中诚信"
    rating = "A"
    score = 72.5
    report_date = date(2026, 3, 1)


class LegalEventFactory(_Base):
    class Meta:
        model = LegalEvent

    event_type = LegalEventType.LAWSUIT
    occurred_on = date(2026, 2, 14)
    case_number = factory.Sequence(lambda n: f"(2026)沪0115民初{n}号")
    authority = "上海市浦东新区人民法院"


def _with_customer(overrides: dict[str, Any]) -> dict[str, Any]:
    if "customer_id" not in overrides:  # not setdefault: that would build an unused customer
        overrides["customer_id"] = customer().id
    return overrides


def financial_statement(**overrides: Any) -> FinancialStatement:
    return cast(FinancialStatement, FinancialStatementFactory(**_with_customer(overrides)))


def order(**overrides: Any) -> Order:
    return cast(Order, OrderFactory(**_with_customer(overrides)))


def contract(**overrides: Any) -> Contract:
    return cast(Contract, ContractFactory(**_with_customer(overrides)))


def credit_report(**overrides: Any) -> CreditReport:
    return cast(CreditReport, CreditReportFactory(**_with_customer(overrides)))


def legal_event(**overrides: Any) -> LegalEvent:
    return cast(LegalEvent, LegalEventFactory(**_with_customer(overrides)))


def rate_customer(
    session: Session, customer_id: int, *, grade: str, pd: float = 0.01, as_of: date
) -> None:
    """Give the customer a current rating without scoring it (a score row and its rating)."""
    active = risk_configs.ensure_active(session, Actor.system("test"))
    score = RiskScore(
        customer_id=customer_id,
        as_of=as_of,
        score=500.0,
        grade=grade,
        risk_level="medium",
        pd=pd,
        scorecard_version_id=active.scorecard_row.id,
        grade_scale_version_id=active.scale_row.id,
        inputs_hash="0" * 64,
        factors=[],
        reasons=[],
        trigger=ScoreTrigger.MANUAL,
        computed_by="test",
    )
    session.add(score)
    session.flush()
    session.add(
        CustomerRating(
            customer_id=customer_id,
            risk_score_id=score.id,
            score=500.0,
            grade=grade,
            pd=pd,
            as_of=as_of,
            inputs_hash=score.inputs_hash,
            model_version_id=score.model_version_id,
        )
    )
    session.flush()
