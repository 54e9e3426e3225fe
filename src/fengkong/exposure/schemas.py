"""Inputs of the exposure area's writes and the API shapes of its records and results."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar

from pydantic import Field

from fengkong.exposure.loss import SecuredPart
from fengkong.exposure.models import FxRate, InvoiceDispute
from fengkong.exposure.results import (
    Breakdown,
    CreditExposure,
    CustomerExposure,
    GroupExposure,
    PortfolioExposure,
    Ranked,
)
from fengkong.exposure.status import (
    DisputeResolution,
    DisputeStatus,
    MitigantKind,
    MitigantStatus,
)
from fengkong.kit.amounts import PositiveMoneyIn
from fengkong.kit.money import Money
from fengkong.kit.schemas import Amount, InputModel, MoneyOut, OutputModel
from fengkong.records import RecordRead, RecordUpdate

# --- inputs ---------------------------------------------------------------------------------


class MitigantCreate(InputModel):
    kind: MitigantKind
    provider: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    amount: PositiveMoneyIn
    valid_from: date
    valid_until: date | None = None
    haircut: float | None = Field(
        default=None, ge=0, le=1, description="default: the kind's haircut in the configuration"
    )


class MitigantUpdate(RecordUpdate):
    __not_null__: ClassVar[frozenset[str]] = frozenset({"amount", "valid_from", "haircut"})

    provider: str | None = Field(default=None, max_length=200)
    description: str | None = Field(default=None, max_length=500)
    amount: PositiveMoneyIn | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    haircut: float | None = Field(default=None, ge=0, le=1)


class DisputeCreate(InputModel):
    amount: PositiveMoneyIn = Field(description="at most what is outstanding and undisputed")
    reason: str = Field(min_length=1, max_length=1000)
    opened_on: date | None = Field(default=None, description="default: today")


class DisputeResolve(InputModel):
    resolution: DisputeResolution
    note: str | None = Field(default=None, max_length=1000)
    resolved_on: date | None = Field(default=None, description="default: today")


class FxRateIn(InputModel):
    currency: str = Field(min_length=3, max_length=3)
    as_of: date
    rate: Amount = Field(description="units of CNY one unit of the currency is worth")


# --- records --------------------------------------------------------------------------------


class MitigantRead(RecordRead):
    customer_id: int
    kind: MitigantKind
    provider: str | None
    description: str | None
    amount: MoneyOut
    valid_from: date
    valid_until: date | None
    haircut: float
    status: MitigantStatus
    covered: MoneyOut = Field(description="amount × (1 − haircut): what it counts for")


class MitigantList(OutputModel):
    items: list[MitigantRead]


class DisputeRead(OutputModel):
    id: int
    version: int
    invoice_id: int
    customer_id: int
    amount: MoneyOut
    reason: str
    status: DisputeStatus
    opened_on: date
    opened_by: str
    resolved_on: date | None
    resolved_by: str | None
    resolution: DisputeResolution | None
    resolution_note: str | None

    @classmethod
    def of(cls, dispute: InvoiceDispute) -> DisputeRead:
        return cls.model_validate(
            {key: getattr(dispute, key) for key in cls.model_fields if key != "amount"}
            | {"amount": MoneyOut.of(dispute.amount)}
        )


class DisputeList(OutputModel):
    items: list[DisputeRead]


class FxRateOut(OutputModel):
    currency: str
    as_of: date
    rate: Amount
    recorded_by: str

    @classmethod
    def of(cls, row: FxRate) -> FxRateOut:
        return cls(
            currency=row.currency,
            as_of=row.as_of,
            rate=Decimal(row.rate),
            recorded_by=row.recorded_by,
        )


class FxRateList(OutputModel):
    items: list[FxRateOut]


# --- results --------------------------------------------------------------------------------


def _money(minor: int, currency: str) -> MoneyOut:
    out = MoneyOut.of(Money.from_minor_units(minor, currency))
    assert out is not None  # noqa: S101 - a Money always gives one
    return out


def _unconverted(amounts: dict[str, int]) -> list[MoneyOut]:
    return [_money(minor, currency) for currency, minor in sorted(amounts.items())]


class SecuredOut(OutputModel):
    mitigant_id: int | None
    kind: MitigantKind
    amount: MoneyOut
    lgd: float

    @classmethod
    def of(cls, part: SecuredPart, currency: str) -> SecuredOut:
        return cls(
            mitigant_id=part.mitigant_id,
            kind=part.kind,
            amount=_money(part.amount, currency),
            lgd=part.lgd,
        )


class CreditExposureOut(OutputModel):
    customer_id: int
    as_of: date
    exposure: MoneyOut
    open_receivables: MoneyOut
    open_orders: MoneyOut
    overdue: MoneyOut
    oldest_days_past_due: int
    disputed: MoneyOut
    unapplied_payments: MoneyOut

    @classmethod
    def of(cls, result: CreditExposure) -> CreditExposureOut:
        c = result.currency
        return cls(
            customer_id=result.customer_id,
            as_of=result.as_of,
            exposure=_money(result.exposure, c),
            open_receivables=_money(result.open_receivables, c),
            open_orders=_money(result.open_orders, c),
            overdue=_money(result.overdue, c),
            oldest_days_past_due=result.oldest_days_past_due,
            disputed=_money(result.disputed, c),
            unapplied_payments=_money(result.unapplied_payments, c),
        )


class ExposureOut(OutputModel):
    customer_id: int
    as_of: date
    currency: str
    receivables_by_bucket: dict[str, MoneyOut]
    open_receivables: MoneyOut
    overdue: MoneyOut
    oldest_days_past_due: int
    disputed: MoneyOut
    unapplied_payments: MoneyOut
    open_orders: MoneyOut
    contract_commitments: MoneyOut
    gross_exposure: MoneyOut
    mitigation: MoneyOut
    net_exposure: MoneyOut
    ead: MoneyOut = Field(description="exposure at default")
    commitment_ccf: float
    secured: list[SecuredOut]
    unsecured: MoneyOut
    industry_lgd: float
    lgd: float = Field(description="blended over EAD: unsecured part and each secured part")
    grade: str | None
    pd: float | None
    expected_loss: MoneyOut | None = Field(description="PD × LGD × EAD; null while unrated")
    config: str = Field(description="name and SHA-256 of the LGD configuration used")
    unconverted: list[MoneyOut] = Field(description="amounts in currencies without a rate")

    @classmethod
    def of(cls, result: CustomerExposure) -> ExposureOut:
        c = result.currency
        return cls(
            customer_id=result.customer_id,
            as_of=result.as_of,
            currency=c,
            receivables_by_bucket={
                name: _money(amount, c) for name, amount in result.receivables_by_bucket.items()
            },
            open_receivables=_money(result.open_receivables, c),
            overdue=_money(result.overdue, c),
            oldest_days_past_due=result.oldest_days_past_due,
            disputed=_money(result.disputed, c),
            unapplied_payments=_money(result.unapplied_payments, c),
            open_orders=_money(result.open_orders, c),
            contract_commitments=_money(result.contract_commitments, c),
            gross_exposure=_money(result.gross_exposure, c),
            mitigation=_money(result.mitigation, c),
            net_exposure=_money(result.net_exposure, c),
            ead=_money(result.ead, c),
            commitment_ccf=result.commitment_ccf,
            secured=[SecuredOut.of(part, c) for part in result.secured],
            unsecured=_money(result.unsecured, c),
            industry_lgd=result.industry_lgd,
            lgd=result.lgd,
            grade=result.grade,
            pd=result.pd,
            expected_loss=(
                None if result.expected_loss is None else _money(result.expected_loss, c)
            ),
            config=f"{result.config_name}@{result.config_sha256[:12]}",
            unconverted=_unconverted(result.unconverted),
        )


class GroupMemberOut(OutputModel):
    customer_id: int
    name: str
    gross_exposure: MoneyOut
    net_exposure: MoneyOut
    ead: MoneyOut
    grade: str | None
    expected_loss: MoneyOut | None


class GroupExposureOut(OutputModel):
    customer_id: int
    as_of: date
    currency: str
    members: list[GroupMemberOut]
    gross_exposure: MoneyOut
    mitigation: MoneyOut
    net_exposure: MoneyOut
    ead: MoneyOut
    expected_loss: MoneyOut = Field(description="over the rated members")
    unrated_ead: MoneyOut
    unconverted: list[MoneyOut]

    @classmethod
    def of(cls, result: GroupExposure) -> GroupExposureOut:
        c = result.currency
        return cls(
            customer_id=result.customer_id,
            as_of=result.as_of,
            currency=c,
            members=[
                GroupMemberOut(
                    customer_id=member.customer_id,
                    name=member.name,
                    gross_exposure=_money(member.exposure.gross_exposure, c),
                    net_exposure=_money(member.exposure.net_exposure, c),
                    ead=_money(member.exposure.ead, c),
                    grade=member.exposure.grade,
                    expected_loss=(
                        None
                        if member.exposure.expected_loss is None
                        else _money(member.exposure.expected_loss, c)
                    ),
                )
                for member in result.members
            ],
            gross_exposure=_money(result.gross_exposure, c),
            mitigation=_money(result.mitigation, c),
            net_exposure=_money(result.net_exposure, c),
            ead=_money(result.ead, c),
            expected_loss=_money(result.expected_loss, c),
            unrated_ead=_money(result.unrated_ead, c),
            unconverted=_unconverted(result.unconverted),
        )


class BreakdownOut(OutputModel):
    key: str
    customers: int
    gross_exposure: MoneyOut
    net_exposure: MoneyOut
    ead: MoneyOut
    expected_loss: MoneyOut
    unrated_ead: MoneyOut

    @classmethod
    def of(cls, row: Breakdown, currency: str) -> BreakdownOut:
        return cls(
            key=row.key,
            customers=row.customers,
            gross_exposure=_money(row.gross_exposure, currency),
            net_exposure=_money(row.net_exposure, currency),
            ead=_money(row.ead, currency),
            expected_loss=_money(row.expected_loss, currency),
            unrated_ead=_money(row.unrated_ead, currency),
        )


class RankedOut(OutputModel):
    customer_id: int = Field(description="the customer, or the group's customer with the lowest id")
    name: str
    net_exposure: MoneyOut
    share: float
    members: int

    @classmethod
    def of(cls, row: Ranked, currency: str) -> RankedOut:
        return cls(
            customer_id=row.key,
            name=row.name,
            net_exposure=_money(row.net_exposure, currency),
            share=row.share,
            members=row.members,
        )


class ConcentrationOut(OutputModel):
    top10_share: float
    herfindahl: float = Field(description="Σ share², 0..1 (× 10,000 for HHI points)")
    top: list[RankedOut]


class PortfolioOut(OutputModel):
    as_of: date
    currency: str
    customers: int
    receivables_by_bucket: dict[str, MoneyOut]
    open_receivables: MoneyOut
    open_orders: MoneyOut
    contract_commitments: MoneyOut
    gross_exposure: MoneyOut
    mitigation: MoneyOut
    net_exposure: MoneyOut
    ead: MoneyOut
    expected_loss: MoneyOut = Field(description="over rated customers")
    unrated_ead: MoneyOut
    by_grade: list[BreakdownOut]
    by_industry: list[BreakdownOut]
    by_region: list[BreakdownOut]
    concentration: ConcentrationOut
    group_concentration: ConcentrationOut
    config_sha256: str
    unconverted: list[MoneyOut]

    @classmethod
    def of(cls, result: PortfolioExposure) -> PortfolioOut:
        c = result.currency
        return cls(
            as_of=result.as_of,
            currency=c,
            customers=result.customers,
            receivables_by_bucket={
                name: _money(amount, c) for name, amount in result.receivables_by_bucket.items()
            },
            open_receivables=_money(result.open_receivables, c),
            open_orders=_money(result.open_orders, c),
            contract_commitments=_money(result.contract_commitments, c),
            gross_exposure=_money(result.gross_exposure, c),
            mitigation=_money(result.mitigation, c),
            net_exposure=_money(result.net_exposure, c),
            ead=_money(result.ead, c),
            expected_loss=_money(result.expected_loss, c),
            unrated_ead=_money(result.unrated_ead, c),
            by_grade=[BreakdownOut.of(row, c) for row in result.by_grade],
            by_industry=[BreakdownOut.of(row, c) for row in result.by_industry],
            by_region=[BreakdownOut.of(row, c) for row in result.by_region],
            concentration=ConcentrationOut(
                top10_share=result.top_share,
                herfindahl=result.herfindahl,
                top=[RankedOut.of(row, c) for row in result.top],
            ),
            group_concentration=ConcentrationOut(
                top10_share=result.group_top_share,
                herfindahl=result.group_herfindahl,
                top=[RankedOut.of(row, c) for row in result.top_groups],
            ),
            config_sha256=result.config_sha256,
            unconverted=_unconverted(result.unconverted),
        )
