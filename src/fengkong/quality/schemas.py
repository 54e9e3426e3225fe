"""API shapes of the data-quality reports."""

from __future__ import annotations

from datetime import date, datetime

from fengkong.connectors.models import DataKind, PullOutcome
from fengkong.customers.status import USCCVerification
from fengkong.kit.provenance import DataSource
from fengkong.kit.schemas import MoneyOut, OutputModel
from fengkong.quality.rules import Issue, KeyField
from fengkong.quality.service import Category, CustomerQuality, PortfolioQuality


class StalenessRead(OutputModel):
    latest: date | None
    cutoff: date
    months: int
    stale: bool


class SourceRead(OutputModel):
    category: Category
    records: int
    source: DataSource | None
    reference: str | None
    sourced_at: datetime | None
    age_days: int | None
    verified: int | None
    unverified: int | None


class LatestPullRead(OutputModel):
    kind: DataKind
    provider: str
    outcome: PullOutcome
    requested_at: datetime
    cost: MoneyOut | None


class CustomerQualityRead(OutputModel):
    customer_id: int
    name: str
    as_of: date
    score: float
    complete: list[KeyField]
    missing: list[KeyField]
    issues: list[Issue]
    statement: StalenessRead
    report: StalenessRead
    uscc_verification: USCCVerification
    uscc_verified_at: datetime | None
    uscc_verification_note: str | None
    sources: list[SourceRead]
    pulls: list[LatestPullRead]

    @classmethod
    def of(cls, quality: CustomerQuality) -> CustomerQualityRead:
        return cls.model_validate(quality)


class ThresholdsRead(OutputModel):
    statement_stale_months: int
    report_stale_months: int


class IssueCountRead(OutputModel):
    issue: Issue
    customers: int
    share: float


class CustomerScoreRead(OutputModel):
    customer_id: int
    name: str
    uscc: str
    score: float
    issues: list[Issue]


class PortfolioQualityRead(OutputModel):
    as_of: date
    thresholds: ThresholdsRead
    customers: int
    average_score: float
    complete_files: int
    issues: list[IssueCountRead]
    worst: list[CustomerScoreRead]

    @classmethod
    def of(cls, quality: PortfolioQuality) -> PortfolioQualityRead:
        return cls.model_validate(quality)
