"""Artefacts of a trained model: data a bank can deploy, never pickle.

A scorecard exports as JSON and YAML (the same document, loadable with
:func:`scorecard_from_dict`), as an Excel table (feature, bin, WOE, IV, event rate, count,
points) and as a SQL expression: one ``CASE`` per feature, summed, giving the same points as
:meth:`TrainedScorecard.score`. A LightGBM model exports as its text model plus a metadata JSON.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import xlsxwriter
import yaml

from fengkong.scoring.lab.data import LabError
from fengkong.scoring.lab.gbm import TrainedGbm
from fengkong.scoring.lab.scorecard import (
    FORMAT_VERSION,
    FeatureSelection,
    ScorecardBin,
    ScorecardFeature,
    ScorecardSettings,
    TrainedScorecard,
)

_SETTINGS_FIELDS = tuple(ScorecardSettings.__dataclass_fields__)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def scorecard_to_dict(card: TrainedScorecard) -> dict[str, Any]:
    return {
        "kind": "scorecard",
        "format": FORMAT_VERSION,
        "target": card.target,
        "bad_value": card.bad_value,
        "data_hash": card.data_hash,
        "n_rows": card.n_rows,
        "bad_rate": card.bad_rate,
        "settings": {name: getattr(card.settings, name) for name in _SETTINGS_FIELDS},
        "intercept": card.intercept,
        "special_codes": list(card.special_codes),
        "features": [
            {
                "name": feature.name,
                "type": feature.type,
                "iv": feature.iv,
                "coefficient": feature.coefficient,
                "bins": [_bin_to_dict(b) for b in feature.bins],
            }
            for feature in card.features
        ],
        "selection": [
            {"feature": s.feature, "iv": s.iv, "selected": s.selected, "reason": s.reason}
            for s in card.selection
        ],
    }


def _bin_to_dict(b: ScorecardBin) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": b.kind, "label": b.label}
    if b.kind == "interval":
        out["lower"], out["upper"] = b.lower, b.upper
    if b.kind == "categories":
        out["categories"] = list(b.categories)
    out.update(
        count=b.count, bads=b.bads, event_rate=b.event_rate, woe=b.woe, iv=b.iv, points=b.points
    )
    return out


def scorecard_from_dict(document: Mapping[str, Any]) -> TrainedScorecard:
    """The inverse of :func:`scorecard_to_dict`; a malformed document names what is wrong."""
    if document.get("kind") != "scorecard" or document.get("format") != FORMAT_VERSION:
        raise LabError(f"not a scorecard document of format {FORMAT_VERSION}")
    try:
        features = tuple(
            ScorecardFeature(
                name=str(f["name"]),
                type=f["type"],
                iv=float(f["iv"]),
                coefficient=float(f["coefficient"]),
                bins=tuple(
                    ScorecardBin(
                        kind=b["kind"],
                        label=str(b["label"]),
                        count=int(b["count"]),
                        bads=int(b["bads"]),
                        woe=float(b["woe"]),
                        iv=float(b["iv"]),
                        points=float(b["points"]),
                        lower=b.get("lower"),
                        upper=b.get("upper"),
                        categories=tuple(str(c) for c in b.get("categories", ())),
                    )
                    for b in f["bins"]
                ),
            )
            for f in document["features"]
        )
        return TrainedScorecard(
            features=features,
            intercept=float(document["intercept"]),
            settings=ScorecardSettings(**document["settings"]),
            special_codes=tuple(float(c) for c in document.get("special_codes", ())),
            selection=tuple(
                FeatureSelection(
                    str(s["feature"]), float(s["iv"]), bool(s["selected"]), s["reason"]
                )
                for s in document.get("selection", ())
            ),
            target=str(document.get("target", "")),
            bad_value=str(document.get("bad_value", "")),
            data_hash=str(document.get("data_hash", "")),
            n_rows=int(document.get("n_rows", 0)),
            bad_rate=float(document.get("bad_rate", 0.0)),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LabError(f"malformed scorecard document: {error!r}") from error


def scorecard_to_yaml(card: TrainedScorecard) -> str:
    return yaml.safe_dump(scorecard_to_dict(card), allow_unicode=True, sort_keys=False)


def scorecard_to_json(card: TrainedScorecard) -> str:
    return json.dumps(scorecard_to_dict(card), ensure_ascii=False, indent=2)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _number(value: float) -> str:
    if not math.isfinite(value):
        raise LabError(f"cannot write {value!r} into SQL")
    return repr(float(value))


def feature_case(feature: ScorecardFeature, special_codes: tuple[float, ...]) -> str:
    """One feature's points as a SQL ``CASE``, bins tested in the order Python uses."""
    column = _identifier(feature.name)
    by_kind = {b.kind: b for b in feature.bins}
    lines = ["CASE"]
    if feature.type == "numeric":
        if special_codes:
            codes = ", ".join(_number(c) for c in special_codes)
            lines.append(f"  WHEN {column} IN ({codes}) THEN {_number(by_kind['special'].points)}")
        lines.append(f"  WHEN {column} IS NULL THEN {_number(by_kind['missing'].points)}")
        intervals = [b for b in feature.bins if b.kind == "interval"]
        for b in intervals[:-1]:
            upper = b.upper if b.upper is not None else math.inf
            lines.append(f"  WHEN {column} < {_number(upper)} THEN {_number(b.points)}")
        lines.append(f"  ELSE {_number(intervals[-1].points)}")
    else:
        lines.append(f"  WHEN {column} IS NULL THEN {_number(by_kind['missing'].points)}")
        for b in feature.bins:
            if b.kind == "categories":
                values = ", ".join(_literal(c) for c in b.categories)
                lines.append(f"  WHEN {column} IN ({values}) THEN {_number(b.points)}")
        lines.append(f"  ELSE {_number(by_kind['other'].points)}")
    lines.append("END")
    return "\n".join(lines)


def scorecard_to_sql(card: TrainedScorecard) -> str:
    """The score as one SQL expression (PostgreSQL and SQLite): the sum of the feature CASEs.

    Categorical columns must be text; numeric ones numbers (``NULL`` for missing).
    """
    return "\n+ ".join(f"({feature_case(f, card.special_codes)})" for f in card.features)


def _cell(value: Any) -> Any:
    """Text that Excel would run as a formula gets a leading quote (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def scorecard_to_xlsx(card: TrainedScorecard, path: Path) -> None:
    workbook = xlsxwriter.Workbook(str(path))
    try:
        bold = workbook.add_format({"bold": True})
        sheet = workbook.add_worksheet("scorecard")
        header = ["feature", "bin", "WOE", "IV", "event rate", "count", "bads", "points"]
        sheet.write_row(0, 0, header, bold)
        row = 1
        for feature in card.features:
            for b in feature.bins:
                sheet.write_row(
                    row,
                    0,
                    [
                        _cell(feature.name),
                        _cell(b.label),
                        b.woe,
                        b.iv,
                        b.event_rate,
                        b.count,
                        b.bads,
                        b.points,
                    ],
                )
                row += 1
        sheet.set_column(0, 1, 32)
        features = workbook.add_worksheet("features")
        features.write_row(0, 0, ["feature", "IV", "selected", "reason", "coefficient"], bold)
        coefficients = {f.name: f.coefficient for f in card.features}
        for i, s in enumerate(card.selection, start=1):
            features.write_row(
                i,
                0,
                [
                    _cell(s.feature),
                    s.iv,
                    "yes" if s.selected else "no",
                    s.reason,
                    coefficients.get(s.feature, ""),
                ],
            )
        features.set_column(0, 0, 32)
        scaling = workbook.add_worksheet("scaling")
        items = [
            ("base points", card.settings.base_points),
            ("base odds (good:bad)", card.settings.base_odds),
            ("points to double the odds", card.settings.pdo),
            ("intercept", card.intercept),
            ("training data", card.data_hash),
        ]
        for i, (name, value) in enumerate(items):
            scaling.write_row(i, 0, [name, value])
        scaling.set_column(0, 1, 28)
    finally:
        workbook.close()


def write_artefacts(model: TrainedScorecard | TrainedGbm, out: Path) -> list[Path]:
    """Write the model's artefacts into ``out`` (created); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    if isinstance(model, TrainedScorecard):
        for name, text in (
            ("scorecard.json", scorecard_to_json(model)),
            ("scorecard.yaml", scorecard_to_yaml(model)),
            ("scorecard.sql", scorecard_to_sql(model) + "\n"),
        ):
            (out / name).write_text(text, encoding="utf-8")
            written.append(out / name)
        scorecard_to_xlsx(model, out / "scorecard.xlsx")
        written.append(out / "scorecard.xlsx")
    else:
        (out / "model.txt").write_text(model.model_text(), encoding="utf-8")
        (out / "model.json").write_text(
            json.dumps(model.metadata(), ensure_ascii=False, indent=2), encoding="utf-8"
        )
        written += [out / "model.txt", out / "model.json"]
    return written
