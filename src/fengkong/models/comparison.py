"""Champion against challenger: a fresh comparison of two registered models on the same labelled
file (``fengkong model compare``), and the two stored validation summaries side by side (the
``/models/compare`` page — the registry keeps metrics, not data).

The fresh comparison scores every row with both models: trained ones through the lab, the expert
scorecard through its points and the active master scale (the file then needs the feature
library's columns). The numbers and the page come from ``fengkong.scoring.lab.compare`` and
``report``; this module only loads the models and the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.models import service
from fengkong.models.models import ModelVersion
from fengkong.models.status import ModelKind
from fengkong.records import field_error
from fengkong.risk import configs as risk_configs
from fengkong.risk import views as risk_views

SUMMARY_METRICS = ("auc", "gini", "ks", "brier")


def _label(model: ModelVersion) -> str:
    return f"{model.name} v{model.version}"


def _comparable(session: Session, actor: Actor, model: ModelVersion) -> Any:
    if model.kind is not ModelKind.EXPERT:
        return service.load_trained(model)
    from fengkong.scoring.lab.compare import ExpertModel

    scale = risk_views.active_scale(session, actor)
    return ExpertModel(risk_configs.parse_scorecard(model.artefact), scale)


def compare_on_data(
    session: Session,
    actor: Actor,
    *,
    champion_id: int,
    challenger_id: int,
    data: Path,
    target: str,
    bad_value: str,
) -> dict[str, Any]:
    """Score a labelled .csv/.xlsx with both models and compare them row for row (the JSON of
    ``scoring.lab.compare.compare``, with both models' ids)."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    champion = service.get_model(session, actor, model_id=champion_id)
    challenger = service.get_model(session, actor, model_id=challenger_id)
    if champion.id == challenger.id:
        raise service.InvalidModel(
            "compare two different models",
            details=[field_error("challenger_id", challenger_id, "the same model as champion")],
        )
    try:
        from fengkong.scoring.lab.compare import compare, score_model
        from fengkong.scoring.lab.data import LabError, labelled_table, read_frame
    except ImportError as error:  # pragma: no cover - the dev install has the extra
        raise service.LabMissing(
            f"the model lab is not installed ({error.name} is missing): pip install 'fengkong[lab]'"
        ) from error
    scale = risk_views.active_scale(session, actor)
    try:
        frame = read_frame(data).rename(columns=lambda name: str(name).strip())
        table = labelled_table(frame, target=target, bad_value=bad_value)
        for name in frame.columns:
            if frame[name].dtype == object:
                frame[name] = frame[name].map(lambda v: v.strip() if isinstance(v, str) else v)
        scored = [
            score_model(_label(model), _comparable(session, actor, model), frame, scale)
            for model in (champion, challenger)
        ]
        return compare(
            table.labels,
            scored[0],
            scored[1],
            facts={
                "champion_id": champion.id,
                "challenger_id": challenger.id,
                "file": data.name,
                "target": target,
                "bad_value": str(bad_value),
                "data_hash": table.data_hash,
            },
        )
    except LabError as error:
        column = error.column
        raise service.InvalidModel(
            str(error), details=[field_error(column or "data", column, str(error))]
        ) from error


@dataclass(frozen=True, slots=True)
class StoredSide:
    """What the registry knows of one model's validation: the cross-validation means and the
    hold-out figures, each as {metric: value}, and their calibration tables."""

    model: ModelVersion
    cross_validation: dict[str, float]
    holdout: dict[str, float]
    calibration: list[dict[str, Any]]
    holdout_calibration: list[dict[str, Any]]
    data_hash: str | None
    holdout_hash: str | None


def _side(model: ModelVersion) -> StoredSide:
    metrics = model.metrics or {}
    holdout = metrics.get("holdout") or {}
    return StoredSide(
        model=model,
        cross_validation={k: float(metrics[k]) for k in SUMMARY_METRICS if k in metrics},
        holdout={k: float(holdout[k]) for k in SUMMARY_METRICS if k in holdout},
        calibration=list(metrics.get("calibration") or []),
        holdout_calibration=list(holdout.get("calibration") or []),
        data_hash=metrics.get("data_hash") or model.data_hash,
        holdout_hash=holdout.get("data_hash"),
    )


@dataclass(frozen=True, slots=True)
class StoredComparison:
    champion: StoredSide
    challenger: StoredSide

    @property
    def same_training_data(self) -> bool:
        return self.champion.data_hash is not None and (
            self.champion.data_hash == self.challenger.data_hash
        )

    @property
    def same_holdout_data(self) -> bool:
        return self.champion.holdout_hash is not None and (
            self.champion.holdout_hash == self.challenger.holdout_hash
        )

    def rows(self, which: str) -> list[tuple[str, float | None, float | None, float | None]]:
        """(metric, champion, challenger, challenger − champion) for ``cross_validation`` or
        ``holdout``; ``None`` where a side lacks the figure."""
        first: dict[str, float] = getattr(self.champion, which)
        second: dict[str, float] = getattr(self.challenger, which)
        result = []
        for name in SUMMARY_METRICS:
            a, b = first.get(name), second.get(name)
            result.append((name, a, b, b - a if a is not None and b is not None else None))
        return result


def stored_comparison(
    session: Session, actor: Actor, *, champion_id: int, challenger_id: int
) -> StoredComparison:
    """The two models' stored validation summaries, to be read side by side. They are directly
    comparable only when measured on the same data (``same_training_data`` /
    ``same_holdout_data``); otherwise compare them afresh on one file."""
    auth_service.ensure_permission(actor, Permission.MODELS_READ)
    champion = service.get_model(session, actor, model_id=champion_id)
    challenger = service.get_model(session, actor, model_id=challenger_id)
    return StoredComparison(_side(champion), _side(challenger))
