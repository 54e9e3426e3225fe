"""The folder provider: answers from export files an agency or registry delivered to a folder.

Banks often receive credit data as periodic exports rather than through an API. Each ``*.json``
file in the folder is one export in the format of ``docs/connectors.md``: a header saying which kind
of data it holds, and USCC-keyed records (or name-keyed ones, which stay unverified). Every file is
checked in full before any is used: a malformed file is an ``ExportFileInvalid`` naming the file,
the record and the field, and the pull that met it stores nothing.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fengkong.connectors.models import DataKind
from fengkong.connectors.providers import (
    AgencyReport,
    Answer,
    CourtRecord,
    Key,
    ProviderUnavailable,
    RegistryRecord,
    RelatedLink,
    Subject,
    normalise_name,
)
from fengkong.customers.status import RelationType
from fengkong.customers.uscc import InvalidUSCC, validate_uscc
from fengkong.errors import ValidationFailed
from fengkong.kit.schemas import MoneyIn
from fengkong.legal_events.kinds import LegalEventType

FORMAT = "fengkong.connector-export/1"
MAX_REPORTED_PROBLEMS = 50

R = TypeVar("R", AgencyReport, RegistryRecord, CourtRecord)


class ExportFileInvalid(ValidationFailed):
    code = "export_file_invalid"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _uscc_or_none(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return validate_uscc(value)
    except InvalidUSCC as exc:
        raise ValueError(str(exc)) from exc


class _Keyed(_Strict):
    uscc: str | None = None
    name: str = Field(min_length=1, max_length=200)

    @field_validator("uscc")
    @classmethod
    def _valid_uscc(cls, value: str | None) -> str | None:
        return _uscc_or_none(value)

    @property
    def key(self) -> Key:
        return Key(name=self.name, uscc=self.uscc)


class AgencyReportIn(_Keyed):
    agency: str = Field(min_length=1, max_length=100)
    report_date: date
    rating: str | None = Field(default=None, max_length=16)
    score: float | None = Field(default=None, ge=0, le=1000)
    valid_until: date | None = None
    summary: str | None = None

    def to_record(self) -> AgencyReport:
        return AgencyReport(
            key=self.key,
            agency=self.agency,
            report_date=self.report_date,
            rating=self.rating,
            score=self.score,
            valid_until=self.valid_until,
            summary=self.summary,
        )


class RelatedIn(_Keyed):
    relation_type: RelationType
    ownership_share: Decimal | None = Field(default=None, gt=0, le=1)
    since: date | None = None


class RegistryRecordIn(_Keyed):
    uscc: str  # a registry record is always about a registered USCC
    legal_representative: str | None = Field(default=None, max_length=100)
    registered_capital: MoneyIn | None = None
    established_on: date | None = None
    status: str | None = Field(default=None, max_length=50)
    industry_code: str | None = Field(default=None, max_length=5)
    region_code: str | None = Field(default=None, max_length=6)
    related: list[RelatedIn] = Field(default_factory=list)

    @field_validator("uscc")
    @classmethod
    def _required_uscc(cls, value: str) -> str:
        code = _uscc_or_none(value)
        if code is None:
            raise ValueError("a registry record needs the USCC it is registered under")
        return code

    def to_record(self) -> RegistryRecord:
        return RegistryRecord(
            key=self.key,
            registered_name=self.name,
            legal_representative=self.legal_representative,
            registered_capital=self.registered_capital.to_money()
            if self.registered_capital
            else None,
            established_on=self.established_on,
            status=self.status,
            industry_code=self.industry_code,
            region_code=self.region_code,
            related=tuple(
                RelatedLink(
                    key=link.key,
                    relation_type=link.relation_type,
                    ownership_share=link.ownership_share,
                    since=link.since,
                )
                for link in self.related
            ),
        )


class CourtRecordIn(_Keyed):
    event_type: LegalEventType
    occurred_on: date
    case_number: str = Field(default="", max_length=100)
    authority: str | None = Field(default=None, max_length=200)
    amount: MoneyIn | None = None
    description: str | None = None
    resolved_on: date | None = None

    def to_record(self) -> CourtRecord:
        return CourtRecord(
            key=self.key,
            event_type=self.event_type,
            occurred_on=self.occurred_on,
            case_number=self.case_number,
            authority=self.authority,
            amount=self.amount.to_money() if self.amount else None,
            description=self.description,
            resolved_on=self.resolved_on,
        )


class ExportHeader(_Strict):
    format: Literal["fengkong.connector-export/1"]
    kind: DataKind
    source: str = Field(min_length=1, max_length=64)
    exported_on: date | None = None
    records: list[Any]


_RECORD_MODELS: dict[DataKind, type[AgencyReportIn | RegistryRecordIn | CourtRecordIn]] = {
    DataKind.AGENCY_REPORT: AgencyReportIn,
    DataKind.REGISTRY: RegistryRecordIn,
    DataKind.COURT: CourtRecordIn,
}


@dataclass(frozen=True, slots=True)
class _Loaded:
    file: str
    record: AgencyReport | RegistryRecord | CourtRecord


def _problem(file: str, record: int | None, error: dict[str, Any]) -> dict[str, Any]:
    location = ".".join(str(part) for part in error.get("loc", ()))
    return {
        "file": file,
        "record": record,
        "field": location or None,
        "message": str(error.get("msg", "")).removeprefix("Value error, "),
    }


def _file_problem(path: Path, message: str) -> dict[str, Any]:
    return {"file": path.name, "record": None, "field": None, "message": message}


def _describe(problem: dict[str, Any]) -> str:
    where = [problem["file"]]
    if problem["record"] is not None:
        where.append(f"record {problem['record']}")
    if problem["field"]:
        where.append(problem["field"])
    return f"{': '.join(where)}: {problem['message']}"


def read_export(path: Path) -> tuple[DataKind, list[AgencyReport | RegistryRecord | CourtRecord]]:
    """One export file's kind and records; ``ExportFileInvalid`` lists every problem in it, each
    with the file, the record's position (1 = first) and the field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        raise _invalid([_file_problem(path, reason)]) from exc
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise _invalid([_file_problem(path, reason)]) from exc
    try:
        header = ExportHeader.model_validate(document)
    except ValidationError as exc:
        raise _invalid([_problem(path.name, None, dict(error)) for error in exc.errors()]) from exc
    model = _RECORD_MODELS[header.kind]
    problems: list[dict[str, Any]] = []
    records: list[AgencyReport | RegistryRecord | CourtRecord] = []
    for position, raw in enumerate(header.records, start=1):
        try:
            records.append(model.model_validate(raw).to_record())
        except ValidationError as exc:
            problems.extend(_problem(path.name, position, dict(error)) for error in exc.errors())
    if problems:
        raise _invalid(problems)
    return header.kind, records


def _invalid(problems: list[dict[str, Any]]) -> ExportFileInvalid:
    message = f"export file {_describe(problems[0])}"
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problems)"
    return ExportFileInvalid(message, details=problems[:MAX_REPORTED_PROBLEMS])


class FolderProvider:
    """Reads every ``*.json`` export in ``folder`` once, on first use; free of charge per call."""

    def __init__(self, folder: Path, *, name: str = "folder") -> None:
        self.folder = folder
        self._name = name
        self._by_kind: dict[DataKind, list[_Loaded]] | None = None

    @property
    def name(self) -> str:
        return self._name

    def _load(self) -> dict[DataKind, list[_Loaded]]:
        if self._by_kind is not None:
            return self._by_kind
        if not self.folder.is_dir():
            raise ProviderUnavailable(f"the export folder {self.folder} does not exist")
        by_kind: dict[DataKind, list[_Loaded]] = defaultdict(list)
        for path in sorted(self.folder.glob("*.json")):
            kind, records = read_export(path)
            by_kind[kind].extend(_Loaded(path.name, record) for record in records)
        self._by_kind = dict(by_kind)
        return self._by_kind

    def _answer(self, kind: DataKind, subject: Subject, type_: type[R]) -> Answer[R]:
        name = normalise_name(subject.name)
        records: list[R] = []
        files: set[str] = set()
        for loaded in self._load().get(kind, []):
            record = loaded.record
            if isinstance(record, type_) and _about(record.key, subject, name):
                records.append(record)
                files.add(loaded.file)
        if not records:
            return Answer(found=False, reference=self.name)
        return Answer(
            found=True, reference=f"{self.name}:{','.join(sorted(files))}", records=tuple(records)
        )

    def agency_reports(self, subject: Subject) -> Answer[AgencyReport]:
        return self._answer(DataKind.AGENCY_REPORT, subject, AgencyReport)

    def registry_record(self, subject: Subject) -> Answer[RegistryRecord]:
        answer = self._answer(DataKind.REGISTRY, subject, RegistryRecord)
        # The last file in name order holds the registry's latest word on the USCC.
        return Answer(
            found=answer.found,
            reference=answer.reference,
            records=answer.records[-1:],
        )

    def court_records(self, subject: Subject) -> Answer[CourtRecord]:
        return self._answer(DataKind.COURT, subject, CourtRecord)


def _about(key: Key, subject: Subject, normalised_name: str) -> bool:
    if key.uscc is not None:
        return key.uscc == subject.uscc
    return normalise_name(key.name) == normalised_name
