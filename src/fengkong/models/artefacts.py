"""Reading what ``fengkong model train --out DIR`` writes, and describing an artefact for the
registry: its kind, features, parameters, training-data hash and SHA-256. Pure: JSON and text
only, no database and no model library, so the registry works without the ``lab`` extra (only
re-validating on data and the scorecard exports need it)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fengkong.models.status import ModelKind
from fengkong.scoring.stability import DistributionError, ScoreDistribution

SCORECARD_FILE = "scorecard.json"
GBM_MODEL_FILE = "model.txt"
GBM_METADATA_FILE = "model.json"
VALIDATION_FILE = "validation.json"
REPORT_FILE = "report.html"
DEVELOPMENT_DISTRIBUTION = "development_distribution"
MAX_ARTEFACT_BYTES = 50 * 1024 * 1024
# The validation summary's ROC curve is kept (the model page draws it); nothing else is large.
_PARAMETER_KEYS_GBM = ("params", "monotone", "best_iteration", "special_codes", "categories")


class ArtefactError(ValueError):
    """The artefact is not what a registered model needs; ``field`` names the part at fault."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Artefact:
    """A model as the registry stores it."""

    kind: ModelKind
    artefact: str
    metadata: dict[str, Any] | None
    sha256: str
    data_hash: str | None
    features: list[str]
    parameters: dict[str, Any]
    metrics: dict[str, Any] | None = None
    report_html: str | None = None


def artefact_sha256(artefact: str, metadata: Mapping[str, Any] | None) -> str:
    """SHA-256 of the artefact text, and of the metadata as canonical JSON when there is some."""
    digest = hashlib.sha256(artefact.encode("utf-8"))
    if metadata is not None:
        canonical = json.dumps(metadata, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        digest.update(b"\x00" + canonical.encode("utf-8"))
    return digest.hexdigest()


def _json(text: str, field: str) -> dict[str, Any]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ArtefactError(f"{field} is not JSON: {error}", field=field) from error
    if not isinstance(document, dict):
        raise ArtefactError(f"{field} is not a JSON object", field=field)
    return document


def describe(
    kind: ModelKind,
    artefact: str,
    metadata: Mapping[str, Any] | None = None,
    *,
    metrics: Mapping[str, Any] | None = None,
    report_html: str | None = None,
) -> Artefact:
    """Check a trained model's artefact and pull out what the registry lists about it."""
    if not artefact.strip():
        raise ArtefactError("the artefact is empty", field="artefact")
    if kind is ModelKind.SCORECARD:
        document = _json(artefact, "artefact")
        if document.get("kind") != "scorecard" or not isinstance(document.get("features"), list):
            raise ArtefactError("not a scorecard document (scorecard.json)", field="artefact")
        try:
            features = [str(feature["name"]) for feature in document["features"]]
        except (KeyError, TypeError) as error:
            raise ArtefactError(
                f"scorecard feature without a name: {error!r}", field="artefact"
            ) from error
        parameters = {
            "settings": dict(document.get("settings") or {}),
            "special_codes": list(document.get("special_codes") or []),
            "target": document.get("target"),
            "bad_value": document.get("bad_value"),
            "n_rows": document.get("n_rows"),
            "bad_rate": document.get("bad_rate"),
        }
        stored_metadata = None
        data_hash = document.get("data_hash") or None
    elif kind is ModelKind.GBM:
        if metadata is None:
            raise ArtefactError(
                "a LightGBM model needs its metadata (model.json)", field="metadata"
            )
        stored_metadata = dict(metadata)
        if stored_metadata.get("kind") != "gbm" or not isinstance(
            stored_metadata.get("features"), list
        ):
            raise ArtefactError("not a LightGBM metadata document (model.json)", field="metadata")
        if not artefact.lstrip().startswith("tree"):
            raise ArtefactError("not a LightGBM text model (model.txt)", field="artefact")
        features = [str(name) for name in stored_metadata["features"]]
        parameters = {key: stored_metadata.get(key) for key in _PARAMETER_KEYS_GBM}
        parameters.update(
            target=stored_metadata.get("target"), n_rows=stored_metadata.get("n_rows")
        )
        data_hash = stored_metadata.get("data_hash") or None
    else:
        raise ArtefactError(f"{kind.value} models are not registered from artefacts", field="kind")
    if metrics is not None and not isinstance(metrics, Mapping):
        raise ArtefactError("the validation summary is not a JSON object", field="metrics")
    if metrics is not None and isinstance(metrics.get("sample"), Mapping):
        # Trained on the ledgers: the label, window and observation dates define the model.
        parameters["training_data"] = dict(metrics["sample"])
    if metrics is not None and metrics.get(DEVELOPMENT_DISTRIBUTION) is not None:
        try:
            ScoreDistribution.from_dict(metrics[DEVELOPMENT_DISTRIBUTION])
        except DistributionError as error:
            raise ArtefactError(
                f"the development distribution (the drift reference) is unusable: {error}",
                field="metrics",
            ) from error
    return Artefact(
        kind=kind,
        artefact=artefact,
        metadata=stored_metadata,
        sha256=artefact_sha256(artefact, stored_metadata),
        data_hash=str(data_hash) if data_hash else None,
        features=features,
        parameters=parameters,
        metrics=dict(metrics) if metrics is not None else None,
        report_html=report_html,
    )


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_ARTEFACT_BYTES:
        raise ArtefactError(f"{path.name} is larger than 50 MiB", field=path.name)
    return path.read_text(encoding="utf-8")


def read_training_output(directory: Path) -> Artefact:
    """The model in a ``fengkong model train --out DIR`` folder, with its validation summary
    (``validation.json``) and report (``report.html``) when they are there."""
    if not directory.is_dir():
        raise ArtefactError(f"{directory} is not a folder", field="directory")
    if (directory / SCORECARD_FILE).is_file():
        kind, artefact, metadata = ModelKind.SCORECARD, _read(directory / SCORECARD_FILE), None
    elif (directory / GBM_MODEL_FILE).is_file():
        if not (directory / GBM_METADATA_FILE).is_file():
            raise ArtefactError(
                f"{directory} has {GBM_MODEL_FILE} but no {GBM_METADATA_FILE}", field="directory"
            )
        kind, artefact = ModelKind.GBM, _read(directory / GBM_MODEL_FILE)
        metadata = _json(_read(directory / GBM_METADATA_FILE), GBM_METADATA_FILE)
    else:
        raise ArtefactError(
            f"{directory} holds neither {SCORECARD_FILE} nor {GBM_MODEL_FILE} "
            "(write them with `fengkong model train --out DIR`)",
            field="directory",
        )
    validation = directory / VALIDATION_FILE
    metrics = _json(_read(validation), VALIDATION_FILE) if validation.is_file() else None
    report = directory / REPORT_FILE
    return describe(
        kind,
        artefact,
        metadata,
        metrics=metrics,
        report_html=_read(report) if report.is_file() else None,
    )


def headline(metrics: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
    """The AUC and KS a list shows: the latest hold-out validation, else the cross-validation."""
    if not metrics:
        return None, None
    source = metrics.get("holdout") or metrics
    auc, ks = source.get("auc"), source.get("ks")
    return (float(auc) if auc is not None else None, float(ks) if ks is not None else None)
