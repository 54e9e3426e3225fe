"""Scorecards and grade scales as versioned records: import YAML (validated), export, activate,
list. Callers own the transaction; nothing here commits.

The YAML text is stored verbatim with its SHA-256, so the configuration behind any stored score
can be exported exactly as it was. Versions are numbered 1, 2, … per kind; exactly one scorecard
and one grade scale are active at a time. The shipped defaults become version 1 of each, active,
the first time anything is scored (``ensure_active``), so a fresh database needs no set-up step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from importlib.resources import files
from typing import cast

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import NotFound, ValidationFailed
from fengkong.kit.time import utcnow
from fengkong.risk.models import ConfigStatus, GradeScaleVersion, ScorecardVersion
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
    return cast(Scorecard, parse(ConfigKind.SCORECARD, yaml_text))


def parse_scale(yaml_text: str) -> MasterScale:
    return cast(MasterScale, parse(ConfigKind.GRADE_SCALE, yaml_text))


def shipped_yaml(kind: ConfigKind) -> str:
    return files("fengkong.scoring").joinpath(kind.default_file).read_text("utf-8")


def _rows(session: Session, kind: ConfigKind, *where: ColumnElement[bool]) -> list[ConfigRow]:
    model = kind.model
    statement = select(model).where(*where).order_by(model.version.desc())
    return cast(list[ConfigRow], list(session.scalars(statement)))


def list_versions(session: Session, actor: Actor, *, kind: ConfigKind) -> list[ConfigRow]:
    """Every stored version of the kind, newest first."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    return _rows(session, kind)


def get_version(
    session: Session, actor: Actor, *, kind: ConfigKind, version: int | None = None
) -> ConfigRow:
    """Version ``version``, or the active one when ``None``."""
    auth_service.ensure_permission(actor, Permission.RISK_READ)
    if version is None:
        row = _active_row(session, kind)
        if row is None:
            raise ConfigVersionNotFound(f"no {kind.label} is active yet")
        return row
    found = _rows(session, kind, kind.model.version == version)
    if not found:
        raise ConfigVersionNotFound(f"no {kind.label} version {version}")
    return found[0]


def import_version(
    session: Session,
    actor: Actor,
    *,
    kind: ConfigKind,
    yaml_text: str,
    note: str | None = None,
    activate: bool = False,
) -> ConfigRow:
    """Validate and store ``yaml_text`` as the next version (a draft unless ``activate``).

    Importing text identical to a stored version stores nothing and returns that version.
    """
    auth_service.ensure_permission(actor, Permission.RISK_WRITE)
    config = parse(kind, yaml_text)
    digest = hashlib.sha256(yaml_text.encode()).hexdigest()
    model = kind.model
    existing = _rows(session, kind, model.sha256 == digest)
    if existing:
        row = existing[0]
    else:
        latest = session.scalar(select(func.max(model.version))) or 0
        row = model(
            name=config.name,
            version=latest + 1,
            yaml_text=yaml_text,
            sha256=digest,
            status=ConfigStatus.DRAFT,
            created_by=actor.username,
            note=note,
        )
        session.add(row)
        session.flush()
    if activate:
        return activate_version(session, actor, kind=kind, version=row.version)
    return row


def activate_version(
    session: Session, actor: Actor, *, kind: ConfigKind, version: int
) -> ConfigRow:
    """Make ``version`` the one new scores use; the previously active one is retired. Stored
    scores keep naming the version that produced them."""
    auth_service.ensure_permission(actor, Permission.RISK_WRITE)
    row = get_version(session, actor, kind=kind, version=version)
    if row.status is ConfigStatus.ACTIVE:
        return row
    for active in _rows(session, kind, kind.model.status == ConfigStatus.ACTIVE):
        active.status = ConfigStatus.RETIRED
    row.status = ConfigStatus.ACTIVE
    row.activated_at = utcnow()
    session.flush()
    return row


def _active_row(session: Session, kind: ConfigKind) -> ConfigRow | None:
    found = _rows(session, kind, kind.model.status == ConfigStatus.ACTIVE)
    return found[0] if found else None


def _ensure_active_row(session: Session, actor: Actor, kind: ConfigKind) -> ConfigRow:
    row = _active_row(session, kind)
    if row is not None:
        return row
    model = kind.model
    if session.scalar(select(model.id).limit(1)) is None:
        return import_version(
            session,
            actor,
            kind=kind,
            yaml_text=shipped_yaml(kind),
            note="shipped default",
            activate=True,
        )
    raise ConfigVersionNotFound(f"no {kind.label} is active; activate one of the stored versions")


def ensure_active(session: Session, actor: Actor) -> ActiveConfig:
    """The active scorecard and scale, storing the shipped defaults on first use."""
    scorecard_row = cast(ScorecardVersion, _ensure_active_row(session, actor, ConfigKind.SCORECARD))
    scale_row = cast(GradeScaleVersion, _ensure_active_row(session, actor, ConfigKind.GRADE_SCALE))
    return ActiveConfig(
        scorecard_row=scorecard_row,
        scorecard=parse_scorecard(scorecard_row.yaml_text),
        scale_row=scale_row,
        scale=parse_scale(scale_row.yaml_text),
    )
