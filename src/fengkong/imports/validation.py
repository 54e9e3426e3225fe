"""Map a file's header to a kind's columns, then parse and check whole batches of rows at once.

Every cell arrives as text. Each column becomes a typed value (a date, integer minor units of
money, a canonical USCC …) and, where the cell is wrong, a problem code with one detail string;
rules across columns (due date after issue date, the balance-sheet identity) run on the typed
values. All of it is polars expressions over a batch, with per-distinct-value lookups where a
check is Python (USCC check digits, currencies, industry and region codes) — a million invoice
rows take well under a second. Amounts never pass through float: the digits are split at the
decimal point and assembled into integer minor units, so ``0.1`` is exactly ten fen and a third
decimal place on a CNY amount is an error rather than a rounding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl

from fengkong.customers.resident_id import validate_resident_id
from fengkong.customers.uscc import USCC_PATTERN
from fengkong.financials.checks import BALANCE_TOLERANCE
from fengkong.imports import problems
from fengkong.imports.kinds import (
    AnyAmount,
    BalanceSheet,
    Column,
    ColumnType,
    DateOrder,
    Distinct,
    Kind,
    Rule,
    Sign,
    header_token,
)
from fengkong.imports.problems import Problem, RowError, clip
from fengkong.imports.reading import ROW_COLUMN
from fengkong.kit.money import MoneyError, currency_exponent, normalise_currency
from fengkong.privacy.masking import mask_id_number
from fengkong.reference.classifications import (
    validate_industry_code,
    validate_region_code,
)

ROW_NO = "row_no"
VALID = "valid"
UNNAMED = "__unnamed_"
SKIPPED = "__skipped_"
ERROR_SCHEMA: Mapping[str, pl.DataType] = {
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "code": pl.String(),
    "detail": pl.String(),
}
MAX_AMOUNT_DIGITS = 14
"""Digits before the decimal point: 10^14 yuan is beyond any balance sheet, and minor units stay
inside 64 bits even with four decimal places."""
_DTYPES: Mapping[ColumnType, pl.DataType] = {
    ColumnType.INTEGER: pl.Int64(),
    ColumnType.TEXT: pl.String(),
}
_MAX_EXPONENT = 4  # ISO 4217 has no currency with more minor digits (CLF, UYW have 4)
_TRUE = ("true", "yes", "y", "1", "是", "t")
_FALSE = ("false", "no", "n", "0", "否", "f")
_FIRST_YEAR, _LAST_YEAR = 1900, 2100
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters a USCC may use, in the order of their values (GB 32100-2015)."""


@dataclass(frozen=True, slots=True)
class Context:
    today: date
    default_currency: str


@dataclass(frozen=True, slots=True)
class MappedColumn:
    position: int
    header: str
    column: Column | None
    """``None`` for a column the import does not take (see ``name``)."""

    @property
    def name(self) -> str:
        """The kind's column name, or a placeholder: ``__unnamed_<i>`` (no header: its cells
        must be empty) or ``__skipped_<i>`` (unknown, or one of our rejects file's own)."""
        if self.column is not None:
            return self.column.name
        if header_token(self.header):
            return f"{SKIPPED}{self.position}"
        return f"{UNNAMED}{self.position}"


@dataclass(frozen=True, slots=True)
class HeaderMapping:
    kind: Kind
    columns: tuple[MappedColumn, ...]
    errors: tuple[RowError, ...]

    @property
    def names(self) -> list[str]:
        """Names for the file's columns, in order (see ``MappedColumn.name``)."""
        return [mapped.name for mapped in self.columns]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(mapped.column.name for mapped in self.columns if mapped.column)

    def header(self, name: str) -> str:
        """How the file calls column ``name`` (for messages); its English name if absent."""
        for mapped in self.columns:
            if mapped.name == name:
                return mapped.header or column_letter(mapped.position)
        return name

    @property
    def staged(self) -> tuple[Column, ...]:
        """Columns the staging table holds: those in the file, the currency of any amount in it
        (it has a default) and natural-key columns that have a default."""
        present = self.present
        has_amount = any(self.kind.column(name).type is ColumnType.AMOUNT for name in present)
        return tuple(
            column
            for column in self.kind.columns
            if column.name in present
            or (column.type is ColumnType.CURRENCY and has_amount)
            or column.key_default is not None
        )


def column_letter(position: int) -> str:
    """A zero-based column position as a spreadsheet shows it (0 → A, 26 → AA)."""
    letters = ""
    number = position + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def map_header(kind: Kind, header: Sequence[str], ignored: frozenset[str]) -> HeaderMapping:
    """Match each header cell to a column by its English or Chinese name (or an alias).

    ``ignored`` holds header tokens to skip: the row and reason columns of our rejects files,
    so a corrected rejects file imports as it is.
    """
    lookup = {header_token(name): column for column in kind.columns for name in column.headers}
    accepted = ", ".join(f"{column.name} ({column.chinese})" for column in kind.columns)
    mapped: list[MappedColumn] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for position, text in enumerate(header):
        token = header_token(text)
        column = lookup.get(token)
        if column is None:
            if token and token not in ignored:
                errors.append(
                    RowError(1, clip(text), clip(text), problems.UNKNOWN_COLUMN.code, accepted)
                )
            mapped.append(MappedColumn(position, text, None))
        elif column.name in seen:
            errors.append(
                RowError(
                    1, clip(text), clip(text), problems.DUPLICATE_COLUMN.code, seen[column.name]
                )
            )
            mapped.append(MappedColumn(position, text, None))
        else:
            seen[column.name] = text
            mapped.append(MappedColumn(position, text, column))
    for column in kind.columns:
        if column.required and column.name not in seen:
            label = f"{column.name} ({column.chinese})"
            errors.append(RowError(1, label, None, problems.MISSING_COLUMN.code))
    return HeaderMapping(kind, tuple(mapped), tuple(errors))


@dataclass(frozen=True, slots=True)
class CheckedBatch:
    staged: pl.DataFrame
    """``row_no``, ``valid`` and a typed value (or null) for each staged column."""
    errors: pl.DataFrame
    """One row per problem: row, column (the kind's name for it), value, code, detail."""


@dataclass(frozen=True, slots=True)
class _Check:
    condition: pl.Expr
    problem: Problem
    detail: pl.Expr | None = None


@dataclass(frozen=True, slots=True)
class _Parsed:
    """How a column parses. ``helpers`` are computed first, in order, each into its own column
    (``_helper(column, name)``); ``value`` becomes the parsed column (``_parsed``); ``checks`` may
    read all of them. Materialising each step once keeps polars from evaluating shared parts of
    the expressions again for every check that uses them."""

    value: pl.Expr | pl.Series
    checks: tuple[_Check, ...] = ()
    helpers: tuple[tuple[str, pl.Expr], ...] = ()
    after: tuple[tuple[str, pl.Expr], ...] = ()
    """Helpers computed from the parsed value."""


def _text(column: Column) -> str:
    return f"__text_{column.name}"


def _parsed(column: Column) -> str:
    return f"__parsed_{column.name}"


def _helper(column: Column, name: str) -> str:
    return f"__{name}_{column.name}"


def _typed(column: Column) -> str:
    return f"__typed_{column.name}"


def _code(name: str) -> str:
    return f"__code_{name}"


def _detail(name: str) -> str:
    return f"__detail_{name}"


def _exponent(column: Column) -> str:
    return _helper(column, "exponent")


def check_batch(mapping: HeaderMapping, batch: pl.DataFrame, context: Context) -> CheckedBatch:
    """Parse and check one batch of rows read with ``mapping.names`` (see ``reading``)."""
    kind = mapping.kind
    present = mapping.present
    unnamed = {
        mapped.name: column_letter(mapped.position)
        for mapped in mapping.columns
        if mapped.name.startswith(UNNAMED)
    }
    given = [column for column in kind.columns if column.name in present]
    work = batch.with_columns(
        _stripped(pl.col(column.name)).alias(_text(column)) for column in given
    )
    work = work.filter(  # rows with nothing in them (a spreadsheet's trailing rows) are no records
        pl.any_horizontal(
            *(pl.col(_text(column)).is_not_null() for column in given),
            *(_stripped(pl.col(name)).is_not_null() for name in unnamed),
            pl.lit(False),
        )
    )
    # The apostrophe our exports put before a value that would read as a formula is dropped, so
    # a corrected rejects file imports as written (looked for first: it is rare).
    escaped = [c for c in given if work.get_column(_text(c)).str.starts_with("'").any()]
    work = work.with_columns(
        pl.when(pl.col(_text(column)).str.contains(r"^'[=+\-@]"))
        .then(pl.col(_text(column)).str.slice(1))
        .otherwise(pl.col(_text(column)))
        .alias(_text(column))
        for column in escaped
    )
    checks: dict[str, tuple[_Check, ...]] = {}
    ordered = sorted(mapping.staged, key=lambda column: column.type is not ColumnType.CURRENCY)
    for column in ordered:  # currencies first: amounts need their exponent
        if column.type is ColumnType.CURRENCY:
            parsed = _parse_currency(column, work, context, present)
        elif column.name in present:
            parsed = _PARSERS[column.type](column, work, context, kind)
        else:
            work = work.with_columns(
                pl.lit(column.key_default, _DTYPES[column.type]).alias(_parsed(column))
            )
            continue
        for name, helper in parsed.helpers:
            work = work.with_columns(helper.alias(_helper(column, name)))
        work = work.with_columns(
            parsed.value.alias(_parsed(column)) if isinstance(parsed.value, pl.Expr)
             else parsed.value.rename(_parsed(column))
        )  # fmt: skip
        for name, helper in parsed.after:
            work = work.with_columns(helper.alias(_helper(column, name)))
        checks[column.name] = _with_common(column, parsed.checks, present)
        if column.type is ColumnType.CURRENCY:
            exponents = _exponents(work.get_column(_parsed(column)))
            work = work.with_columns(
                pl.col(_parsed(column))
                .replace_strict(exponents, default=None, return_dtype=pl.Int64)
                .alias(_exponent(column))
            )
    work = _judge(work, checks)
    work = work.with_columns(_typed_value(column, present) for column in mapping.staged)
    rule_checks: dict[str, tuple[_Check, ...]] = {}
    for rule in kind.rules:
        name, check = _rule(rule, kind, present)
        if check is not None:
            rule_checks[name] = (*rule_checks.get(name, ()), check)
    work = _judge(work, rule_checks)
    position = {name: index for index, name in enumerate(mapping.names)}
    judged = sorted({*checks, *rule_checks}, key=lambda name: position.get(name, len(position)))
    personal = frozenset(c.name for c in given if c.type is ColumnType.RESIDENT_ID)
    errors = _errors(work, judged, unnamed, personal)
    invalid = pl.any_horizontal(
        *(pl.col(_code(name)).is_not_null() for name in [*checks, *rule_checks]),
        *(_stripped(pl.col(name)).is_not_null() for name in unnamed),
        pl.lit(False),
    )
    staged = work.select(
        pl.col(ROW_COLUMN).alias(ROW_NO),
        (~invalid).alias(VALID),
        *(pl.col(_typed(column)).alias(column.staged) for column in mapping.staged),
    )
    return CheckedBatch(staged, errors)


def _stripped(cell: pl.Expr) -> pl.Expr:
    """The cell without surrounding blanks; null when nothing is left."""
    text = cell.str.strip_chars()
    return pl.when(text.str.len_bytes() > 0).then(text)


def _with_common(
    column: Column, checks: tuple[_Check, ...], present: frozenset[str]
) -> tuple[_Check, ...]:
    """Formulas and missing required values first; the type's own checks apply to given cells."""
    if column.name not in present:
        return ()
    text = pl.col(_text(column))
    common = [_Check(text.str.starts_with("="), problems.FORMULA)]
    if column.required:
        common.append(_Check(text.is_null(), problems.REQUIRED))
    given = text.is_not_null()
    return (
        *common,
        *(_Check(given & check.condition, check.problem, check.detail) for check in checks),
    )


def _judge(work: pl.DataFrame, checks: Mapping[str, tuple[_Check, ...]]) -> pl.DataFrame:
    """Add each column's first failing check as a code and a detail (null when all pass);
    a column judged before (by its own checks, then by rules) keeps its first problem."""
    judged = []
    for name, column_checks in checks.items():
        if not column_checks:
            judged += [
                pl.lit(None, pl.String).alias(_code(name)),
                pl.lit(None, pl.String).alias(_detail(name)),
            ]
            continue
        code = pl.coalesce(
            pl.when(check.condition).then(pl.lit(check.problem.code)) for check in column_checks
        )
        detail = pl.coalesce(
            pl.when(check.condition).then(
                pl.lit("") if check.detail is None else check.detail.cast(pl.String).fill_null("")
            )
            for check in column_checks
        )
        if _code(name) in work.columns:
            code = pl.coalesce(pl.col(_code(name)), code)
            detail = (
                pl.when(pl.col(_code(name)).is_not_null())
                .then(pl.col(_detail(name)))
                .otherwise(detail)
            )
        judged += [code.alias(_code(name)), detail.alias(_detail(name))]
    return work.with_columns(judged) if judged else work


def _typed_value(column: Column, present: frozenset[str]) -> pl.Expr:
    """The parsed value where the cell passed its checks, else null."""
    value = pl.col(_parsed(column))
    if column.name in present:
        value = pl.when(pl.col(_code(column.name)).is_null()).then(value)
        if column.key_default is not None:  # an empty cell of a key column: its default
            default = pl.lit(column.key_default, _DTYPES[column.type])
            value = pl.when(pl.col(_text(column)).is_null()).then(default).otherwise(value)
    if column.currency_of is not None:
        amount = column.currency_of
        given = pl.col(f"__text_{amount}").is_not_null() if amount in present else pl.lit(False)
        value = pl.when(given).then(value)
    return value.alias(_typed(column))


def _errors(
    work: pl.DataFrame,
    names: Sequence[str],
    unnamed: Mapping[str, str],
    personal: frozenset[str],
) -> pl.DataFrame:
    """The problems found, one row each; a ``personal`` column's value masked, as the import
    run keeps its problems and the page and the API show them."""
    frames = [
        work.filter(pl.col(_code(name)).is_not_null()).select(
            pl.col(ROW_COLUMN).alias("row"),
            pl.lit(name).alias("column"),
            _problem_value(work, name, masked=name in personal).alias("value"),
            pl.col(_code(name)).alias("code"),
            pl.col(_detail(name)).alias("detail"),
        )
        for name in dict.fromkeys(names)
    ]
    frames += [
        work.filter(_stripped(pl.col(name)).is_not_null()).select(
            pl.col(ROW_COLUMN).alias("row"),
            pl.lit(name).alias("column"),
            pl.col(name).alias("value"),
            pl.lit(problems.UNNAMED_COLUMN.code).alias("code"),
            pl.lit(letter).alias("detail"),
        )
        for name, letter in unnamed.items()
    ]
    return concat_errors(frames)


def _problem_value(work: pl.DataFrame, name: str, *, masked: bool) -> pl.Expr:
    if name not in work.columns:
        return pl.lit(None, pl.String)
    if not masked:
        return pl.col(name)
    # Only the rows with a problem get here, so the one masking function serves them.
    return pl.col(name).map_elements(mask_id_number, return_dtype=pl.String)


def concat_errors(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    collected = [frame.cast(dict(ERROR_SCHEMA)) for frame in frames if frame.height]  # type: ignore[arg-type]
    if not collected:
        return pl.DataFrame(schema=ERROR_SCHEMA)
    return pl.concat(collected).sort("row", maintain_order=True)


def duplicate_errors(kind: Kind, keys: pl.DataFrame) -> pl.DataFrame:
    """Rows repeating an earlier row's natural key (``keys``: row_no + the kind's file key)."""
    key = list(kind.file_key)
    repeated = (
        keys.drop_nulls(key)
        .with_columns(pl.col(ROW_NO).min().over(key).alias("first"))
        .filter(pl.col(ROW_NO) != pl.col("first"))
    )
    column = next(column.name for column in kind.columns if column.staged == key[0])
    return repeated.select(
        pl.col(ROW_NO).alias("row"),
        pl.lit(column).alias("column"),
        pl.concat_str([pl.col(name).cast(pl.String) for name in key], separator=" / ").alias(
            "value"
        ),
        pl.lit(problems.DUPLICATE_ROW.code).alias("code"),
        pl.col("first").cast(pl.String).alias("detail"),
    )


def file_keys(kind: Kind, staged: pl.DataFrame) -> pl.DataFrame:
    """What duplicate detection needs to keep of a batch: row numbers and natural keys."""
    return staged.select(ROW_NO, *kind.file_key)


Parser = Callable[[Column, pl.DataFrame, Context, Kind], _Parsed]


def _parse_text(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    text = pl.col(_text(column))
    checks = []
    if column.max_length is not None:
        too_long = text.str.len_chars() > column.max_length
        checks.append(_Check(too_long, problems.TOO_LONG, pl.lit(str(column.max_length))))
    return _Parsed(text, tuple(checks))


def _by_value(values: pl.Series, lookup: Callable[[str], object]) -> dict[str, object]:
    """``lookup`` of each distinct value (Python checks, run once a value, not once a row)."""
    return {value: lookup(value) for value in values.unique().drop_nulls().to_list()}


def _parse_uscc(column: Column, work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    """Codes without blanks or hyphens, upper case; the check character is computed once per
    distinct code (a file has far fewer customers than rows)."""
    codes = work.select(
        pl.col(_text(column)).str.replace_all(r"[\s-]", "").str.to_uppercase()
    ).to_series()
    distinct = codes.unique().drop_nulls().to_frame("code")
    expected = distinct.with_columns(uscc_check_digits(pl.col("code")).alias("check"))
    parsed = pl.col(_parsed(column))
    check = pl.col(_helper(column, "check"))
    return _Parsed(
        codes,
        (
            _Check(~parsed.str.contains(USCC_PATTERN.pattern), problems.USCC_FORMAT),
            _Check(parsed.str.slice(17, 1) != check, problems.USCC_CHECK_DIGIT, check),
        ),
        after=(
            (
                "check",
                parsed.replace_strict(
                    expected.get_column("code"),
                    expected.get_column("check"),
                    default=None,
                    return_dtype=pl.String,
                ),
            ),
        ),
    )


def uscc_check_digits(codes: pl.Expr) -> pl.Expr:
    """GB 32100's check character of each code's first 17 characters, as
    ``fengkong.customers.uscc.check_digit`` computes it one code at a time: character values
    weighted by 3^i mod 31, the total's complement mod 31."""
    values = {character: value for value, character in enumerate(USCC_ALPHABET)}
    total = pl.sum_horizontal(
        codes.str.slice(position, 1).replace_strict(values, default=0, return_dtype=pl.Int64)
        * pow(3, position, 31)
        for position in range(17)
    )
    return ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(USCC_ALPHABET)), return_dtype=pl.String
    )


def _parse_date(column: Column, work: pl.DataFrame, context: Context, _kind: Kind) -> _Parsed:
    """Dates as people type them: 2026-01-05, 2026/1/5, 2026.1.5, 2026年1月5日, 20260105; a time
    after the date (a spreadsheet's datetime) is ignored. ISO dates take the fast path."""
    text = pl.col(_text(column))
    parsed = work.select(text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)).to_series()
    if (parsed.is_null() & work.get_column(_text(column)).is_not_null()).any():
        normalised = (
            text.str.replace(r"[ T].*$", "")
            .str.replace_all(r"[/.年月]", "-")
            .str.replace(r"日$", "")
        )
        parsed = work.select(
            pl.coalesce(
                pl.lit(parsed),
                normalised.str.strptime(pl.Date, "%Y-%m-%d", strict=False),
                pl.when(text.str.contains(r"^\d{8}$")).then(
                    text.str.strptime(pl.Date, "%Y%m%d", strict=False)
                ),
            )
        ).to_series()
    value = pl.col(_parsed(column))
    year = value.dt.year()
    checks = [_Check(value.is_null() | (year < _FIRST_YEAR) | (year > _LAST_YEAR), problems.DATE)]
    if column.not_in_future:
        checks.append(_Check(value > pl.lit(context.today), problems.DATE_IN_FUTURE))
    return _Parsed(parsed, tuple(checks))


def _currency_code(value: str) -> str | None:
    try:
        return normalise_currency(value)
    except MoneyError:
        return None


def _exponents(currencies: pl.Series) -> dict[str, int]:
    return {code: currency_exponent(code) for code in currencies.unique().drop_nulls().to_list()}


def _parse_currency(
    column: Column, work: pl.DataFrame, context: Context, present: frozenset[str]
) -> _Parsed:
    """ISO 4217 codes; an empty cell (or no currency column) means the configured default."""
    default = pl.lit(context.default_currency)
    if column.name not in present:
        return _Parsed(default)
    text = pl.col(_text(column)).str.to_uppercase()
    distinct = work.select(text).to_series()
    known = text.replace_strict(
        _by_value(distinct, _currency_code), default=None, return_dtype=pl.String
    )
    parsed = pl.col(_parsed(column))
    return _Parsed(pl.coalesce(known, pl.when(text.is_null()).then(default)), (
        _Check(parsed.is_null(), problems.CURRENCY),
    ))  # fmt: skip


def _parse_amount(column: Column, _work: pl.DataFrame, _context: Context, kind: Kind) -> _Parsed:
    currency = next(c for c in kind.columns if c.type is ColumnType.CURRENCY)
    exponent = pl.col(_exponent(currency))
    clean, parts = pl.col(_helper(column, "clean")), pl.col(_helper(column, "parts"))
    sign, whole = pl.col(_helper(column, "sign")), pl.col(_helper(column, "whole"))
    fraction = pl.col(_helper(column, "fraction"))
    well_formed = sign.is_not_null() & clean.str.contains(r"\d")
    fits = whole.str.len_chars() <= MAX_AMOUNT_DIGITS
    # Without a known currency the amount is still checked (as if it had the most decimals any
    # currency has); the currency's own problem is reported on its column.
    places = exponent.fill_null(_MAX_EXPONENT)
    scale = places.replace_strict(_SCALES, default=None)
    units = pl.when(whole == "").then(pl.lit("0")).otherwise(whole).cast(pl.Int64, strict=False)
    padded = fraction.str.pad_end(_MAX_EXPONENT, "0").str.slice(0, _MAX_EXPONENT).cast(pl.Int64)
    magnitude = units * scale + padded // (pl.lit(10**_MAX_EXPONENT) // scale)
    minor = pl.when(well_formed & fits & (fraction.str.len_chars() <= places)).then(
        pl.when(sign == "-").then(-magnitude).otherwise(magnitude)
    )
    parsed = pl.col(_parsed(column))
    checks = [
        _Check(~well_formed, problems.AMOUNT),
        _Check(~fits, problems.TOO_LARGE),
        _Check(
            fraction.str.len_chars() > exponent,
            problems.DECIMALS,
            pl.concat_str([pl.col(_parsed(currency)), exponent.cast(pl.String)], separator=" "),
        ),
    ]
    if column.sign is Sign.POSITIVE:
        checks.append(_Check(parsed <= 0, problems.NOT_POSITIVE))
    elif column.sign is Sign.NON_NEGATIVE:
        checks.append(_Check(parsed < 0, problems.NEGATIVE))
    return _Parsed(
        minor,
        tuple(checks),
        helpers=(
            ("clean", pl.col(_text(column)).str.replace_all(r"[,\s¥￥]", "")),
            ("parts", clean.str.extract_groups(r"^([+-]?)(\d*)(?:\.(\d*))?$")),
            ("sign", parts.struct.field("1")),
            ("whole", parts.struct.field("2").str.strip_chars_start("0")),
            ("fraction", parts.struct.field("3").fill_null("").str.strip_chars_end("0")),
        ),
    )


def _parse_integer(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    text = pl.col(_text(column))
    number = pl.col(_parsed(column))
    checks = [_Check(number.is_null(), problems.INTEGER)]
    if column.allowed:
        allowed = ", ".join(str(value) for value in column.allowed)
        checks.append(_Check(~number.is_in(list(column.allowed)), problems.CHOICE, pl.lit(allowed)))
    if column.sign is Sign.NON_NEGATIVE:
        checks.append(_Check(number < 0, problems.NEGATIVE))
    value = pl.when(text.str.contains(r"^[+-]?\d{1,9}$")).then(text.cast(pl.Int64, strict=False))
    return _Parsed(value, tuple(checks))


def _parse_share(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    """A share as an exact decimal string with six places (the column is NUMERIC(7, 6))."""
    parts = pl.col(_helper(column, "parts"))
    whole = parts.struct.field("1")
    fraction = parts.struct.field("2").fill_null("").str.strip_chars_end("0")
    percent = parts.struct.field("3") == "%"
    millionths = pl.col(_helper(column, "millionths"))
    usable = (millionths > 0) & (millionths <= 1_000_000)
    share = pl.when(usable).then(
        pl.format(
            "{}.{}",
            millionths // 1_000_000,
            (millionths % 1_000_000).cast(pl.String).str.zfill(6),
        )
    )
    return _Parsed(
        share,
        (_Check(pl.col(_parsed(column)).is_null(), problems.FRACTION),),
        helpers=(
            (
                "parts",
                pl.col(_text(column))
                .str.replace_all(r"\s", "")
                .str.extract_groups(r"^(\d*)(?:\.(\d*))?(%?)$"),
            ),
            (
                "millionths",
                pl.when(
                    whole.is_not_null()
                    & (fraction.str.len_chars() <= pl.when(percent).then(4).otherwise(6))
                ).then(
                    pl.when(whole == "")
                    .then(pl.lit("0"))
                    .otherwise(whole)
                    .cast(pl.Int64, strict=False)
                    * pl.when(percent).then(10_000).otherwise(1_000_000)
                    + fraction.str.pad_end(6, "0").str.slice(0, 6).cast(pl.Int64)
                    // pl.when(percent).then(100).otherwise(1)
                ),
            ),
        ),
    )


def _parse_number(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    number = pl.col(_parsed(column))
    return _Parsed(
        pl.col(_text(column)).cast(pl.Float64, strict=False),
        (_Check(number.is_null() | ~number.is_finite(), problems.NUMBER),),
    )


def _parse_boolean(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    lowered = pl.col(_text(column)).str.to_lowercase()
    value = (
        pl.when(lowered.is_in(list(_TRUE))).then(True).when(lowered.is_in(list(_FALSE))).then(False)
    )
    return _Parsed(value, (_Check(pl.col(_parsed(column)).is_null(), problems.BOOLEAN),))


def _parse_choice(column: Column, _work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    value = (
        pl.col(_text(column))
        .str.to_lowercase()
        .replace_strict(
            {spelling: str(value) for spelling, value in column.choices.items()},
            default=None,
            return_dtype=pl.String,
        )
    )
    accepted = pl.lit(", ".join(column.choices))
    return _Parsed(value, (_Check(pl.col(_parsed(column)).is_null(), problems.CHOICE, accepted),))


def _coded(
    column: Column, work: pl.DataFrame, validate: Callable[[str], str], problem: Problem
) -> _Parsed:
    def lookup(value: str) -> str | None:
        try:
            return validate(value)
        except ValueError:  # UnknownCode, or a number failing its check
            return None

    text = pl.col(_text(column))
    known = _by_value(work.get_column(_text(column)), lookup)
    return _Parsed(
        text.replace_strict(known, default=None, return_dtype=pl.String),
        (_Check(pl.col(_parsed(column)).is_null(), problem),),
    )


def _parse_industry(column: Column, work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    return _coded(column, work, validate_industry_code, problems.INDUSTRY)


def _parse_region(column: Column, work: pl.DataFrame, _context: Context, _kind: Kind) -> _Parsed:
    return _coded(column, work, validate_region_code, problems.REGION)


def _parse_resident_id(
    column: Column, work: pl.DataFrame, _context: Context, _kind: Kind
) -> _Parsed:
    return _coded(column, work, validate_resident_id, problems.RESIDENT_ID)


_PARSERS: Mapping[ColumnType, Parser] = {
    ColumnType.TEXT: _parse_text,
    ColumnType.USCC: _parse_uscc,
    ColumnType.DATE: _parse_date,
    ColumnType.AMOUNT: _parse_amount,
    ColumnType.INTEGER: _parse_integer,
    ColumnType.SHARE: _parse_share,
    ColumnType.NUMBER: _parse_number,
    ColumnType.BOOLEAN: _parse_boolean,
    ColumnType.CHOICE: _parse_choice,
    ColumnType.INDUSTRY: _parse_industry,
    ColumnType.REGION: _parse_region,
    ColumnType.RESIDENT_ID: _parse_resident_id,
}
_SCALES = {exponent: 10**exponent for exponent in range(_MAX_EXPONENT + 1)}


def _rule(rule: Rule, kind: Kind, present: frozenset[str]) -> tuple[str, _Check | None]:
    """The column a rule's problem shows on, and its check (``None`` when the file lacks a
    column the rule needs)."""
    if isinstance(rule, DateOrder):
        if not {rule.earlier, rule.later} <= present:
            return rule.later, None
        earlier, later = _typed_of(kind, rule.earlier), _typed_of(kind, rule.later)
        detail = pl.concat_str([later.cast(pl.String), earlier.cast(pl.String)], separator=" < ")
        return rule.later, _Check(later < earlier, rule.problem, detail)
    if isinstance(rule, Distinct):
        first, second = _typed_of(kind, rule.first), _typed_of(kind, rule.second)
        return rule.second, _Check(first == second, rule.problem)
    if isinstance(rule, BalanceSheet):
        return _balance_sheet(kind, present)
    return _any_amount(rule, kind, present)


def _typed_of(kind: Kind, name: str) -> pl.Expr:
    return pl.col(_typed(kind.column(name)))


def _balance_sheet(kind: Kind, present: frozenset[str]) -> tuple[str, _Check | None]:
    """``|assets − liabilities − equity| ≤ tolerance × |assets|`` in exact integer arithmetic
    (the tolerance as a fraction p/q: ``q·|gap| ≤ p·|assets|``), as ``financials.checks``."""
    lines = ("total_assets", "total_liabilities", "total_equity")
    if not set(lines) <= present:
        return "total_assets", None
    assets, liabilities, equity = (_typed_of(kind, name).cast(pl.Int128) for name in lines)
    numerator, denominator = BALANCE_TOLERANCE.as_integer_ratio()
    gap = (assets - liabilities - equity).abs()
    unbalanced = gap * denominator > assets.abs() * numerator
    currency = kind.column("currency")
    detail = pl.concat_str(
        [
            pl.col(_typed(currency)),
            _shown(assets, currency),
            pl.lit("≠"),
            _shown(liabilities + equity, currency),
        ],
        separator=" ",
    )
    return "total_assets", _Check(unbalanced, problems.UNBALANCED, detail)


def _shown(minor: pl.Expr, currency: Column) -> pl.Expr:
    """Minor units as a decimal amount in the row's currency (for messages)."""
    exponent = pl.col(_exponent(currency))
    scale = exponent.replace_strict(_SCALES, default=None)
    units = (minor.abs() // scale).cast(pl.String)
    fraction = (minor.abs() % scale).cast(pl.String).str.zfill(exponent)
    sign = pl.when(minor < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return (
        pl.when(exponent == 0)
        .then(pl.concat_str([sign, units]))
        .otherwise(pl.concat_str([sign, units, pl.lit("."), fraction]))
    )


def _any_amount(rule: AnyAmount, kind: Kind, present: frozenset[str]) -> tuple[str, _Check]:
    amounts = [column for column in kind.columns if column.type is ColumnType.AMOUNT]
    given = [pl.col(_typed(column)).is_null() for column in amounts if column.name in present]
    none_given = pl.all_horizontal(given) if given else pl.lit(True)
    return amounts[0].name, _Check(none_given, rule.problem)
