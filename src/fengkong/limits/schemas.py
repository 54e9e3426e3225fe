"""API shapes of limits, recommendations, limit requests, blocks and limit policies. Reason
lines come as a key, the values and the text in the caller's language."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.money import Money
from fengkong.kit.schemas import InputModel, MoneyIn, MoneyOut, OutputModel
from fengkong.limits import messages
from fengkong.limits.models import (
    CreditBlock,
    CreditLimit,
    LimitRequest,
    LimitRequestComment,
    LimitRequestDecision,
)
from fengkong.limits.policy import ReasonLine
from fengkong.limits.service import (
    BlockView,
    CustomerLimit,
    LimitInForce,
    LimitRecommendation,
    RequestDetail,
)
from fengkong.limits.status import (
    BlockKind,
    BlockSource,
    BlockStatus,
    Decision,
    LimitKind,
    LimitStatus,
    RequestKind,
    RequestStatus,
)
from fengkong.settings import Locale

MAX_POLICY_BYTES = 200_000


def _money(minor: int, currency: str) -> MoneyOut:
    out = MoneyOut.of(Money.from_minor_units(minor, currency))
    assert out is not None  # noqa: S101 - a Money always gives one
    return out


class ReasonLineOut(OutputModel):
    key: str
    values: dict[str, Any] = Field(description="amounts in minor units")
    text: str

    @classmethod
    def of(cls, line: ReasonLine, currency: str, locale: Locale) -> ReasonLineOut:
        return cls(
            key=line.key,
            values={key: to_jsonable(value) for key, value in line.values.items()},
            text=messages.text(line.key, line.values, currency, locale),
        )


class RecommendationOut(OutputModel):
    amount: MoneyOut
    grade: str | None
    risk_class: str
    basis: str = Field(description="equity, revenue, cap, starter or none")
    policy_name: str
    policy_version: int | None = Field(description="null: the shipped policy, not yet stored")
    reasons: list[ReasonLineOut]

    @classmethod
    def of(cls, found: LimitRecommendation, locale: Locale) -> RecommendationOut:
        currency = found.amount.currency
        return cls(
            amount=_money(found.amount.minor_units, currency),
            grade=found.grade,
            risk_class=found.risk_class,
            basis=found.basis,
            policy_name=found.policy_name,
            policy_version=found.policy_version,
            reasons=[ReasonLineOut.of(line, currency, locale) for line in found.reasons],
        )


class LimitInForceOut(OutputModel):
    amount: MoneyOut
    permanent: MoneyOut | None
    temporary: MoneyOut
    kind: LimitKind
    valid_until: date | None
    limit_id: int
    risk_class: str

    @classmethod
    def of(cls, found: LimitInForce) -> LimitInForceOut:
        return cls(
            amount=_money(found.amount.minor_units, found.amount.currency),
            permanent=MoneyOut.of(found.permanent),
            temporary=_money(found.temporary.minor_units, found.temporary.currency),
            kind=found.kind,
            valid_until=found.valid_until,
            limit_id=found.limit_id,
            risk_class=found.risk_class,
        )


class CreditLimitOut(OutputModel):
    id: int
    customer_id: int
    kind: LimitKind
    amount: MoneyOut
    valid_from: date
    valid_until: date | None
    status: LimitStatus
    request_id: int | None
    policy_version_id: int | None
    granted_by: str
    created_at: datetime
    ended_at: datetime | None
    ended_by: str | None

    @classmethod
    def of(cls, row: CreditLimit) -> CreditLimitOut:
        values = {key: getattr(row, key) for key in cls.model_fields if key != "amount"}
        return cls(**values, amount=_money(row.amount_minor, row.currency))


class BlockOut(OutputModel):
    id: int
    customer_id: int
    kind: BlockKind
    reason: str
    source: BlockSource
    rule_name: str | None
    findings: dict[str, Any] | None
    status: BlockStatus
    set_by: str
    set_at: datetime
    confirmed_by: str | None
    confirmed_at: datetime | None
    released_by: str | None
    released_at: datetime | None
    release_reason: str | None
    suppressed_until: date | None
    version: int

    @classmethod
    def of(cls, row: CreditBlock) -> BlockOut:
        return cls.model_validate(row)


class BlockViewOut(OutputModel):
    block_id: int
    kind: BlockKind
    reason: str
    source: str = Field(description="manual or rule:<name>")
    set_by: str
    set_at: datetime
    confirmed: bool

    @classmethod
    def of(cls, view: BlockView) -> BlockViewOut:
        return cls.model_validate(view)


class BlockList(OutputModel):
    items: list[BlockOut]


class BlockIn(InputModel):
    kind: BlockKind
    reason: str = Field(min_length=1, max_length=500)


class BlockReleaseIn(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class LimitRequestIn(InputModel):
    customer_id: int
    kind: RequestKind
    amount: MoneyIn = Field(
        description="new/increase/decrease: the permanent limit asked for; temporary: the "
        "amount on top"
    )
    valid_until: date | None = Field(default=None, description="temporary limits only")
    justification: str = Field(min_length=1, max_length=4_000)


class DecisionIn(InputModel):
    decision: Decision
    comment: str | None = Field(default=None, max_length=4_000)


class WithdrawIn(InputModel):
    comment: str | None = Field(default=None, max_length=4_000)


class CommentIn(InputModel):
    body: str = Field(min_length=1, max_length=4_000)


class DecisionOut(OutputModel):
    decision: Decision
    decided_by: str
    role: str
    comment: str | None
    decided_at: datetime

    @classmethod
    def of(cls, row: LimitRequestDecision) -> DecisionOut:
        return cls.model_validate(row)


class CommentOut(OutputModel):
    id: int
    author: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: LimitRequestComment) -> CommentOut:
        return cls.model_validate(row)


class LimitRequestOut(OutputModel):
    id: int
    customer_id: int
    kind: RequestKind
    amount: MoneyOut
    valid_until: date | None
    justification: str
    status: RequestStatus
    requested_by: str
    submitted_at: datetime
    expires_on: date
    decided_at: datetime | None
    grade: str | None
    tier: str
    tier_amount: MoneyOut = Field(description="the limit in force after approval")
    approver_roles: list[str]
    required_approvals: int
    current: MoneyOut = Field(description="the limit in force at submission")
    recommended: MoneyOut = Field(description="the policy's recommendation at submission")
    policy_version_id: int
    version: int

    @classmethod
    def of(cls, row: LimitRequest) -> LimitRequestOut:
        plain = {
            key: getattr(row, key)
            for key in cls.model_fields
            if key not in {"amount", "tier_amount", "current", "recommended"}
        }
        return cls(
            **plain,
            amount=_money(row.amount_minor, row.currency),
            tier_amount=_money(row.tier_amount_minor, row.currency),
            current=_money(row.current_minor, row.currency),
            recommended=_money(row.recommended_minor, row.currency),
        )


class LimitRequestDetailOut(LimitRequestOut):
    approvals: int
    decisions: list[DecisionOut]
    comments: list[CommentOut]

    @classmethod
    def of_detail(cls, detail: RequestDetail) -> LimitRequestDetailOut:
        return cls(
            **LimitRequestOut.of(detail.request).model_dump(),
            approvals=detail.approvals,
            decisions=[DecisionOut.of(row) for row in detail.decisions],
            comments=[CommentOut.of(row) for row in detail.comments],
        )


class LimitRequestList(OutputModel):
    items: list[LimitRequestOut]


class CustomerLimitOut(OutputModel):
    customer_id: int
    in_force: LimitInForceOut | None
    recommendation: RecommendationOut
    history: list[CreditLimitOut]
    open_requests: list[LimitRequestOut]
    blocks: list[BlockViewOut]

    @classmethod
    def of(cls, found: CustomerLimit, locale: Locale) -> CustomerLimitOut:
        return cls(
            customer_id=found.customer_id,
            in_force=LimitInForceOut.of(found.in_force) if found.in_force else None,
            recommendation=RecommendationOut.of(found.recommendation, locale),
            history=[CreditLimitOut.of(row) for row in found.history],
            open_requests=[LimitRequestOut.of(row) for row in found.open_requests],
            blocks=[BlockViewOut.of(view) for view in found.blocks],
        )
