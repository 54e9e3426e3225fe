"""API shapes of the model registry."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field

from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.models.artefacts import headline
from fengkong.models.models import ModelDecision, ModelVersion
from fengkong.models.status import DriftStatus, ModelAction, ModelKind, ModelState

if TYPE_CHECKING:
    from fengkong.models.shadow import ShadowComparison


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
    shadow: bool = Field(description="scores beside the champion on live data (shadow scoring)")

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
            shadow=model.shadow,
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


class DriftCheckOut(OutputModel):
    """One day's drift check of a champion (docs/model-lab.md, "Drift watch")."""

    id: int
    model_version_id: int
    checked_on: date
    checked_at: datetime
    status: DriftStatus
    variable: str
    n_scores: int
    psi: float | None
    threshold: float
    baseline_source: str | None
    bins: list[dict[str, Any]] | None
    alerted_at: datetime | None


class DriftHistoryOut(OutputModel):
    model_id: int
    name: str
    version: int
    items: list[DriftCheckOut]


class DriftRunItem(OutputModel):
    model_id: int
    name: str
    version: int
    new: bool
    alerted: bool
    check: DriftCheckOut


class DriftRunOut(OutputModel):
    items: list[DriftRunItem]


class ShadowIn(InputModel):
    on: bool = Field(description="true: score beside the champion on live data; false: stop")


class GradeComparisonOut(OutputModel):
    champion: dict[str, int] = Field(description="customers per grade, by the champion")
    challenger: dict[str, int] = Field(description="customers per grade, by the challenger")
    cross: list[list[int]] = Field(
        description="customers by champion grade (rows, A to E) and challenger grade (columns)"
    )
    upgraded: float = Field(description="share the challenger grades better")
    downgraded: float = Field(description="share the challenger grades worse")


class ShadowComparisonOut(OutputModel):
    """A shadow challenger against its name's champion on the customers both scored as of
    ``as_of`` (docs/model-lab.md, "Shadow scoring")."""

    champion_id: int | None
    champion: str | None
    challenger_id: int
    challenger: str
    as_of: date | None = Field(description="the challenger's latest shadow day; null: none yet")
    outcomes_until: date
    n: int
    spearman: float | None = Field(description="rank correlation of the two scores")
    mean_pd_champion: float | None
    mean_pd_challenger: float | None
    grades: GradeComparisonOut
    n_bad: int | None = Field(
        description="customers with an invoice 90+ days past due after as_of; null: no time yet"
    )
    auc_champion: float | None
    auc_challenger: float | None

    @classmethod
    def of(cls, result: ShadowComparison) -> ShadowComparisonOut:
        comparison = result.comparison
        return cls(
            champion_id=result.champion_id,
            champion=result.champion,
            challenger_id=result.challenger_id,
            challenger=result.challenger,
            as_of=result.as_of,
            outcomes_until=result.outcomes_until,
            n=comparison.n,
            spearman=comparison.spearman,
            mean_pd_champion=comparison.mean_pd_champion,
            mean_pd_challenger=comparison.mean_pd_challenger,
            grades=GradeComparisonOut.model_validate(comparison.grades, from_attributes=True),
            n_bad=comparison.n_bad,
            auc_champion=comparison.auc_champion,
            auc_challenger=comparison.auc_challenger,
        )
