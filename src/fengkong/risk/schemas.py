"""API shapes of scores, score history, what-if payloads, stored configurations and the
qualitative questionnaire. Reason texts are given in one language, the caller's."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field, field_validator

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.risk.models import (
    QualitativeAssessment,
    QualitativeQuestion,
    ScoreTrigger,
)
from fengkong.risk.service import FactorResult, HistoryEntry, ModelRef, RiskResult
from fengkong.scoring.explain import Reason
from fengkong.scoring.features import FEATURE_NAMES
from fengkong.settings import Locale

MAX_CONFIG_BYTES = 1_000_000


class FactorOut(OutputModel):
    name: str
    value: float | None = Field(description="the feature's value; null when it is missing")
    score: float = Field(description="the band score 0..100 (100 = safest)")
    points: float
    weight: float
    reason_code: str | None
    reason: str | None = Field(description="why the factor lost points, in the caller's language")

    @classmethod
    def of(cls, factor: FactorResult, locale: Locale) -> FactorOut:
        return cls(
            name=factor.feature,
            value=factor.value,
            score=factor.score,
            points=factor.points,
            weight=factor.weight,
            reason_code=factor.reason_code,
            reason=factor.reason_zh if locale == "zh_CN" else factor.reason_en,
        )


class ReasonOut(OutputModel):
    code: str
    feature: str
    value: float | None
    points: float
    lost: float = Field(description="points the factor fell short of its maximum")
    text: str

    @classmethod
    def of(cls, reason: Reason, locale: Locale) -> ReasonOut:
        return cls(
            code=reason.code,
            feature=reason.feature,
            value=reason.value,
            points=reason.points,
            lost=reason.lost,
            text=reason.text_zh if locale == "zh_CN" else reason.text_en,
        )


class ModelRefOut(OutputModel):
    """The registry entry that made a score (``GET /api/v1/models/{id}``)."""

    id: int
    name: str
    version: int
    kind: str = Field(description="expert, scorecard (trained) or gbm (LightGBM)")

    @classmethod
    def of(cls, model: ModelRef | None) -> ModelRefOut | None:
        if model is None:
            return None
        return cls(id=model.id, name=model.name, version=model.version, kind=model.kind)


class RiskOut(OutputModel):
    customer_id: int | None
    score: float = Field(description="0..1000, higher is safer")
    grade: str
    risk_level: str
    pd: float = Field(
        description="probability of default: the grade's (expert scorecard) or the model's "
        "(trained model)"
    )
    as_of: date | None
    scoring_model: ModelRefOut | None = Field(
        description="the model that made the score; null for a what-if and for scores stored "
        "before models were recorded"
    )
    model_name: str = Field(description="the expert scorecard's name")
    model_version: int | None = Field(
        description="stored expert scorecard version (its points, or the knock-outs a trained "
        "model obeys); null = shipped"
    )
    scale_name: str
    scale_version: int | None = Field(description="stored grade-scale version; null = shipped")
    knocked_out_by: str | None
    computed_at: datetime | None
    trigger: ScoreTrigger | None
    factors: list[FactorOut]
    reasons: list[ReasonOut]

    @classmethod
    def of(cls, result: RiskResult, locale: Locale) -> RiskOut:
        return cls(
            customer_id=result.customer_id,
            score=result.score,
            grade=result.grade,
            risk_level=result.risk_level,
            pd=result.pd,
            as_of=result.as_of,
            scoring_model=ModelRefOut.of(result.model),
            model_name=result.scorecard_name,
            model_version=result.scorecard_version,
            scale_name=result.scale_name,
            scale_version=result.scale_version,
            knocked_out_by=result.knocked_out_by,
            computed_at=result.computed_at,
            trigger=result.trigger,
            factors=[FactorOut.of(factor, locale) for factor in result.factors],
            reasons=[ReasonOut.of(reason, locale) for reason in result.reasons],
        )


class HistoryEntryOut(OutputModel):
    risk_score_id: int
    as_of: date
    score: float
    grade: str
    risk_level: str
    pd: float
    model_version: int
    scale_version: int
    trigger: ScoreTrigger
    computed_at: datetime
    scoring_model: ModelRefOut | None

    @classmethod
    def of(cls, entry: HistoryEntry) -> HistoryEntryOut:
        return cls(
            risk_score_id=entry.risk_score_id,
            as_of=entry.as_of,
            score=entry.score,
            grade=entry.grade,
            risk_level=entry.risk_level,
            pd=entry.pd,
            model_version=entry.scorecard_version,
            scale_version=entry.scale_version,
            trigger=entry.trigger,
            computed_at=entry.computed_at,
            scoring_model=ModelRefOut.of(entry.model),
        )


class HistoryOut(OutputModel):
    customer_id: int
    items: list[HistoryEntryOut]


class WhatIfIn(InputModel):
    features: dict[str, float | None] = Field(
        description="feature name → value; features left out or null count as missing"
    )
    model_version: int | None = Field(
        default=None, description="a stored scorecard version (default: the active one)"
    )

    @field_validator("features")
    @classmethod
    def _known(cls, value: dict[str, float | None]) -> dict[str, float | None]:
        unknown = sorted(name for name in value if name not in FEATURE_NAMES)
        if unknown:
            raise ValueError(f"unknown feature {', '.join(unknown)}")
        return value


class AssessmentIn(InputModel):
    question: QualitativeQuestion
    answer: int = Field(ge=1, le=5, description="1 = best … 5 = worst")
    evidence: str = Field(min_length=1, max_length=10_000)
    assessed_on: date


class AssessmentOut(OutputModel):
    id: int
    customer_id: int
    question: QualitativeQuestion
    answer: int
    evidence: str
    assessed_on: date
    assessed_by: str
    created_at: datetime

    @classmethod
    def of(cls, assessment: QualitativeAssessment) -> AssessmentOut:
        return cls.model_validate(assessment)


class AssessmentList(OutputModel):
    items: list[AssessmentOut]
