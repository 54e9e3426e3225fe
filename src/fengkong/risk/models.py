"""Tables of the risk area: versioned scorecards and grade scales, the score history, each
customer's current rating, analysts' qualitative answers, and the outbox consumer's position."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.config_versions import ConfigVersion
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import BigIntegerKey, enum_type
from fengkong.kit.time import utcnow


class ScoreTrigger(StrEnum):
    """Why a score was computed: on request, a run over everyone, a data change, a demo load."""

    MANUAL = "manual"
    ALL = "all"
    CHANGED = "changed"
    DEMO = "demo"


class Grade(StrEnum):
    """Grades of the master scale, A (safest) to E (riskiest)."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class QualitativeQuestion(StrEnum):
    MARKET_REPUTATION = "market_reputation"
    MANAGEMENT_QUALITY = "management_quality"
    OPERATIONAL_RISK = "operational_risk"
    COMPLIANCE_CONCERN = "compliance_concern"


class ScorecardVersion(ConfigVersion, Base):
    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)


class GradeScaleVersion(ConfigVersion, Base):
    __tablename__ = "grade_scale_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)


class RiskScore(Base):
    """One computed score. Written in batches through Core (one audit entry a batch), and only
    when its ``inputs_hash`` differs from the customer's previous score."""

    __tablename__ = "risk_scores"
    __audited__: ClassVar[bool] = False
    __table_args__ = (
        Index(None, "customer_id", "id"),
        Index(None, "model_version_id", "as_of"),
        CheckConstraint("pd > 0 AND pd < 1", name="pd_is_probability"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(8))
    risk_level: Mapped[str] = mapped_column(String(16))
    pd: Mapped[float] = mapped_column(Float)
    scorecard_version_id: Mapped[int] = mapped_column(
        ForeignKey("scorecard_versions.id", ondelete="RESTRICT")
    )
    grade_scale_version_id: Mapped[int] = mapped_column(
        ForeignKey("grade_scale_versions.id", ondelete="RESTRICT")
    )
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="RESTRICT")
    )
    """The registry entry (the champion) that computed the score; every new row names one, only
    rows older than the registry link may lack it. ``scorecard_version_id`` stays the active
    expert scorecard: its points for an expert champion, its knock-out rules for any champion."""
    inputs_hash: Mapped[str] = mapped_column(String(64))
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    knocked_out_by: Mapped[str | None] = mapped_column(String(64))
    trigger: Mapped[ScoreTrigger] = mapped_column(enum_type(ScoreTrigger, length=16))
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed_by: Mapped[str] = mapped_column(String(64))


class ShadowScore(Base):
    """What a shadow challenger said about a customer in a scoring run: one row per model,
    customer and as-of date (a second run on the same day replaces it). Never read by ratings,
    limits, alerts or credit checks; only the champion-versus-challenger comparison reads it."""

    __tablename__ = "shadow_scores"
    __audited__: ClassVar[bool] = False
    __table_args__ = (
        UniqueConstraint("model_version_id", "as_of", "customer_id"),
        CheckConstraint("pd > 0 AND pd < 1", name="pd_is_probability"),
    )

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True, autoincrement=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    pd: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CustomerRating(Base):
    """The customer's latest score, one row each, so lists filter and sort by grade and score
    without scanning the history."""

    __tablename__ = "customer_ratings"
    __audited__: ClassVar[bool] = False

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    risk_score_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("risk_scores.id", ondelete="CASCADE")
    )
    score: Mapped[float] = mapped_column(Float, index=True)
    grade: Mapped[str] = mapped_column(String(8), index=True)
    pd: Mapped[float] = mapped_column(Float)
    as_of: Mapped[date] = mapped_column()
    inputs_hash: Mapped[str] = mapped_column(String(64))
    """Copies of the score's: whether a rescore changes anything is read here, not from the
    score's wide row (revision 0022)."""
    model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id", ondelete="RESTRICT")
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualitativeAssessment(Base):
    """An analyst's answer to one questionnaire question (1 = best … 5 = worst), with the evidence
    and the date it holds from: scores as of an earlier date do not see it."""

    __tablename__ = "qualitative_assessments"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="qualitative_assessed", updated="qualitative_assessed"
    )
    __table_args__ = (
        Index(None, "customer_id", "question", "assessed_on"),
        CheckConstraint("answer BETWEEN 1 AND 5", name="answer_one_to_five"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    question: Mapped[QualitativeQuestion] = mapped_column(enum_type(QualitativeQuestion))
    answer: Mapped[int] = mapped_column()
    evidence: Mapped[str] = mapped_column(Text)
    assessed_on: Mapped[date] = mapped_column()
    assessed_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsumerPosition(Base):
    """The last outbox event a consumer has handled: it resumes after it, so each event is acted
    on once even across restarts."""

    __tablename__ = "consumer_positions"
    __audited__: ClassVar[bool] = False

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
