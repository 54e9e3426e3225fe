"""Industry and region risk levels: configurable tables that turn codes into context features.

Keys are code prefixes and the longest matching prefix wins, so a policy can set a level for a
whole GB/T 4754 section ("C") and refine one division ("C31"), or a province ("44") and one city
("4403"). The default tables in ``defaults/context.yaml`` are a starting point to configure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

import polars as pl
import yaml

INDUSTRY_KEY = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$")
REGION_KEY = re.compile(r"^\d{2,6}$")
LOWEST_LEVEL, HIGHEST_LEVEL = 1, 5
FORMAT_VERSION = 1


class ContextTablesError(ValueError):
    """A context table is malformed; the message names the table and the key."""


def _checked(table: str, raw: Any, key_pattern: re.Pattern[str]) -> Mapping[str, int]:
    if not isinstance(raw, Mapping):
        raise ContextTablesError(f"{table}: expected a mapping of code prefix to level")
    levels: dict[str, int] = {}
    for raw_key, level in raw.items():
        key = str(raw_key).strip().upper()
        if not key_pattern.fullmatch(key):
            raise ContextTablesError(f"{table}: {raw_key!r} is not a valid code prefix")
        if key in levels:
            raise ContextTablesError(f"{table}: prefix {key} appears twice")
        if isinstance(level, bool) or not isinstance(level, int):
            raise ContextTablesError(f"{table} {key}: level {level!r} is not a whole number")
        if not LOWEST_LEVEL <= level <= HIGHEST_LEVEL:
            raise ContextTablesError(
                f"{table} {key}: level {level} is outside {LOWEST_LEVEL}..{HIGHEST_LEVEL}"
            )
        levels[key] = level
    return MappingProxyType(levels)


@dataclass(frozen=True)
class ContextTables:
    industry: Mapping[str, int]
    region: Mapping[str, int]

    def __post_init__(self) -> None:
        object.__setattr__(self, "industry", _checked("industry", self.industry, INDUSTRY_KEY))
        object.__setattr__(self, "region", _checked("region", self.region, REGION_KEY))

    @classmethod
    def from_yaml(cls, text: str) -> ContextTables:
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ContextTablesError(f"not valid YAML: {error}") from error
        if not isinstance(document, Mapping):
            raise ContextTablesError("expected a mapping with 'industry' and 'region' tables")
        version = document.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ContextTablesError(f"version {version!r} is not supported")
        unknown = set(document) - {"version", "industry", "region"}
        if unknown:
            raise ContextTablesError(f"unknown keys: {', '.join(sorted(map(str, unknown)))}")
        return cls(industry=document.get("industry", {}), region=document.get("region", {}))

    @classmethod
    def default(cls) -> ContextTables:
        """The shipped tables, parsed once a process: every scoring run asks for them and the
        YAML parse cost ~10 ms (the tables are immutable, so sharing them is safe)."""
        return _shipped()

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            {
                "version": FORMAT_VERSION,
                "industry": dict(self.industry),
                "region": dict(self.region),
            },
            allow_unicode=True,
            sort_keys=False,
        )

    def industry_level(self, codes: pl.Expr) -> pl.Expr:
        """The level of each industry code (null when no prefix matches)."""
        return longest_prefix_level(codes.str.strip_chars().str.to_uppercase(), self.industry)

    def region_level(self, codes: pl.Expr) -> pl.Expr:
        """The level of each region code (null when no prefix matches)."""
        return longest_prefix_level(codes.str.strip_chars(), self.region)


def longest_prefix_level(codes: pl.Expr, levels: Mapping[str, int]) -> pl.Expr:
    """Vectorised longest-prefix lookup: one dictionary lookup per distinct key length."""
    by_length: dict[int, dict[str, int]] = {}
    for key, level in levels.items():
        by_length.setdefault(len(key), {})[key] = level
    lookups = [
        codes.str.slice(0, length).replace_strict(
            by_length[length], default=None, return_dtype=pl.Float64
        )
        for length in sorted(by_length, reverse=True)
    ]
    if not lookups:
        return pl.lit(None, dtype=pl.Float64)
    return pl.coalesce(lookups)


@cache
def _shipped() -> ContextTables:
    text = files("fengkong.scoring").joinpath("defaults/context.yaml").read_text("utf-8")
    return ContextTables.from_yaml(text)
