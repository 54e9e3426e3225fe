"""What can be wrong with an import, as stable codes with messages in the reader's language.

Row checks run column-wise over whole batches, so a problem is a code plus three strings — the
column as the file names it, the cell's value and one ``detail`` (an expected check digit, the
other row of a duplicate) — and the message is rendered from those only where it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from fengkong.errors import DomainError
from fengkong.i18n import N_, Message
from fengkong.settings import Locale

MAX_VALUE_CHARS = 100
"""Cell values quoted in errors are cut to this length (a 10 MB cell must not come back whole)."""


@dataclass(frozen=True, slots=True)
class Problem:
    code: str
    msgid: str


PROBLEMS: dict[str, Problem] = {}


def _problem(code: str, msgid: str) -> Problem:
    problem = PROBLEMS[code] = Problem(code, msgid)
    return problem


# Cells
REQUIRED = _problem("required", N_("%(column)s is required."))
FORMULA = _problem(
    "formula",
    N_('%(column)s starts with "=": formulas are not accepted, enter the value itself.'),
)
TOO_LONG = _problem("too_long", N_("%(column)s is longer than %(detail)s characters."))
USCC_FORMAT = _problem(
    "uscc_format",
    N_(
        "%(value)s is not a USCC: 18 digits and capital letters are expected "
        "(I, O, S, V and Z are never used)."
    ),
)
USCC_CHECK_DIGIT = _problem(
    "uscc_check_digit",
    N_("%(value)s fails the USCC check digit (the last character should be %(detail)s)."),
)
DATE = _problem("date", N_("%(value)s is not a date; write it as YYYY-MM-DD."))
DATE_IN_FUTURE = _problem("date_in_future", N_("%(column)s %(value)s is in the future."))
AMOUNT = _problem(
    "amount",
    N_("%(value)s is not an amount; write digits with an optional decimal point, e.g. 1234.56."),
)
DECIMALS = _problem(
    "decimals",
    N_("%(value)s has more decimal places than the currency allows (%(detail)s)."),
)
TOO_LARGE = _problem("too_large", N_("%(value)s is too large."))
NOT_POSITIVE = _problem("not_positive", N_("%(column)s must be greater than zero."))
NEGATIVE = _problem("negative", N_("%(column)s must not be negative."))
CURRENCY = _problem(
    "currency", N_("%(value)s is not an ISO 4217 currency code such as CNY or USD.")
)
INTEGER = _problem("integer", N_("%(value)s is not a whole number."))
NUMBER = _problem("number", N_("%(value)s is not a number."))
CHOICE = _problem("choice", N_("%(value)s is not one of: %(detail)s."))
BOOLEAN = _problem(
    "boolean", N_("%(value)s is not yes or no (write 是/否, yes/no, true/false or 1/0).")
)
FRACTION = _problem(
    "fraction", N_("%(value)s is not a share above 0 and at most 1 (e.g. 0.51 or 51%%).")
)
INDUSTRY = _problem(
    "industry",
    N_(
        "%(value)s is not a GB/T 4754 industry code (a section letter A–T, optionally "
        "followed by 2–4 digits, e.g. C3011)."
    ),
)
REGION = _problem(
    "region", N_("%(value)s is not a GB/T 2260 region code (six digits, e.g. 310000).")
)
RESIDENT_ID = _problem(
    "resident_id",
    N_(
        "%(column)s is not a valid resident ID number (18 characters with its check digit and a "
        "birth date in the past)."
    ),
)

# Rows
DUE_BEFORE_ISSUE = _problem(
    "due_before_issue", N_("The due date is before the issue date (%(detail)s).")
)
ENDS_BEFORE_START = _problem(
    "ends_before_start", N_("The end date is before the start date (%(detail)s).")
)
RESOLVED_BEFORE_OCCURRED = _problem(
    "resolved_before_occurred",
    N_("The resolution date is before the date of the event (%(detail)s)."),
)
PUBLISHED_BEFORE_PERIOD_END = _problem(
    "published_before_period_end",
    N_("The publication date is before the end of the period (%(detail)s)."),
)
UNBALANCED = _problem(
    "unbalanced",
    N_("Total assets differ from total liabilities plus equity by more than 0.5%% (%(detail)s)."),
)
STATEMENT_EMPTY = _problem("statement_empty", N_("The statement has no amounts."))
SELF_RELATED = _problem("self_related", N_("A customer cannot be its own related party."))
DUPLICATE_ROW = _problem(
    "duplicate_row",
    N_("Row %(detail)s has the same %(column)s: each record may appear only once in a file."),
)

# Rows against the database
UNKNOWN_CUSTOMER = _problem(
    "unknown_customer",
    N_("No customer has the USCC %(value)s; import or create the customer first."),
)
NOT_YOUR_CUSTOMER = _problem(
    "not_your_customer",
    N_("The customer with the USCC %(value)s is looked after by someone else."),
)
UNKNOWN_INVOICE = _problem("unknown_invoice", N_("No invoice has the number %(value)s."))
UNKNOWN_ORDER = _problem("unknown_order", N_("No order has the number %(value)s."))
UNKNOWN_CONTRACT = _problem("unknown_contract", N_("No contract has the number %(value)s."))
OTHER_CUSTOMER = _problem("other_customer", N_("%(value)s belongs to another customer."))
CUSTOMER_CHANGED = _problem(
    "customer_changed",
    N_(
        "%(value)s is already recorded for another customer (USCC %(detail)s); an import "
        "cannot move it."
    ),
)
AMOUNT_BELOW_PAID = _problem(
    "amount_below_paid",
    N_("The amount is less than what has been paid on this invoice (%(detail)s)."),
)
CURRENCY_CHANGED = _problem(
    "currency_changed",
    N_("The record is stored in %(detail)s and has amounts in it; an import cannot change that."),
)
CURRENCY_MISMATCH = _problem(
    "currency_mismatch", N_("The invoice is in %(detail)s; a payment to it must be too.")
)
INVOICE_CANCELLED = _problem(
    "invoice_cancelled", N_("Invoice %(value)s is cancelled and cannot be paid.")
)
OVERPAID = _problem(
    "overpaid",
    N_("Payments to invoice %(value)s would exceed what is outstanding (%(detail)s)."),
)
PAYMENT_CHANGED = _problem(
    "payment_changed",
    N_(
        "Payment %(value)s is already recorded with another invoice, amount or currency; an "
        "import cannot change it."
    ),
)

# The header
UNKNOWN_COLUMN = _problem(
    "unknown_column", N_("%(value)s is not a column of this import. Accepted: %(detail)s.")
)
MISSING_COLUMN = _problem("missing_column", N_("The required column %(column)s is missing."))
DUPLICATE_COLUMN = _problem(
    "duplicate_column", N_("%(value)s names the same column as %(detail)s.")
)
UNNAMED_COLUMN = _problem(
    "unnamed_column", N_("Column %(detail)s has values but no name in the header.")
)

# The file as a whole
EMPTY_FILE = _problem("empty_file", N_("The file is empty."))
NO_ROWS = _problem("no_rows", N_("The file has a header but no rows."))
BINARY_FILE = _problem("binary_file", N_("The file is not text: it contains binary data."))
UTF16_FILE = _problem(
    "utf16_file", N_("The file is UTF-16 text; save it as CSV (UTF-8) and import that.")
)
UNKNOWN_ENCODING = _problem(
    "unknown_encoding", N_("The file is neither UTF-8 nor GB18030/GBK text.")
)
FILE_TYPE = _problem("file_type", N_("Only .csv and .xlsx files can be imported, not %(name)s."))
OLD_EXCEL = _problem(
    "old_excel", N_("Old .xls workbooks cannot be read; save the file as .xlsx or CSV.")
)
NOT_XLSX = _problem("not_xlsx", N_("%(name)s is not a valid .xlsx workbook."))
NOT_CSV = _problem(
    "not_csv",
    N_("%(name)s is a workbook or archive, not CSV text; name it .xlsx if it is a workbook."),
)
XLSX_FORMULAS = _problem(
    "xlsx_formulas",
    N_("The workbook contains formulas (%(sheet)s); paste them as values and import again."),
)
XLSX_TOO_BIG = _problem(
    "xlsx_too_big", N_("The workbook expands to more than %(limit)s bytes when unzipped.")
)
NO_SHEET = _problem("no_sheet", N_("The workbook has no worksheet."))
FILE_TOO_LARGE = _problem(
    "file_too_large", N_("The file is larger than the limit of %(limit)s bytes.")
)
TOO_MANY_ROWS = _problem("too_many_rows", N_("The file has more than the limit of %(limit)s rows."))
LINE_TOO_LONG = _problem(
    "line_too_long",
    N_("Line %(line)s is longer than %(limit)s bytes; the file does not hold one record a line."),
)
RAGGED_ROW = _problem("ragged_row", N_("Row %(row)s has more cells than the header has columns."))
UNREADABLE = _problem("unreadable", N_("The file could not be read as CSV: %(detail)s"))

# Summaries
REJECTED = _problem(
    "import_rejected", N_("%(count)s problems found in %(name)s; nothing was imported.")
)


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one cell (or row, or header cell). ``row`` counts as a spreadsheet does:
    the header is row 1; ``column`` is the header as the file spells it."""

    row: int | None
    column: str | None
    value: str | None
    code: str
    detail: str = ""

    @property
    def message(self) -> Message:
        return Message(
            PROBLEMS[self.code].msgid,
            {"column": self.column or "", "value": self.value or "", "detail": self.detail},
        )

    def as_dict(self, locale: Locale) -> dict[str, Any]:
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "code": self.code,
            "message": self.message.render(locale),
        }

    def stored(self) -> dict[str, Any]:
        """As kept on the import run: English text plus what it takes to render it again."""
        return self.as_dict("en") | {"detail": self.detail}

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> RowError:
        return cls(
            row=data.get("row"),
            column=data.get("column"),
            value=data.get("value"),
            code=str(data["code"]),
            detail=str(data.get("detail", "")),
        )


def clip(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class ImportFailed(DomainError):
    """An import refused as a whole. Its text is a ``Message``, so each entry point can say it in
    its reader's language (``localised``); ``message`` and ``details`` default to English."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "import_failed"

    def __init__(
        self,
        text: Message,
        *,
        errors: Sequence[RowError] = (),
        count: int = 0,
        locale: Locale = "en",
    ) -> None:
        self.text = text
        self.errors = tuple(errors)
        self.count = max(count, len(self.errors))
        details = [error.as_dict(locale) for error in self.errors] if self.errors else None
        super().__init__(text.render(locale), details=details)

    def localised(self, locale: Locale) -> Self:
        return type(self)(self.text, errors=self.errors, count=self.count, locale=locale)


class ImportFileRejected(ImportFailed):
    """The file itself is unusable (empty, binary, unknown encoding, formulas, …)."""

    code = "import_file_rejected"


class ImportFileTooLarge(ImportFailed):
    status_code = 413
    code = "import_file_too_large"


class UnsupportedImportFile(ImportFailed):
    status_code = 415
    code = "unsupported_import_file"


class ImportRejected(ImportFailed):
    """Rows or header failed validation; every problem found is in ``errors`` (up to a cap)."""

    status_code = 422
    code = "import_rejected"


def file_problem(problem: Problem, **params: object) -> Message:
    return Message(problem.msgid, params)
