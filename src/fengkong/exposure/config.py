"""The loss-given-default and mitigant configuration: base LGD by industry section, the
credit-conversion factor of contract commitments, and each mitigant kind's haircut and LGD.

Pure: parsing and look-ups only. The packaged YAML is the configuration in force; results name
its SHA-256 (no table of versions: the file is versioned with the code).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from fengkong.exposure.status import MitigantKind


class LgdConfigError(ValueError):
    """The YAML does not describe a valid LGD configuration; the message names the field."""


@dataclass(frozen=True, slots=True)
class MitigantTerms:
    haircut: float
    lgd: float


@dataclass(frozen=True, slots=True)
class LgdConfig:
    name: str
    sha256: str
    default_lgd: float
    industry_lgd: Mapping[str, float]
    commitment_ccf: float
    mitigants: Mapping[MitigantKind, MitigantTerms]

    def industry_lgd_of(self, industry_code: str | None) -> float:
        """The unsecured LGD of a customer in ``industry_code`` (its first letter is the
        GB/T 4754 section)."""
        section = (industry_code or "")[:1].upper()
        return self.industry_lgd.get(section, self.default_lgd)

    def terms(self, kind: MitigantKind) -> MitigantTerms:
        return self.mitigants[kind]

    @classmethod
    def from_yaml(cls, text: str) -> LgdConfig:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise LgdConfigError(f"not valid YAML: {error}") from error
        if not isinstance(data, dict):
            raise LgdConfigError("the configuration must be a mapping")
        industries = data.get("industry_lgd") or {}
        if not isinstance(industries, dict):
            raise LgdConfigError("industry_lgd must map section letters to shares")
        kinds = data.get("mitigants") or {}
        if not isinstance(kinds, dict):
            raise LgdConfigError("mitigants must map each kind to its haircut and lgd")
        mitigants: dict[MitigantKind, MitigantTerms] = {}
        for kind in MitigantKind:
            entry = kinds.get(kind.value)
            if not isinstance(entry, dict):
                raise LgdConfigError(f"mitigants.{kind.value} is missing")
            mitigants[kind] = MitigantTerms(
                haircut=_share(entry.get("haircut"), f"mitigants.{kind.value}.haircut"),
                lgd=_share(entry.get("lgd"), f"mitigants.{kind.value}.lgd"),
            )
        unknown = sorted(set(kinds) - {kind.value for kind in MitigantKind})
        if unknown:
            raise LgdConfigError(f"mitigants: unknown kind {', '.join(unknown)}")
        return cls(
            name=str(data.get("name") or "lgd"),
            sha256=hashlib.sha256(text.encode()).hexdigest(),
            default_lgd=_share(data.get("default_lgd"), "default_lgd"),
            industry_lgd={
                str(section).upper(): _share(value, f"industry_lgd.{section}")
                for section, value in industries.items()
            },
            commitment_ccf=_share(data.get("commitment_ccf"), "commitment_ccf"),
            mitigants=mitigants,
        )


def _share(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LgdConfigError(f"{field} must be a number between 0 and 1")
    if not 0 <= value <= 1:
        raise LgdConfigError(f"{field} is {value}; it must be between 0 and 1")
    return float(value)


def shipped_yaml() -> str:
    return files("fengkong.exposure").joinpath("defaults/lgd.yaml").read_text("utf-8")


@lru_cache(maxsize=1)
def shipped() -> LgdConfig:
    """The packaged configuration, parsed once."""
    return LgdConfig.from_yaml(shipped_yaml())
