"""The dunning configuration: levels (from how many days past due, the smallest total worth a
notice, whether the level hands over to legal, the wording of its letter), grace days, the
residue tolerance, and the worklist's PD for unrated customers.

Pure: parsing and look-ups only. The packaged YAML is the configuration in force and every notice
records its name, version and SHA-256 (no table of versions: the file is versioned and reviewed
with the code, like the LGD configuration of the exposure area; a letter can always be traced to
the exact text that produced it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from typing import Any

import yaml

from fengkong.kit.money import Money, MoneyError

LANGUAGES = ("zh_CN", "en")


class DunningConfigError(ValueError):
    """The YAML does not describe valid dunning levels; the message names the field."""


@dataclass(frozen=True, slots=True)
class LetterWording:
    title: str
    opening: str
    closing: str


@dataclass(frozen=True, slots=True)
class DunningLevel:
    level: int
    days: int
    name: str
    minimum: Mapping[str, int]  # currency → minor units
    legal_handover: bool
    letter: Mapping[str, LetterWording]  # language → wording

    def minimum_of(self, currency: str) -> int:
        return self.minimum.get(currency, 0)


@dataclass(frozen=True, slots=True)
class DunningConfig:
    name: str
    version: int
    sha256: str
    grace_days: int
    residue_tolerance: Mapping[str, int]  # currency → minor units
    letter_language: str
    promise_grace_days: int
    unrated_pd: float
    levels: tuple[DunningLevel, ...]

    def level_for(self, days_past_due: int) -> int:
        """The highest level ``days_past_due`` reaches (0: not dunnable yet)."""
        if days_past_due <= self.grace_days:
            return 0
        reached = 0
        for level in self.levels:
            if days_past_due >= level.days:
                reached = level.level
        return reached

    def level(self, number: int) -> DunningLevel:
        for level in self.levels:
            if level.level == number:
                return level
        raise KeyError(number)

    def tolerance_of(self, currency: str) -> int:
        return self.residue_tolerance.get(currency, 0)

    @property
    def highest_level(self) -> int:
        return self.levels[-1].level

    @classmethod
    def from_yaml(cls, text: str) -> DunningConfig:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise DunningConfigError(f"not valid YAML: {error}") from error
        if not isinstance(data, dict):
            raise DunningConfigError("the configuration must be a mapping")
        raw_levels = data.get("levels")
        if not isinstance(raw_levels, list) or not raw_levels:
            raise DunningConfigError("levels must be a non-empty list")
        levels = tuple(_level(entry, index) for index, entry in enumerate(raw_levels))
        for index, (previous, current) in enumerate(pairwise(levels), start=1):
            if current.level != previous.level + 1:
                raise DunningConfigError(f"levels[{index}].level must be {previous.level + 1}")
            if current.days <= previous.days:
                raise DunningConfigError(f"levels[{index}].days must exceed {previous.days}")
        if levels[0].level != 1:
            raise DunningConfigError("levels[0].level must be 1")
        language = str(data.get("letter_language") or "zh_CN")
        if language not in LANGUAGES:
            raise DunningConfigError(f"letter_language must be one of {', '.join(LANGUAGES)}")
        unrated_pd = data.get("unrated_pd", 0.05)
        if not isinstance(unrated_pd, int | float) or not 0 < unrated_pd < 1:
            raise DunningConfigError("unrated_pd must be a probability between 0 and 1")
        return cls(
            name=str(data.get("name") or "dunning"),
            version=_whole(data.get("version", 1), "version", minimum=1),
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            grace_days=_whole(data.get("grace_days", 0), "grace_days"),
            residue_tolerance=_amounts(data.get("residue_tolerance"), "residue_tolerance"),
            letter_language=language,
            promise_grace_days=_whole(data.get("promise_grace_days", 0), "promise_grace_days"),
            unrated_pd=float(unrated_pd),
            levels=levels,
        )


def _whole(value: Any, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DunningConfigError(f"{field} must be a whole number ≥ {minimum}")
    return value


def _amounts(value: Any, field: str) -> dict[str, int]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DunningConfigError(f"{field} must map currencies to amounts")
    amounts: dict[str, int] = {}
    for currency, amount in value.items():
        try:
            money = Money.of(Decimal(str(amount)), str(currency))
        except (MoneyError, ArithmeticError) as error:
            raise DunningConfigError(f"{field}.{currency}: {error}") from error
        if money.amount < 0:
            raise DunningConfigError(f"{field}.{currency} must not be negative")
        amounts[money.currency] = money.minor_units
    return amounts


def _level(entry: Any, index: int) -> DunningLevel:
    where = f"levels[{index}]"
    if not isinstance(entry, dict):
        raise DunningConfigError(f"{where} must be a mapping")
    letters = entry.get("letter")
    if not isinstance(letters, dict):
        raise DunningConfigError(f"{where}.letter must map languages to wording")
    wording: dict[str, LetterWording] = {}
    for language in LANGUAGES:
        text = letters.get(language)
        if not isinstance(text, dict):
            raise DunningConfigError(f"{where}.letter.{language} is missing")
        parts = {}
        for part in ("title", "opening", "closing"):
            value = text.get(part)
            if not isinstance(value, str) or not value.strip():
                raise DunningConfigError(f"{where}.letter.{language}.{part} is missing")
            parts[part] = value.strip()
        wording[language] = LetterWording(**parts)
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise DunningConfigError(f"{where}.name is missing")
    return DunningLevel(
        level=_whole(entry.get("level"), f"{where}.level", minimum=1),
        days=_whole(entry.get("days"), f"{where}.days", minimum=1),
        name=name,
        minimum=_amounts(entry.get("minimum"), f"{where}.minimum"),
        legal_handover=bool(entry.get("legal_handover", False)),
        letter=wording,
    )


def shipped_yaml() -> str:
    return files("fengkong.collections").joinpath("defaults/dunning.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def shipped() -> DunningConfig:
    """The packaged configuration, parsed once."""
    return DunningConfig.from_yaml(shipped_yaml())
