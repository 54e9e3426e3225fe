"""Look up and validate industry and region codes.

Industries follow GB/T 4754-2017: a section letter, optionally followed by a two-digit division
(and group/class digits) that must fall inside the section's division range. Regions follow
GB/T 2260: six digits whose first two name a province-level division; names are known for the
provinces and the larger cities, and any valid code resolves to at least its province.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

INDUSTRY_PATTERN = re.compile(r"^([A-T])(\d{2}(?:\d{1,2})?)?$")
REGION_PATTERN = re.compile(r"^\d{6}$")


class UnknownCode(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Industry:
    section: str
    first_division: int
    last_division: int
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name_zh: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_zh if locale.startswith("zh") else self.name_en


def _rows(name: str) -> list[dict[str, str]]:
    text = files("fengkong.reference").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def industry_sections() -> dict[str, Industry]:
    return {
        row["section"]: Industry(
            section=row["section"],
            first_division=int(row["first_division"]),
            last_division=int(row["last_division"]),
            name_zh=row["name_zh"],
            name_en=row["name_en"],
        )
        for row in _rows("industries.csv")
    }


@lru_cache(maxsize=1)
def regions() -> dict[str, Region]:
    return {
        row["code"]: Region(code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"])
        for row in _rows("regions.csv")
    }


def validate_industry_code(value: str) -> str:
    code = value.strip().upper()
    match = INDUSTRY_PATTERN.fullmatch(code)
    if not match:
        raise UnknownCode(
            f"{value!r} is not a GB/T 4754 industry code (a section letter A–T, optionally "
            "followed by 2–4 digits, e.g. C or C3011)"
        )
    section = industry_sections()[match.group(1)]
    digits = match.group(2)
    if digits and not section.first_division <= int(digits[:2]) <= section.last_division:
        raise UnknownCode(
            f"division {digits[:2]} does not belong to section {section.section} "
            f"({section.first_division:02d}–{section.last_division:02d})"
        )
    return code


def industry_of(code: str) -> Industry:
    return industry_sections()[validate_industry_code(code)[0]]


def validate_region_code(value: str) -> str:
    code = value.strip()
    if not REGION_PATTERN.fullmatch(code) or f"{code[:2]}0000" not in regions():
        raise UnknownCode(
            f"{value!r} is not a GB/T 2260 region code (six digits starting with a province code, "
            "e.g. 310000 for Shanghai)"
        )
    return code


def region_of(code: str) -> Region:
    """The most specific known region: the city when listed, else the province."""
    known = regions()
    valid = validate_region_code(code)
    for candidate in (valid, f"{valid[:4]}00", f"{valid[:2]}0000"):
        if candidate in known:
            return known[candidate]
    raise UnknownCode(code)
