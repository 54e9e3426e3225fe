"""Rules every versioned, archivable business record follows, whatever its area: the optimistic
concurrency check, archiving, status transitions, the shape of field-level error details and the
fields every record shows when read.

Services use these so that a stale write, an edit of an archived record or a forbidden status
change reads the same for an invoice as for a contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self, TypeVar

from pydantic import ValidationInfo, field_validator, model_validator

from fengkong.errors import Conflict, PreconditionFailed, ValidationFailed
from fengkong.kit.columns import Archivable, Versioned
from fengkong.kit.enums import TransitionError, check_transition
from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.provenance import DataSource
from fengkong.kit.schemas import InputModel, OutputModel
from fengkong.kit.time import utcnow

S = TypeVar("S", bound=StrEnum)


class RecordArchived(Conflict):
    code = "record_archived"


def field_error(field: str, value: object, message: str) -> dict[str, Any]:
    """One entry of an error's ``details``; values travel as JSON (amounts as strings)."""
    return {"field": field, "value": to_jsonable(value), "message": message}


def check_version(record: Versioned, expected_version: int | None, *, label: str) -> None:
    """Refuse a write based on a version the caller read before someone else changed it."""
    if expected_version is not None and expected_version != record.version:
        raise PreconditionFailed(
            f"{label} is at version {record.version}, not {expected_version}; reload it",
            details=[
                field_error("version", expected_version, f"the current version is {record.version}")
            ],
        )


def ensure_not_archived(record: Archivable, *, label: str) -> None:
    """Archived records are kept for history; changing one needs a restore first."""
    if record.archived_at is not None:
        raise RecordArchived(
            f"{label} is archived; restore it before changing it",
            details=[field_error("archived_at", record.archived_at, "restore the record first")],
        )


def archive(record: Archivable) -> None:
    """Hide ``record`` from lists; archiving twice keeps the first date."""
    if record.archived_at is None:
        record.archived_at = utcnow()


def restore(record: Archivable) -> None:
    record.archived_at = None


def change_status(current: S, target: S, allowed: Mapping[S, frozenset[S]]) -> S:
    """``target`` if the transition map allows it, else a 400 naming the status field."""
    try:
        return check_transition(current, target, allowed)
    except TransitionError as exc:
        raise ValidationFailed(str(exc), details=[field_error("status", target, str(exc))]) from exc


class RecordRead(OutputModel):
    """Fields every business record shows: identity, version (the ETag), provenance, lifecycle."""

    id: int
    version: int
    source: DataSource
    source_ref: str
    sourced_at: datetime
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None

    @classmethod
    def of(cls, record: object, **extra: Any) -> Self:
        """Read the model's fields off ``record`` (Money attributes become ``MoneyOut``)."""
        values = {key: getattr(record, key) for key in cls.model_fields if key not in extra}
        return cls.model_validate({**values, **extra})


class RecordUpdate(InputModel):
    """A partial update: only the fields sent change. Fields named in ``__not_null__`` may be left
    out but not sent as null (the record cannot be without them)."""

    __not_null__: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*")
    @classmethod
    def _not_null(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name in cls.__not_null__:
            raise ValueError(f"{info.field_name} cannot be null; leave it out to keep it")
        return value

    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("send at least one field to change")
        return self
