"""Tables of the model registry: one row per model version, and the decisions taken on it.

The artefact is stored as text — a scorecard's JSON document, LightGBM's text model (with its
metadata JSON beside it), or an expert scorecard's YAML — never pickle, so loading a model never
executes code. The audit log records every change but not the large texts themselves (their
SHA-256 stays in the row and in the audit entry).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import enum_type
from fengkong.kit.time import utcnow
from fengkong.models.status import DriftStatus, ModelAction, ModelKind, ModelState

_ONE_CHAMPION = "state = 'champion'"


class ModelVersion(Base):
    """A registered model version. At most one version of a name is champion (a partial unique
    index); ``promoted_at`` marks versions that were champion once, the only ones rollback may
    bring back."""

    __tablename__ = "model_versions"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="model_registered", updated="model_changed"
    )
    __audit_redact__: ClassVar[frozenset[str]] = frozenset(
        {"artefact", "artefact_metadata", "metrics", "report_html"}
    )
    __table_args__ = (
        UniqueConstraint("name", "version"),
        Index(None, "state", "name"),
        Index(
            "uq_model_versions_one_champion",
            "name",
            unique=True,
            postgresql_where=text(_ONE_CHAMPION),
            sqlite_where=text(_ONE_CHAMPION),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column()
    kind: Mapped[ModelKind] = mapped_column(enum_type(ModelKind, length=16))
    state: Mapped[ModelState] = mapped_column(
        enum_type(ModelState, length=16), default=ModelState.DRAFT
    )
    artefact: Mapped[str] = mapped_column(Text)
    artefact_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    artefact_sha256: Mapped[str] = mapped_column(String(64))
    data_hash: Mapped[str | None] = mapped_column(String(80))
    features: Mapped[list[str]] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    report_html: Mapped[str | None] = mapped_column(Text)
    scorecard_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("scorecard_versions.id", ondelete="RESTRICT")
    )
    author: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    validated_by: Mapped[str | None] = mapped_column(String(64))
    validated_at: Mapped[datetime | None] = mapped_column()
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_at: Mapped[datetime | None] = mapped_column()
    promoted_at: Mapped[datetime | None] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(Text)
    shadow: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    """A challenger scoring beside the champion on live data (``shadow_scores``), never deciding."""


class ModelDecision(Base):
    """One step in a model version's history: who did what, from which state to which, and why."""

    __tablename__ = "model_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[ModelAction] = mapped_column(enum_type(ModelAction, length=16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    """``None`` for the registration; a plain string so one table holds one ``modelstate`` check."""
    to_state: Mapped[ModelState] = mapped_column(enum_type(ModelState, length=16))
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    role: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModelDriftCheck(Base):
    """One day's drift check of a champion: the PSI of the live score distribution (the current
    score of each customer whose latest score the model made) against the model's development
    distribution, the verdict, and the bins behind it. One row per model and day; ``alerted_at``
    is set on the check that crossed the threshold and notified the owner (flips only)."""

    __tablename__ = "model_drift_checks"
    __table_args__ = (UniqueConstraint("model_version_id", "checked_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_version_id: Mapped[int] = mapped_column(
        ForeignKey("model_versions.id", ondelete="CASCADE")
    )
    checked_on: Mapped[date] = mapped_column()
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    checked_by: Mapped[str] = mapped_column(String(64))
    status: Mapped[DriftStatus] = mapped_column(enum_type(DriftStatus, length=16))
    variable: Mapped[str] = mapped_column(String(8))
    """``pd`` (trained models) or ``score`` (the expert scorecard): the column binned."""
    n_scores: Mapped[int] = mapped_column()
    psi: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    baseline_source: Mapped[str | None] = mapped_column(String(16))
    """Where the reference came from: ``training``, ``holdout`` or ``live`` (a snapshot)."""
    bins: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """Per bin: bounds, reference share, live share and its part of the PSI."""
    distribution: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """On a ``baseline`` check: the live distribution taken as the model's reference."""
    alerted_at: Mapped[datetime | None] = mapped_column()
