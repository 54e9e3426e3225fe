"""The data-quality rules, stated once: which fields a complete customer file has, when a
statement or credit report is stale, and which issues a customer's file can have.

Pure: the service evaluates the same rules in SQL for a whole portfolio at once, and uses these
definitions to name what it found.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fengkong.settings import Settings


class KeyField(StrEnum):
    """What a complete customer file has. The completeness score is the share present."""

    USCC_VERIFIED = "uscc_verified"
    NAME = "name"
    INDUSTRY = "industry"
    REGION = "region"
    REGISTERED_CAPITAL = "registered_capital"
    ESTABLISHED_ON = "established_on"
    LEGAL_REPRESENTATIVE = "legal_representative"
    CONTACT = "contact"
    FINANCIAL_STATEMENT = "financial_statement"
    CREDIT_REPORT = "credit_report"


KEY_FIELDS: tuple[KeyField, ...] = tuple(KeyField)


class Issue(StrEnum):
    MISSING_NAME = "missing_name"
    MISSING_INDUSTRY = "missing_industry"
    MISSING_REGION = "missing_region"
    MISSING_REGISTERED_CAPITAL = "missing_registered_capital"
    MISSING_ESTABLISHED_ON = "missing_established_on"
    MISSING_LEGAL_REPRESENTATIVE = "missing_legal_representative"
    MISSING_CONTACT = "missing_contact"
    MISSING_FINANCIAL_STATEMENT = "missing_financial_statement"
    MISSING_CREDIT_REPORT = "missing_credit_report"
    USCC_UNVERIFIED = "uscc_unverified"
    USCC_MISMATCH = "uscc_mismatch"
    STALE_STATEMENT = "stale_statement"
    STALE_REPORT = "stale_report"
    UNVERIFIED_OUTSIDE_DATA = "unverified_outside_data"


MISSING: Mapping[KeyField, Issue] = {
    field: Issue(f"missing_{field.value}")
    for field in KEY_FIELDS
    if field is not KeyField.USCC_VERIFIED
}


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How old the latest statement (by its period end) and credit report (by its report date)
    may be before the file counts as stale."""

    statement_stale_months: int = 18
    report_stale_months: int = 12

    @classmethod
    def of(cls, settings: Settings) -> Thresholds:
        return cls(
            statement_stale_months=settings.quality_statement_stale_months,
            report_stale_months=settings.quality_report_stale_months,
        )

    def statement_cutoff(self, today: date) -> date:
        return months_before(today, self.statement_stale_months)

    def report_cutoff(self, today: date) -> date:
        return months_before(today, self.report_stale_months)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter):
    a date before this is more than ``months`` months old."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def is_stale(latest: date | None, cutoff: date) -> bool:
    """Stale means present but older than the cutoff; absent data is missing, not stale."""
    return latest is not None and latest < cutoff


@dataclass(frozen=True, slots=True)
class Flags:
    """One customer's file as the rules see it."""

    complete: frozenset[KeyField]
    uscc_mismatch: bool
    stale_statement: bool
    stale_report: bool
    unverified_outside_data: bool

    @property
    def score(self) -> float:
        return len(self.complete) / len(KEY_FIELDS)

    @property
    def missing(self) -> tuple[KeyField, ...]:
        return tuple(field for field in KEY_FIELDS if field not in self.complete)

    @property
    def issues(self) -> tuple[Issue, ...]:
        found = [MISSING[field] for field in self.missing if field in MISSING]
        if KeyField.USCC_VERIFIED not in self.complete:
            found.append(Issue.USCC_MISMATCH if self.uscc_mismatch else Issue.USCC_UNVERIFIED)
        if self.stale_statement:
            found.append(Issue.STALE_STATEMENT)
        if self.stale_report:
            found.append(Issue.STALE_REPORT)
        if self.unverified_outside_data:
            found.append(Issue.UNVERIFIED_OUTSIDE_DATA)
        return tuple(sorted(found, key=list(Issue).index))
