"""Scorecards and grade scales as versioned records: import YAML (validated), export, activate,
list. Callers own the transaction; nothing here commits.

The YAML text is stored verbatim with its SHA-256, so the configuration behind any stored score
can be exported exactly as it was. Versions are numbered 1, 2, … per kind; exactly one scorecard
and one grade scale are active at a time. The shipped defaults become version 1 of each, active,
the first time anything is scored (``ensure_active``), so a fresh database needs no set-up step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import partial
from importlib.resources import files
from typing import Any, cast

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import VersionedConfigs
from fengkong.errors import NotFound, ValidationFailed
from fengkong.risk.models import GradeScaleVersion, ScorecardVersion
from fengkong.scoring.config import ConfigError
from fengkong.scoring.grading import MasterScale
from fengkong.scoring.scorecard import Scorecard

ConfigRow = ScorecardVersion | GradeScaleVersion


class ConfigKind(StrEnum):
    SCORECARD = "scorecard"
    GRADE_SCALE = "grade_scale"

    @property
    def model(self) -> type[ScorecardVersion] | type[GradeScaleVersion]:
        return ScorecardVersion if self is ConfigKind.SCORECARD else GradeScaleVersion

    @property
    def label(self) -> str:
        return "scorecard" if self is ConfigKind.SCORECARD else "grade scale"

    @property
    def default_file(self) -> str:
        name = "expert_scorecard" if self is ConfigKind.SCORECARD else "master_scale"
        return f"defaults/{name}.yaml"


class ConfigVersionNotFound(NotFound):
    code = "config_version_not_found"


class InvalidConfig(ValidationFailed):
    """The YAML does not describe a valid scorecard or grade scale; the message says where."""

    code = "invalid_config"


@dataclass(frozen=True, slots=True)
class ActiveConfig:
    """The scorecard and grade scale scores are computed with, and the records that name them."""

    scorecard_row: ScorecardVersion
    scorecard: Scorecard
    scale_row: GradeScaleVersion
    scale: MasterScale


def parse(kind: ConfigKind, yaml_text: str) -> Scorecard | MasterScale:
    """The validated configuration, or ``InvalidConfig`` naming the factor, bin or field."""
    try:
        if kind is ConfigKind.SCORECARD:
            return Scorecard.from_yaml(yaml_text)
        return MasterScale.from_yaml(yaml_text)
    except ConfigError as error:
        raise InvalidConfig(str(error)) from error


def parse_scorecard(yaml_text: str) -> Scorecard:
    """Parsed once per process and text: scoring and the event consumer ask for it on every pass."""
    return cast(Scorecard, _store(ConfigKind.SCORECARD).parse(yaml_text))


def parse_scale(yaml_text: str) -> MasterScale:
    return cast(MasterScale, _store(ConfigKind.GRADE_SCALE).parse(yaml_text))


def active_scale(session: Session, actor: Actor) -> MasterScale:
    """The master scale new scores are graded on; the shipped one until a version is stored."""
    try:
        row = get_version(session, actor, kind=ConfigKind.GRADE_SCALE)
    except ConfigVersionNotFound:
        return MasterScale.default()
    return parse_scale(row.yaml_text)


def shipped_yaml(kind: ConfigKind) -> str:
    return files("fengkong.scoring").joinpath(kind.default_file).read_text("utf-8")


def _store(kind: ConfigKind) -> VersionedConfigs[Any, Scorecard | MasterScale]:
    return _STORES[kind]


def versions_of(kind: ConfigKind) -> VersionedConfigs[Any, Scorecard | MasterScale]:
    """The versioned store of ``kind``, with its permissions, for callers that treat every
    kind of configuration alike (the settings pages)."""
    return _STORES[kind]


def list_versions(session: Session, actor: Actor, *, kind: ConfigKind) -> list[ConfigRow]:
    """Every stored version of the kind, newest first."""
    return cast(list[ConfigRow], _store(kind).list_versions(session, actor))


def get_version(
    session: Session, actor: Actor, *, kind: ConfigKind, version: int | None = None
) -> ConfigRow:
    """Version ``version``, or the active one when ``None``."""
    return cast(ConfigRow, _store(kind).get_version(session, actor, version=version))


def import_version(
    session: Session,
    actor: Actor,
    *,
    kind: ConfigKind,
    yaml_text: str,
    note: str | None = None,
    activate: bool = False,
) -> ConfigRow:
    """Validate and store ``yaml_text`` as the next version (a draft unless ``activate``)."""
    row = _store(kind).import_version(
        session, actor, yaml_text=yaml_text, note=note, activate=activate
    )
    return cast(ConfigRow, row)


def activate_version(
    session: Session, actor: Actor, *, kind: ConfigKind, version: int
) -> ConfigRow:
    """Make ``version`` the one new scores use; stored scores keep naming theirs."""
    return cast(ConfigRow, _store(kind).activate_version(session, actor, version=version))


def ensure_active(session: Session, actor: Actor) -> ActiveConfig:
    """The active scorecard and scale, storing the shipped defaults on first use."""
    scorecard_row = cast(
        ScorecardVersion, _store(ConfigKind.SCORECARD).ensure_active_row(session, actor)
    )
    scale_row = cast(
        GradeScaleVersion, _store(ConfigKind.GRADE_SCALE).ensure_active_row(session, actor)
    )
    return ActiveConfig(
        scorecard_row=scorecard_row,
        scorecard=parse_scorecard(scorecard_row.yaml_text),
        scale_row=scale_row,
        scale=parse_scale(scale_row.yaml_text),
    )


_STORES: dict[ConfigKind, VersionedConfigs[Any, Scorecard | MasterScale]] = {
    kind: VersionedConfigs(
        model=kind.model,
        label=kind.label,
        parse_text=partial(parse, kind),
        name_of=lambda config: config.name,
        shipped_yaml=partial(shipped_yaml, kind),
        not_found=ConfigVersionNotFound,
        read=Permission.RISK_READ,
        write=Permission.RISK_WRITE,
    )
    for kind in ConfigKind
}
