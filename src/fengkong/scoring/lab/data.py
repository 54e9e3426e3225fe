"""Reading a labelled table a user brings: any columns, a target and the value that means "bad".

The model lab learns from whatever table it is given (CSV or XLSX, Chinese column names, numeric
and categorical columns, missing values, special codes such as ``-999``), so every problem is
reported with the column it was found in, never as a bare ``KeyError`` deep inside a library.

Columns are typed once here: numeric dtype → numeric feature; anything else → categorical
(values as text, missing kept missing). Columns that cannot be features are dropped with a
reason (a single value, an identifier, the date column), and the reasons travel with the table.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

DEFAULT_SPECIAL_CODES: tuple[float, ...] = ()
# A text column with more distinct values than this share of its rows is an identifier, not a
# category: it would give every row its own bin.
IDENTIFIER_SHARE = 0.5
IDENTIFIER_MIN_DISTINCT = 50
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Labels = npt.NDArray[np.int8]


class LabError(ValueError):
    """The model lab cannot go on; ``column`` names the column at fault when there is one."""

    def __init__(self, message: str, *, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True, slots=True)
class DroppedColumn:
    column: str
    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class LabelledTable:
    """Features, labels (1 = bad) and the facts about them that a model needs to be rebuilt.

    ``features`` holds only usable columns: numeric ones as float64, categorical ones as object
    (``str`` values, ``NaN`` for missing). ``dates`` (when a date column was named) drives the
    out-of-time backtest. ``data_hash`` identifies the training data in the model registry.
    """

    features: pd.DataFrame
    labels: Labels
    target: str
    bad_value: str
    numeric: tuple[str, ...]
    categorical: tuple[str, ...]
    special_codes: tuple[float, ...] = DEFAULT_SPECIAL_CODES
    dates: npt.NDArray[np.datetime64] | None = None
    dropped: tuple[DroppedColumn, ...] = ()
    data_hash: str = field(default="")

    @property
    def n_rows(self) -> int:
        return len(self.labels)

    @property
    def n_bad(self) -> int:
        return int(self.labels.sum())

    @property
    def bad_rate(self) -> float:
        return self.n_bad / self.n_rows

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.features.columns)

    def subset(self, rows: IntArray) -> LabelledTable:
        """The same table restricted to ``rows`` (positions); the hash is of the whole table."""
        return replace(
            self,
            features=self.features.iloc[rows].reset_index(drop=True),
            labels=self.labels[rows],
            dates=None if self.dates is None else self.dates[rows],
        )


def read_frame(path: Path) -> pd.DataFrame:
    """A CSV (UTF-8, with or without BOM, else GB18030) or an XLSX sheet as a data frame."""
    if not path.is_file():
        raise LabError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xls", ".xlsm"}:
        return pd.read_excel(path, engine="calamine")
    if suffix not in {".csv", ".txt"}:
        raise LabError(f"data file {path}: unsupported type {suffix!r} (use .csv or .xlsx)")
    for encoding in _CSV_ENCODINGS:
        try:
            return pd.read_csv(path, encoding=encoding, low_memory=False)
        except UnicodeDecodeError:
            continue
    raise LabError(f"data file {path}: neither UTF-8 nor GB18030 text")


def read_labelled_table(
    path: Path,
    *,
    target: str,
    bad_value: str,
    special_codes: Sequence[float] = DEFAULT_SPECIAL_CODES,
    date_column: str | None = None,
    exclude: Sequence[str] = (),
) -> LabelledTable:
    """Read ``path`` and label it: rows whose ``target`` equals ``bad_value`` are bad (1)."""
    return labelled_table(
        read_frame(path),
        target=target,
        bad_value=bad_value,
        special_codes=special_codes,
        date_column=date_column,
        exclude=exclude,
    )


def labelled_table(
    frame: pd.DataFrame,
    *,
    target: str,
    bad_value: str,
    special_codes: Sequence[float] = DEFAULT_SPECIAL_CODES,
    date_column: str | None = None,
    exclude: Sequence[str] = (),
) -> LabelledTable:
    """Type the columns of ``frame``, label it and hash it (see the module docstring)."""
    frame = frame.rename(columns=lambda name: str(name).strip())
    columns = [str(name) for name in frame.columns]
    if len(set(columns)) != len(columns):
        repeated = sorted({name for name in columns if columns.count(name) > 1})
        raise LabError(f"column {repeated[0]!r} appears more than once", column=repeated[0])
    if target not in columns:
        raise LabError(
            f"target column {target!r} not found; the columns are: {', '.join(columns)}",
            column=target,
        )
    labels = _labels(frame[target], target=target, bad_value=str(bad_value))
    dates = None
    if date_column is not None:
        if date_column not in columns:
            raise LabError(f"date column {date_column!r} not found", column=date_column)
        dates = _dates(frame[date_column], date_column)
    for name in exclude:
        if name not in columns:
            raise LabError(f"excluded column {name!r} not found", column=name)

    codes = tuple(float(code) for code in special_codes)
    dropped: list[DroppedColumn] = []
    features: dict[str, pd.Series] = {}
    numeric: list[str] = []
    categorical: list[str] = []
    skip = {target, *exclude} | ({date_column} if date_column else set())
    for name in columns:
        if name in skip:
            if name != target:
                dropped.append(DroppedColumn(name, "excluded" if name in exclude else "date"))
            continue
        series = frame[name]
        if pd.api.types.is_bool_dtype(series.dtype):
            series = series.astype("object")
        if pd.api.types.is_numeric_dtype(series.dtype):
            values = series.astype("float64")
            if values.nunique(dropna=False) < 2:
                dropped.append(DroppedColumn(name, "a single value"))
                continue
            features[name] = values.reset_index(drop=True)
            numeric.append(name)
        else:
            values = _as_text(series)
            distinct = values.nunique(dropna=False)
            if distinct < 2:
                dropped.append(DroppedColumn(name, "a single value"))
                continue
            if distinct >= IDENTIFIER_MIN_DISTINCT and distinct > IDENTIFIER_SHARE * len(values):
                dropped.append(DroppedColumn(name, "an identifier (almost every value distinct)"))
                continue
            features[name] = values.reset_index(drop=True)
            categorical.append(name)
    if not features:
        raise LabError("no usable feature columns: " + _dropped_text(dropped))
    table = pd.DataFrame(features)
    return LabelledTable(
        features=table,
        labels=labels,
        target=target,
        bad_value=str(bad_value),
        numeric=tuple(numeric),
        categorical=tuple(categorical),
        special_codes=codes,
        dates=dates,
        dropped=tuple(dropped),
        data_hash=data_hash(table, labels),
    )


def data_hash(features: pd.DataFrame, labels: Labels) -> str:
    """SHA-256 over column names, values and labels: the same data gives the same hash."""
    digest = hashlib.sha256()
    for name in features.columns:
        digest.update(str(name).encode("utf-8") + b"\x00")
        hashed = pd.util.hash_pandas_object(features[name], index=False).to_numpy()
        digest.update(hashed.astype("<u8").tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.int8).tobytes())
    return "sha256:" + digest.hexdigest()


def _labels(series: pd.Series, *, target: str, bad_value: str) -> Labels:
    if series.isna().any():
        rows = [int(i) + 2 for i in np.flatnonzero(series.isna().to_numpy())[:5]]
        raise LabError(
            f"target column {target!r} is empty in {int(series.isna().sum())} rows "
            f"(file lines {', '.join(map(str, rows))} ...)",
            column=target,
        )
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        try:
            wanted = float(bad_value)
        except ValueError:
            raise LabError(
                f"target column {target!r} is numeric but the bad value {bad_value!r} is not",
                column=target,
            ) from None
        bad = series.astype("float64").to_numpy() == wanted
        seen = sorted({_plain(v) for v in series.unique()})
    else:
        text = series.astype("str").str.strip()
        bad = (text == bad_value.strip()).to_numpy()
        seen = sorted(set(text.unique()))
    shown = ", ".join(seen[:10])
    if len(seen) == 1:
        raise LabError(
            f"target column {target!r} holds a single value {seen[0]!r}: "
            "a model needs both bad and good rows",
            column=target,
        )
    if not bad.any():
        raise LabError(
            f"target column {target!r} has no rows with the bad value {bad_value!r} "
            f"(values seen: {shown})",
            column=target,
        )
    if bad.all():
        raise LabError(
            f"target column {target!r} has no good rows: every row is {bad_value!r}",
            column=target,
        )
    return np.asarray(bad, dtype=np.int8)


def _plain(value: Any) -> str:
    number = float(value)
    return str(int(number)) if math.isfinite(number) and number.is_integer() else str(value)


def _dates(series: pd.Series, column: str) -> npt.NDArray[np.datetime64]:
    parsed = pd.to_datetime(series, errors="coerce", format="mixed")
    if parsed.isna().any():
        first = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise LabError(
            f"date column {column!r}: {series.iloc[first]!r} (file line {first + 2}) is not a date",
            column=column,
        )
    days: npt.NDArray[np.datetime64] = np.asarray(parsed.to_numpy(), dtype="datetime64[D]")
    return days


def _as_text(series: pd.Series) -> pd.Series:
    """Category values as stripped text; blanks are missing, numbers keep their written form."""
    missing = series.isna()
    text = series.astype("str").str.strip()
    text = text.mask(missing | (text == ""))
    return text.astype("object").where(text.notna(), np.nan)


def _dropped_text(dropped: Sequence[DroppedColumn]) -> str:
    return "; ".join(f"{item.column}: {item.reason}" for item in dropped) or "no columns"
