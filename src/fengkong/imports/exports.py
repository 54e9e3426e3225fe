"""Files we hand back to people: CSV as UTF-8 with a BOM (so Excel shows Chinese), and every cell
that a spreadsheet would run as a formula defused (CSV injection, OWASP)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

import polars as pl

from fengkong.i18n import N_, Message
from fengkong.imports import reading
from fengkong.imports.kinds import header_token
from fengkong.imports.problems import RowError
from fengkong.imports.reading import ROW_COLUMN, SourceFile
from fengkong.imports.validation import HeaderMapping
from fengkong.settings import SUPPORTED_LOCALES, Locale

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

ROW_HEADER = N_("row in file")
REASON_HEADER = N_("reason rejected")


def escape_cell(value: object) -> str:
    """The cell as text that no spreadsheet evaluates: a leading ``= + - @`` (or tab, carriage
    return) gets an apostrophe before it. Imports drop that apostrophe again."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(target: Path, rows: Iterable[Sequence[object]]) -> None:
    with target.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerows([escape_cell(cell) for cell in row] for row in rows)


def rejects_headers() -> frozenset[str]:
    """The header tokens of the columns a rejects file adds, in every language (an import of a
    corrected rejects file skips them)."""
    return frozenset(
        header_token(Message(msgid).render(locale))
        for msgid in (ROW_HEADER, REASON_HEADER)
        for locale in SUPPORTED_LOCALES
    )


def write_rejects(
    target: Path,
    source: SourceFile,
    mapping: HeaderMapping,
    errors: pl.DataFrame,
    locale: Locale,
) -> None:
    """The rejected rows as the file had them, plus their row number and what was wrong, so they
    can be corrected and imported again."""
    reasons: dict[int, list[str]] = {}
    for row, column, value, code, detail in errors.iter_rows():
        error = RowError(row, mapping.header(column), value, code, detail)
        reasons.setdefault(row, []).append(error.message.render(locale))
    rejected = pl.DataFrame(
        {
            "row": list(reasons),
            "reason": [" ".join(messages) for messages in reasons.values()],
        },
        schema={"row": pl.Int64, "reason": pl.String},
    )
    header = [
        *(mapped.header for mapped in mapping.columns),
        Message(ROW_HEADER).render(locale),
        Message(REASON_HEADER).render(locale),
    ]

    def records() -> Iterable[Sequence[object]]:
        yield header
        for batch in reading.read_batches(source, mapping.names):
            chosen = batch.join(
                rejected, left_on=ROW_COLUMN, right_on="row", how="inner", maintain_order="left"
            )
            yield from chosen.select([*mapping.names, ROW_COLUMN, "reason"]).iter_rows()

    target.parent.mkdir(parents=True, exist_ok=True)
    write_csv(target, records())
