"""Configuration stored by version: scorecards, grade scales, limit policies, check rule sets.

Each is YAML kept verbatim with its SHA-256, numbered 1, 2, … per table, and exactly one version is
active at a time; every decision names the version that made it. Importing text identical to a
stored version stores nothing and returns that version. The shipped default becomes version 1,
active, the first time something needs a stored version (``ensure_active``). Parsed configurations
are cached by digest, so a hot path parses the YAML once per process. Callers own the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import Field
from sqlalchemy import ColumnElement, ScalarSelect, String, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from fengkong.audit.models import AuditEntry
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.errors import NotFound
from fengkong.kit.columns import enum_type
from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.kit.time import utcnow


class ConfigStatus(StrEnum):
    """Life of a stored configuration: imported as a draft, then active (one at a time), then
    retired when another is activated."""

    DRAFT = "draft"
    ACTIVE = "active"
    RETIRED = "retired"


class ConfigVersion:
    """The columns of every configuration-version table."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column()
    yaml_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[ConfigStatus] = mapped_column(
        enum_type(ConfigStatus, length=16), default=ConfigStatus.DRAFT
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(String(500))


R = TypeVar("R", bound=ConfigVersion)
C = TypeVar("C")


@dataclass(frozen=True, slots=True)
class ActiveConfig(Generic[C]):
    """The configuration in use and the stored version naming it (``None``: the shipped default,
    not stored yet — only ``active`` returns that, as it never writes)."""

    row_id: int | None
    version: int | None
    config: C


@dataclass(frozen=True, slots=True)
class StoredConfig(Generic[C]):
    """The active configuration and the stored version naming it."""

    row_id: int
    version: int
    config: C


def digest_of(yaml_text: str) -> str:
    return hashlib.sha256(yaml_text.encode()).hexdigest()


@dataclass(slots=True)
class VersionedConfigs(Generic[R, C]):
    """The versions of one kind of configuration, in the table of ``model``."""

    model: type[R]
    label: str
    parse_text: Callable[[str], C]
    """Validates the YAML; raises the area's ``ValidationFailed`` naming the field."""
    name_of: Callable[[C], str]
    shipped_yaml: Callable[[], str]
    not_found: type[NotFound]
    read: Permission
    write: Permission
    _parsed: dict[str, C] = field(default_factory=dict)

    def parse(self, yaml_text: str) -> C:
        digest = digest_of(yaml_text)
        parsed = self._parsed.get(digest)
        if parsed is None:
            parsed = self._parsed[digest] = self.parse_text(yaml_text)
        return parsed

    def _rows(self, session: Session, *where: ColumnElement[bool]) -> list[R]:
        model = self.model
        return list(session.scalars(select(model).where(*where).order_by(model.version.desc())))

    def list_versions(self, session: Session, actor: Actor) -> list[R]:
        """Every stored version, newest first."""
        auth_service.ensure_permission(actor, self.read)
        return self._rows(session)

    def find_version(self, session: Session, version: int) -> R | None:
        found = self._rows(session, self.model.version == version)
        return found[0] if found else None

    def get_version(self, session: Session, actor: Actor, *, version: int | None = None) -> R:
        """Version ``version``, or the active one when ``None``."""
        auth_service.ensure_permission(actor, self.read)
        if version is None:
            row = self.active_row(session)
            if row is None:
                raise self.not_found(f"no {self.label} is active yet")
            return row
        found = self.find_version(session, version)
        if found is None:
            raise self.not_found(
                f"no {self.label} version {version}",
                details=[{"field": "version", "value": version, "message": "unknown version"}],
            )
        return found

    def import_version(
        self,
        session: Session,
        actor: Actor,
        *,
        yaml_text: str,
        note: str | None = None,
        activate: bool = False,
    ) -> R:
        """Validate and store ``yaml_text`` as the next version (a draft unless ``activate``)."""
        auth_service.ensure_permission(actor, self.write)
        config = self.parse(yaml_text)
        digest = digest_of(yaml_text)
        model = self.model
        existing = self._rows(session, model.sha256 == digest)
        if existing:
            row = existing[0]
        else:
            latest = session.scalar(select(func.max(model.version))) or 0
            row = model()
            row.name = self.name_of(config)
            row.version = latest + 1
            row.yaml_text = yaml_text
            row.sha256 = digest
            row.status = ConfigStatus.DRAFT
            row.created_by = actor.username
            row.note = note
            session.add(row)
            session.flush()
        if activate:
            return self.activate_version(session, actor, version=row.version)
        return row

    def activate_version(self, session: Session, actor: Actor, *, version: int) -> R:
        """Make ``version`` the one new decisions use; the active one is retired. Stored
        decisions keep naming the version that made them."""
        auth_service.ensure_permission(actor, self.write)
        row = self.get_version(session, actor, version=version)
        if row.status is ConfigStatus.ACTIVE:
            return row
        for active in self._rows(session, self.model.status == ConfigStatus.ACTIVE):
            active.status = ConfigStatus.RETIRED
        session.flush()
        row.status = ConfigStatus.ACTIVE
        row.activated_at = utcnow()
        session.flush()
        return row

    def activated_by(self, session: Session, rows: Sequence[R]) -> dict[int, str]:
        """Who last activated each of ``rows`` (by row id). The tables keep only when; the
        audit log, written in the activating transaction, knows who."""
        if not rows:
            return {}
        entries = session.execute(
            select(AuditEntry.entity_id, AuditEntry.actor_username, AuditEntry.after)
            .where(
                AuditEntry.entity_type == self.model.__tablename__,  # type: ignore[attr-defined]
                AuditEntry.action == "update",
                AuditEntry.entity_id.in_([str(row.id) for row in rows]),
            )
            .order_by(AuditEntry.id)
        )
        found: dict[int, str] = {}
        for entity_id, username, after in entries:
            if (after or {}).get("status") == ConfigStatus.ACTIVE.value:
                found[int(entity_id)] = username
        return found

    def active_row(self, session: Session) -> R | None:
        found = self._rows(session, self.model.status == ConfigStatus.ACTIVE)
        return found[0] if found else None

    def active(self, session: Session) -> ActiveConfig[C]:
        """The active configuration for reading — the shipped one when none is stored. Never
        writes; reads the text only the first time a digest is seen in this process."""
        model = self.model
        found = session.execute(
            select(model.id, model.version, model.sha256)
            .where(model.status == ConfigStatus.ACTIVE)
            .order_by(model.version.desc())
            .limit(1)
        ).first()
        if found is None:
            return ActiveConfig(None, None, self.parse(self.shipped_yaml()))
        row_id, version, digest = found
        return ActiveConfig(row_id, version, self.stored(session, row_id, digest))

    def active_column(self, name: Literal["id", "version", "sha256"]) -> ScalarSelect[Any]:
        """Column ``name`` of the active version as a scalar subquery, so that a hot path can
        read which version is active inside a statement it runs anyway (NULL: none stored)."""
        model = self.model
        return (
            select(getattr(model, name))
            .where(model.status == ConfigStatus.ACTIVE)
            .order_by(model.version.desc())
            .limit(1)
            .scalar_subquery()
        )

    def stored(self, session: Session, row_id: int, digest: str) -> C:
        """The parsed configuration of the stored version ``row_id`` whose text has ``digest``,
        reading the text only the first time the digest is seen in this process."""
        parsed = self._parsed.get(digest)
        if parsed is None:
            text = session.scalar(select(self.model.yaml_text).where(self.model.id == row_id))
            parsed = self.parse(text or "")
        return parsed

    def ensure_active_row(self, session: Session, actor: Actor) -> R:
        """The active version, storing the shipped default as version 1 on first use (with the
        system's rights: storing the documented default is not the caller's change)."""
        row = self.active_row(session)
        if row is not None:
            return row
        if session.scalar(select(self.model.id).limit(1)) is not None:
            raise self.not_found(f"no {self.label} is active; activate one of the stored versions")
        try:
            with session.begin_nested():
                return self.import_version(
                    session,
                    Actor.system(actor.username),
                    yaml_text=self.shipped_yaml(),
                    note="shipped default",
                    activate=True,
                )
        except IntegrityError:
            # Another transaction stored it first (two stream workers' first jobs): theirs is
            # committed by the time our insert fails, and active.
            row = self.active_row(session)
            if row is None:
                raise
            return row

    def ensure_active(self, session: Session, actor: Actor) -> StoredConfig[C]:
        """Like ``active``, but the default is stored first when nothing is."""
        found = self.active(session)
        if found.row_id is not None and found.version is not None:
            return StoredConfig(found.row_id, found.version, found.config)
        row = self.ensure_active_row(session, actor)
        return StoredConfig(row.id, row.version, self.parse(row.yaml_text))


MAX_CONFIG_BYTES = 1_000_000


class ConfigImportIn(InputModel):
    yaml: str = Field(min_length=1, max_length=MAX_CONFIG_BYTES, description="the YAML text")
    note: str | None = Field(default=None, max_length=500)
    activate: bool = False


class ConfigVersionOut(OutputModel):
    name: str
    version: int
    status: ConfigStatus
    sha256: str
    created_by: str
    created_at: datetime
    activated_at: datetime | None
    note: str | None

    @classmethod
    def of(cls, row: ConfigVersion) -> ConfigVersionOut:
        return cls.model_validate(row)


class ConfigVersionYamlOut(ConfigVersionOut):
    yaml: str

    @classmethod
    def of(cls, row: ConfigVersion) -> ConfigVersionYamlOut:
        return cls(**ConfigVersionOut.model_validate(row).model_dump(), yaml=row.yaml_text)


class ConfigVersionList(OutputModel):
    items: list[ConfigVersionOut]
