"""API shapes of the model registry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.models.artefacts import headline
from fengkong.models.models import ModelDecision, ModelVersion
from fengkong.models.status import ModelAction, ModelKind, ModelState


class ModelIn(InputModel):
    """A trained model as JSON: ``artefact`` is the text of ``scorecard.json`` (kind scorecard)
    or of ``model.txt`` (kind gbm, with ``metadata`` = ``model.json``); ``metrics`` is the
    lab's ``validation.json`` and ``report_html`` its ``report.html``."""

    name: str = Field(min_length=1, max_length=100)
    kind: ModelKind
    artefact: str = Field(min_length=1, max_length=50 * 1024 * 1024)
    metadata: dict[str, Any] | None = None
    metrics: dict[str, Any] | None = None
    report_html: str | None = Field(default=None, max_length=20 * 1024 * 1024)
    notes: str | None = Field(default=None, max_length=4000)


class DecisionIn(InputModel):
    comment: str | None = Field(default=None, max_length=4000)


class RejectIn(InputModel):
    comment: str = Field(min_length=1, max_length=4000)


class RollbackIn(InputModel):
    name: str = Field(min_length=1, max_length=100)
    to_version: int = Field(ge=1)
    comment: str | None = Field(default=None, max_length=4000)


class ModelOut(OutputModel):
    id: int
    name: str
    version: int
    kind: ModelKind
    state: ModelState
    auc: float | None
    ks: float | None
    artefact_sha256: str
    data_hash: str | None
    features: list[str]
    author: str
    created_at: datetime
    validated_by: str | None
    validated_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    promoted_at: datetime | None
    retired_at: datetime | None
    scorecard_version_id: int | None
    has_report: bool
    notes: str | None

    @classmethod
    def of(cls, model: ModelVersion) -> ModelOut:
        auc, ks = headline(model.metrics)
        return cls(
            id=model.id,
            name=model.name,
            version=model.version,
            kind=model.kind,
            state=model.state,
            auc=auc,
            ks=ks,
            artefact_sha256=model.artefact_sha256,
            data_hash=model.data_hash,
            features=list(model.features),
            author=model.author,
            created_at=model.created_at,
            validated_by=model.validated_by,
            validated_at=model.validated_at,
            approved_by=model.approved_by,
            approved_at=model.approved_at,
            promoted_at=model.promoted_at,
            retired_at=model.retired_at,
            scorecard_version_id=model.scorecard_version_id,
            has_report=model.report_html is not None,
            notes=model.notes,
        )


class DecisionOut(OutputModel):
    action: ModelAction
    from_state: str | None
    to_state: ModelState
    decided_by: str
    role: str
    comment: str | None
    decided_at: datetime


class ModelDetailOut(ModelOut):
    parameters: dict[str, Any]
    metrics: dict[str, Any] | None
    history: list[DecisionOut]

    @classmethod
    def detail(cls, model: ModelVersion, history: list[ModelDecision]) -> ModelDetailOut:
        base = ModelOut.of(model).model_dump()
        metrics = dict(model.metrics) if model.metrics else None
        if metrics is not None:
            metrics.pop("roc", None)
        return cls(
            **base,
            parameters=dict(model.parameters),
            metrics=metrics,
            history=[DecisionOut.model_validate(d) for d in history],
        )


class ModelList(OutputModel):
    items: list[ModelOut]
