"""Policy simulation: replay the last N months of orders under a draft rule set, next to the
active one, before it goes live (the replay itself is pure: ``replay.py``).

The ledger is read once, set-based, for the customers who ordered in the window, in the rule
set's currency (other currencies are left out and counted). Limits come from the limit history
(``limits.service.limit_in_force`` on each order date, cached per customer and day); the risk
class is the customer's current one.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.credit_checks import configs, sources
from fengkong.credit_checks.replay import (
    Ledger,
    PastAllocation,
    PastInvoice,
    PastOrder,
    PastPayment,
    ReplayResult,
    replay,
)
from fengkong.credit_checks.rules import RuleSet
from fengkong.errors import ValidationFailed
from fengkong.kit.time import business_today
from fengkong.orders.models import Order
from fengkong.orders.status import OrderStatus
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.receivables.status import InvoiceStatus
from fengkong.records import field_error
from fengkong.settings import get_settings


@dataclass(frozen=True, slots=True)
class SimulationResult:
    start: date
    end: date
    months: int
    currency: str
    rule_set_name: str
    rule_set_version: int | None
    active_version: int
    draft: ReplayResult
    active: ReplayResult
    other_currency_orders: int


def months_back(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def load_ledger(session: Session, *, start: date, end: date, currency: str) -> tuple[Ledger, int]:
    """Orders placed in [start, end] in ``currency``, and their customers' whole ledgers."""
    in_window = (
        Order.ordered_on >= start,
        Order.ordered_on <= end,
        Order.archived_at.is_(None),
    )
    other = session.scalar(
        select(func.count()).select_from(Order).where(*in_window, Order.currency != currency)
    )
    customers = select(Order.customer_id).where(*in_window, Order.currency == currency).distinct()
    orders = tuple(
        PastOrder(
            order_id,
            number,
            customer_id,
            ordered_on,
            delivery,
            amount,
            OrderStatus(status) is OrderStatus.CANCELLED,
        )
        for order_id, number, customer_id, ordered_on, delivery, amount, status in session.execute(
            select(
                Order.id,
                Order.order_number,
                Order.customer_id,
                Order.ordered_on,
                Order.requested_delivery_on,
                Order.amount_minor,
                Order.status,
            ).where(
                Order.customer_id.in_(customers),
                Order.currency == currency,
                Order.archived_at.is_(None),
                Order.ordered_on <= end,
            )
        )
    )
    invoices = tuple(
        PastInvoice(
            invoice_id,
            customer_id,
            order_id,
            issued,
            due,
            amount,
            InvoiceStatus(status) is InvoiceStatus.WRITTEN_OFF,
            InvoiceStatus(status) is InvoiceStatus.CANCELLED,
        )
        for invoice_id, customer_id, order_id, issued, due, amount, status in session.execute(
            select(
                Invoice.id,
                Invoice.customer_id,
                Invoice.order_id,
                Invoice.issue_date,
                Invoice.due_date,
                Invoice.amount_minor,
                Invoice.status,
            ).where(
                Invoice.customer_id.in_(customers),
                Invoice.currency == currency,
                Invoice.archived_at.is_(None),
            )
        )
    )
    allocations = tuple(
        PastAllocation(invoice_id, paid_on, amount)
        for invoice_id, paid_on, amount in session.execute(
            select(PaymentAllocation.invoice_id, Payment.paid_on, PaymentAllocation.amount_minor)
            .join(Payment, Payment.id == PaymentAllocation.payment_id)
            .join(Invoice, Invoice.id == PaymentAllocation.invoice_id)
            .where(
                Invoice.customer_id.in_(customers),
                Invoice.currency == currency,
                Payment.archived_at.is_(None),
            )
        )
    )
    payments = tuple(
        PastPayment(customer_id, paid_on, amount)
        for customer_id, paid_on, amount in session.execute(
            select(Payment.customer_id, Payment.paid_on, Payment.amount_minor).where(
                Payment.customer_id.in_(customers),
                Payment.currency == currency,
                Payment.archived_at.is_(None),
            )
        )
    )
    window = tuple(order for order in orders if order.ordered_on >= start)
    history = Ledger(orders, invoices, allocations, payments)
    return Ledger(window, history.invoices, history.allocations, history.payments), int(other or 0)


def _replay_all(session: Session, ledger: Ledger, rule_set: RuleSet, today: date) -> ReplayResult:
    return replay(
        ledger,
        rule_set,
        today=today,
        risk_class_of=_cached_classes(session),
        limit_of=_cached_limits(session, rule_set.currency),
    )


def _cached_classes(session: Session) -> Callable[[int], str]:
    classes: dict[int, str] = {}

    def risk_class_of(customer_id: int) -> str:
        if customer_id not in classes:
            classes[customer_id] = sources.risk_class(session, customer_id)
        return classes[customer_id]

    return risk_class_of


def _cached_limits(session: Session, currency: str) -> _LimitCache:
    return _LimitCache(session, currency)


class _LimitCache:
    def __init__(self, session: Session, currency: str) -> None:
        self._session = session
        self._currency = currency
        self._values: dict[tuple[int, date], int | None] = {}

    def __call__(self, customer_id: int, day: date) -> int | None:
        key = (customer_id, day)
        if key not in self._values:
            found = sources.limit_in_force(self._session, customer_id, on=day)
            ok = found is not None and found.currency == self._currency
            self._values[key] = found.amount_minor if ok and found is not None else None
        return self._values[key]


def simulate(
    session: Session,
    actor: Actor,
    *,
    version: int | None = None,
    yaml_text: str | None = None,
    months: int = 12,
    today: date | None = None,
) -> SimulationResult:
    """What a draft rule set would have held over the last ``months``, next to the active one."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_CONFIGURE)
    if (version is None) == (yaml_text is None):
        raise ValidationFailed(
            "simulate a stored version or a YAML text, one of them",
            details=[field_error("version", version, "give version or yaml")],
        )
    if yaml_text is not None:
        draft = configs.rule_sets.parse(yaml_text)
    else:
        assert version is not None  # noqa: S101 - checked above
        draft = configs.rule_sets.parse(
            configs.rule_sets.get_version(session, actor, version=version).yaml_text
        )
    active = configs.ensure_active(session)
    end = today or business_today(get_settings().zone)
    start = months_back(end, months)
    ledger, other = load_ledger(session, start=start, end=end, currency=draft.currency)
    return SimulationResult(
        start=start,
        end=end,
        months=months,
        currency=draft.currency,
        rule_set_name=draft.name,
        rule_set_version=version,
        active_version=active.version,
        draft=_replay_all(session, ledger, draft, end),
        active=_replay_all(session, ledger, active.config, end),
        other_currency_orders=other,
    )
