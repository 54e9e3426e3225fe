"""The review cadence: months between periodic reviews per grade, and the checklist. Pure; parsed
from YAML into frozen dataclasses, with the due-date arithmetic."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml


class CadenceError(ValueError):
    """The YAML does not describe a valid cadence; the message names the field."""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Cadence:
    name: str
    months_by_grade: dict[str, int]
    unrated_months: int
    due_soon_days: int
    checklist: tuple[ChecklistItem, ...]

    def months_for(self, grade: str | None) -> int:
        """Months between reviews for ``grade``; an unknown or missing grade counts as unrated."""
        if grade is None:
            return self.unrated_months
        return self.months_by_grade.get(grade, self.unrated_months)

    def next_due(self, grade: str | None, after: date) -> date:
        return add_months(after, self.months_for(grade))

    @classmethod
    def from_yaml(cls, text: str) -> Cadence:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise CadenceError(f"not YAML: {error}") from error
        if not isinstance(document, dict):
            raise CadenceError("the cadence must be a mapping")
        return cls.from_mapping(document)

    @classmethod
    def from_mapping(cls, document: dict[str, Any]) -> Cadence:
        name = document.get("name")
        if not isinstance(name, str) or not name:
            raise CadenceError("name: a non-empty string is required")
        grades = document.get("months_by_grade")
        if not isinstance(grades, dict) or not grades:
            raise CadenceError("months_by_grade: a mapping of grade to months is required")
        months = {
            str(grade): _months(f"months_by_grade.{grade}", value)
            for grade, value in grades.items()
        }
        unrated = _months("unrated_months", document.get("unrated_months"))
        soon = document.get("due_soon_days", 30)
        if not isinstance(soon, int) or isinstance(soon, bool) or soon < 0:
            raise CadenceError("due_soon_days: a whole number of days, 0 or more")
        items = document.get("checklist")
        if not isinstance(items, list) or not items:
            raise CadenceError("checklist: a list of {key, label} items is required")
        checklist: list[ChecklistItem] = []
        for index, item in enumerate(items):
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("key"), str)
                or not isinstance(item.get("label"), str)
            ):
                raise CadenceError(f"checklist[{index}]: key and label are required strings")
            checklist.append(ChecklistItem(key=item["key"], label=item["label"]))
        keys = [item.key for item in checklist]
        if len(set(keys)) != len(keys):
            raise CadenceError("checklist: keys must be unique")
        return cls(
            name=name,
            months_by_grade=months,
            unrated_months=unrated,
            due_soon_days=soon,
            checklist=tuple(checklist),
        )


def _months(field: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 120:
        raise CadenceError(f"{field}: a whole number of months from 1 to 120")
    return value


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
