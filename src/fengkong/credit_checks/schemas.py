"""API shapes of the order credit check. The ERP sends ``order_id``, the customer (by
``customer_id`` or ``customer_uscc``), ``amount`` as a decimal string and ``currency``; every
amount in the answer is a decimal string in that same currency. Reason texts come in the
caller's language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import Field, model_validator

from fengkong.credit_checks.messages import message
from fengkong.credit_checks.models import CreditCheck, CreditHold
from fengkong.credit_checks.replay import ReplayResult
from fengkong.credit_checks.simulation import SimulationResult
from fengkong.credit_checks.status import (
    Decision,
    DecisionReason,
    HoldStatus,
    ReleaseKind,
    Stage,
)
from fengkong.customers.schemas import CustomerReference
from fengkong.i18n import translations
from fengkong.kit.money import Money, MoneyError, currency_exponent
from fengkong.kit.schemas import Amount, InputModel, OutputModel
from fengkong.settings import Locale

MAX_RULE_SET_BYTES = 200_000


def _major(minor: int | None, currency: str) -> Decimal | None:
    if minor is None:
        return None
    return Decimal(minor).scaleb(-currency_exponent(currency))


class CreditCheckIn(CustomerReference):
    order_id: str = Field(
        min_length=1,
        max_length=64,
        description="the ERP's order number; checks are idempotent by it",
    )
    amount: Amount = Field(description='the order value as a decimal string, e.g. "125000.00"')
    currency: str = Field(min_length=3, max_length=3, examples=["CNY"])
    stage: Stage = Field(default=Stage.ORDER, description="where in order-to-cash the ERP asks")
    requested_delivery_on: date | None = None

    @model_validator(mode="after")
    def _positive_money(self) -> Self:
        try:
            money = Money(self.amount, self.currency)
        except MoneyError as error:
            raise ValueError(str(error)) from error
        if money.amount <= 0:
            raise ValueError("amount must be greater than zero")
        self.currency = money.currency
        return self

    def money(self) -> Money:
        return Money(self.amount, self.currency)


class ReasonOut(OutputModel):
    code: str
    step: str
    outcome: str
    message: str
    values: dict[str, Any]

    @classmethod
    def of(cls, reason: dict[str, Any], currency: str, locale: Locale) -> ReasonOut:
        values = dict(reason.get("values") or {})
        return cls(
            code=reason["code"],
            step=reason["step"],
            outcome=reason["outcome"],
            message=message(reason["code"], values, currency).render(locale),
            values=values,
        )


def reason_label(reason: DecisionReason | None, locale: Locale) -> str | None:
    return None if reason is None else translations(locale).gettext(reason.label)


class CreditHoldOut(OutputModel):
    id: int
    check_id: int
    order_id: str
    customer_id: int
    amount: Amount
    currency: str
    status: HoldStatus
    requested_by: str
    opened_at: datetime
    release_kind: ReleaseKind | None
    approved_amount: Amount | None
    prepayment: Amount | None
    reason_code: DecisionReason | None
    reason: str | None = Field(description="the reason code's text, in the caller's language")
    comment: str | None
    decided_by: str | None
    decided_at: datetime | None
    version: int

    @classmethod
    def of(cls, hold: CreditHold, locale: Locale) -> CreditHoldOut:
        return cls(
            id=hold.id,
            check_id=hold.credit_check_id,
            order_id=hold.order_number,
            customer_id=hold.customer_id,
            amount=Decimal(hold.amount_minor).scaleb(-currency_exponent(hold.currency)),
            currency=hold.currency,
            status=hold.status,
            requested_by=hold.requested_by,
            opened_at=hold.opened_at,
            release_kind=hold.release_kind,
            approved_amount=_major(hold.approved_minor, hold.currency),
            prepayment=_major(hold.prepayment_minor, hold.currency),
            reason_code=hold.reason_code,
            reason=reason_label(hold.reason_code, locale),
            comment=hold.comment,
            decided_by=hold.decided_by,
            decided_at=hold.decided_at,
            version=hold.version,
        )


class CreditCheckOut(OutputModel):
    check_id: int
    order_id: str
    customer_id: int
    stage: Stage
    decision: Decision
    amount: Amount
    currency: str
    available_credit: Amount | None = Field(
        description="limit − exposure before this order; null when no limit is in force"
    )
    exposure_before: Amount
    exposure_after: Amount
    limit: Amount | None
    risk_class: str
    reasons: list[ReasonOut]
    rule_set_version: int
    checked_at: datetime
    hold: CreditHoldOut | None

    @classmethod
    def of(
        cls, check: CreditCheck, hold: CreditHold | None, rule_set_version: int, locale: Locale
    ) -> CreditCheckOut:
        currency = check.currency
        return cls(
            check_id=check.id,
            order_id=check.order_number,
            customer_id=check.customer_id,
            stage=check.stage,
            decision=check.decision,
            amount=Decimal(check.amount_minor).scaleb(-currency_exponent(currency)),
            currency=currency,
            available_credit=_major(check.available_credit_minor, currency),
            exposure_before=Decimal(check.exposure_before_minor).scaleb(
                -currency_exponent(currency)
            ),
            exposure_after=Decimal(check.exposure_after_minor).scaleb(-currency_exponent(currency)),
            limit=_major(check.limit_minor, currency),
            risk_class=check.risk_class,
            reasons=[ReasonOut.of(reason, currency, locale) for reason in check.reasons],
            rule_set_version=rule_set_version,
            checked_at=check.checked_at,
            hold=None if hold is None else CreditHoldOut.of(hold, locale),
        )


class CreditHoldList(OutputModel):
    items: list[CreditHoldOut]


class ReleaseIn(InputModel):
    kind: ReleaseKind = ReleaseKind.FULL
    reason_code: DecisionReason
    comment: str | None = Field(default=None, max_length=2000)
    approved_amount: Amount | None = Field(
        default=None, description="partial releases: the amount approved, less than the order"
    )
    prepayment: Amount | None = Field(
        default=None, description="prepayment releases: the part paid before delivery"
    )


class RejectIn(InputModel):
    reason_code: DecisionReason
    comment: str | None = Field(default=None, max_length=2000)


class SimulationIn(InputModel):
    version: int | None = Field(default=None, description="a stored (draft) rule set version")
    yaml: str | None = Field(default=None, max_length=MAX_RULE_SET_BYTES)
    months: int = Field(default=12, ge=1, le=36)

    @model_validator(mode="after")
    def _one_rule_set(self) -> Self:
        if (self.version is None) == (self.yaml is None):
            raise ValueError("give either version or yaml")
        return self


class HeldOrderOut(OutputModel):
    order_id: str
    customer_id: int
    ordered_on: date
    amount: Amount
    decision: Decision
    reasons: list[str]
    went_bad: Amount


class ReplayOut(OutputModel):
    orders: int
    value: Amount
    held_orders: int
    held_value: Amount
    rejected_orders: int
    rejected_value: Amount
    bad_exposure: Amount = Field(description="unpaid 60 days after due, or written off")
    bad_exposure_avoided: Amount
    avoided_share: float
    good_value_held: Amount = Field(description="held or rejected value of orders paid well")
    held: list[HeldOrderOut]

    @classmethod
    def of(cls, result: ReplayResult, currency: str) -> ReplayOut:
        def major(minor: int) -> Decimal:
            return Decimal(minor).scaleb(-currency_exponent(currency))

        return cls(
            orders=result.orders,
            value=major(result.value),
            held_orders=result.held_orders,
            held_value=major(result.held_value),
            rejected_orders=result.rejected_orders,
            rejected_value=major(result.rejected_value),
            bad_exposure=major(result.bad_total),
            bad_exposure_avoided=major(result.bad_avoided),
            avoided_share=round(result.avoided_share, 4),
            good_value_held=major(result.good_value_held),
            held=[
                HeldOrderOut(
                    order_id=item.order_number,
                    customer_id=item.customer_id,
                    ordered_on=item.ordered_on,
                    amount=major(item.amount),
                    decision=item.decision,
                    reasons=list(item.reasons),
                    went_bad=major(item.went_bad),
                )
                for item in result.held
            ],
        )


class SimulationOut(OutputModel):
    start: date
    end: date
    months: int
    currency: str
    rule_set_name: str
    rule_set_version: int | None
    active_version: int
    draft: ReplayOut
    active: ReplayOut
    other_currency_orders: int

    @classmethod
    def of(cls, result: SimulationResult) -> SimulationOut:
        return cls(
            start=result.start,
            end=result.end,
            months=result.months,
            currency=result.currency,
            rule_set_name=result.rule_set_name,
            rule_set_version=result.rule_set_version,
            active_version=result.active_version,
            draft=ReplayOut.of(result.draft, result.currency),
            active=ReplayOut.of(result.active, result.currency),
            other_currency_orders=result.other_currency_orders,
        )
