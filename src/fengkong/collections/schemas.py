"""Inputs of the collections area's writes and the API shapes of its records and results."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from fengkong.collections.models import DunningNotice, DunningNoticeItem, PromiseToPay
from fengkong.collections.status import NoticeStatus, PromiseStatus
from fengkong.collections.worklist import WorklistEntry
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.money import Money
from fengkong.kit.schemas import Amount, InputModel, MoneyOut, OutputModel

Language = Literal["zh_CN", "en"]
MAX_RUN_CUSTOMERS = 10_000

# --- inputs ---------------------------------------------------------------------------------


class DunningRunIn(InputModel):
    run_on: date | None = Field(default=None, description="the run date; default: today")
    customer_ids: list[int] | None = Field(
        default=None, max_length=MAX_RUN_CUSTOMERS, description="default: every customer"
    )
    language: Language | None = Field(
        default=None, description="letter language; default: the configuration's"
    )


class NoticeCancel(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class PromiseCreate(InputModel):
    invoice_id: int | None = Field(
        default=None, ge=1, description="the invoice promised; null: the customer's overdue"
    )
    amount: PositiveMoneyIn
    promised_on: date | None = Field(default=None, description="default: today")
    due_on: date
    note: str | None = Field(default=None, max_length=1000)


class PromiseCancel(InputModel):
    reason: str | None = Field(default=None, max_length=1000)


class PromiseReviewIn(InputModel):
    today: date | None = Field(default=None, description="default: today")


# --- outputs --------------------------------------------------------------------------------


def _money(minor: int, currency: str) -> MoneyOut:
    return MoneyOut(amount=Money.from_minor_units(minor, currency).amount, currency=currency)


class NoticeItemOut(OutputModel):
    invoice_id: int
    invoice_number: str
    issue_date: date
    due_date: date
    days_past_due: int
    outstanding: MoneyOut
    previous_level: int

    @classmethod
    def of(cls, item: DunningNoticeItem) -> NoticeItemOut:
        return cls(
            invoice_id=item.invoice_id,
            invoice_number=item.invoice_number,
            issue_date=item.issue_date,
            due_date=item.due_date,
            days_past_due=item.days_past_due,
            outstanding=_money(item.outstanding_minor, item.currency),
            previous_level=item.previous_level,
        )


class NoticeOut(OutputModel):
    id: int
    version: int
    customer_id: int
    level: int
    level_name: str
    legal_handover: bool
    run_on: date
    total_overdue: MoneyOut
    language: str
    status: NoticeStatus
    config_name: str
    config_version: int
    config_sha256: str
    issued_by: str
    created_at: datetime
    cancelled_at: datetime | None
    cancelled_by: str | None
    cancel_reason: str | None
    items: list[NoticeItemOut] | None = Field(default=None, description="on single reads")

    @classmethod
    def of(cls, notice: DunningNotice, items: list[DunningNoticeItem] | None = None) -> NoticeOut:
        return cls(
            id=notice.id,
            version=notice.version,
            customer_id=notice.customer_id,
            level=notice.level,
            level_name=notice.level_name,
            legal_handover=notice.legal_handover,
            run_on=notice.run_on,
            total_overdue=_money(notice.total_overdue_minor, notice.currency),
            language=notice.language,
            status=notice.status,
            config_name=notice.config_name,
            config_version=notice.config_version,
            config_sha256=notice.config_sha256,
            issued_by=notice.issued_by,
            created_at=notice.created_at,
            cancelled_at=notice.cancelled_at,
            cancelled_by=notice.cancelled_by,
            cancel_reason=notice.cancel_reason,
            items=None if items is None else [NoticeItemOut.of(item) for item in items],
        )


class NoticeList(OutputModel):
    total: int
    items: list[NoticeOut]


class DunningRunOut(OutputModel):
    run_on: date
    config_name: str
    config_version: int
    config_sha256: str
    notices_issued: int
    invoices_dunned: int
    notices_by_level: dict[int, int]
    skipped: dict[str, int]
    legal_handover_customer_ids: list[int]
    notice_ids: list[int]


class PromiseOut(OutputModel):
    id: int
    version: int
    customer_id: int
    invoice_id: int | None
    amount: MoneyOut
    promised_on: date
    due_on: date
    status: PromiseStatus
    recorded_by: str
    note: str | None
    paid: MoneyOut | None
    resolved_on: date | None
    resolved_by: str | None
    created_at: datetime

    @classmethod
    def of(cls, promise: PromiseToPay) -> PromiseOut:
        return cls(
            id=promise.id,
            version=promise.version,
            customer_id=promise.customer_id,
            invoice_id=promise.invoice_id,
            amount=_money(promise.amount_minor, promise.currency),
            promised_on=promise.promised_on,
            due_on=promise.due_on,
            status=promise.status,
            recorded_by=promise.recorded_by,
            note=promise.note,
            paid=None
            if promise.paid_minor is None
            else _money(promise.paid_minor, promise.currency),
            resolved_on=promise.resolved_on,
            resolved_by=promise.resolved_by,
            created_at=promise.created_at,
        )


class PromiseList(OutputModel):
    items: list[PromiseOut]


class PromiseReviewOut(OutputModel):
    today: date
    reviewed: int
    kept: list[int]
    broken: list[int]


class WorklistEntryOut(OutputModel):
    rank: int
    customer_id: int
    customer_name: str
    owner_id: int | None
    region_code: str | None
    overdue: MoneyOut
    disputed: MoneyOut
    oldest_days_past_due: int
    dunning_level: int
    grade: str | None
    pd: float
    priority: Amount = Field(description="overdue × PD, major units of the currency")
    open_promised: MoneyOut
    next_promise_due: date | None
    broken_promises: int

    @classmethod
    def of(cls, rank: int, entry: WorklistEntry) -> WorklistEntryOut:
        return cls(
            rank=rank,
            customer_id=entry.customer_id,
            customer_name=entry.customer_name,
            owner_id=entry.owner_id,
            region_code=entry.region_code,
            overdue=_money(entry.overdue, entry.currency),
            disputed=_money(entry.disputed, entry.currency),
            oldest_days_past_due=entry.oldest_days_past_due,
            dunning_level=entry.dunning_level,
            grade=entry.grade,
            pd=entry.pd,
            priority=Decimal(entry.priority),
            open_promised=_money(entry.open_promised, entry.currency),
            next_promise_due=entry.next_promise_due,
            broken_promises=entry.broken_promises,
        )


class WorklistOut(OutputModel):
    as_of: date
    total: int
    items: list[WorklistEntryOut]
