"""API shapes of a pull and of the cost counter."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from fengkong.connectors.models import DataKind, PullOutcome
from fengkong.connectors.service import KINDS, CostReport, PullSummary
from fengkong.customers.status import USCCVerification
from fengkong.kit.schemas import InputModel, MoneyOut, OutputModel


class PullRequest(InputModel):
    kinds: list[DataKind] = Field(default_factory=lambda: list(KINDS), min_length=1)
    force: bool = Field(default=False, description="pull even if the data is recent enough")


class CallRead(OutputModel):
    provider: str
    outcome: PullOutcome
    cost: MoneyOut | None
    detail: str | None


class KindResultRead(OutputModel):
    kind: DataKind
    outcome: PullOutcome | None = Field(description="null: no provider is configured")
    provider: str | None
    created: int
    updated: int
    unchanged: int
    skipped: int
    unverified: int
    fresh_as_of: date | None
    verification: USCCVerification | None
    filled_fields: list[str]
    calls: list[CallRead]
    costs: list[MoneyOut]


class PullSummaryRead(OutputModel):
    customer_id: int
    results: list[KindResultRead]
    costs: list[MoneyOut]

    @classmethod
    def of(cls, summary: PullSummary) -> PullSummaryRead:
        return cls.model_validate(summary)


class ProviderCostsRead(OutputModel):
    provider: str
    calls: int
    found: int
    costs: list[MoneyOut]


class MonthCostsRead(OutputModel):
    month: str
    provider: str
    calls: int
    costs: list[MoneyOut]


class CostReportRead(OutputModel):
    providers: list[ProviderCostsRead]
    months: list[MonthCostsRead]
    total: list[MoneyOut]

    @classmethod
    def of(cls, report: CostReport) -> CostReportRead:
        return cls.model_validate(report)
