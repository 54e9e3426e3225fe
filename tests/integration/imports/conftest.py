from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong import tables
from fengkong.auth.actor import Actor
from fengkong.imports import service
from fengkong.imports.kinds import ImportKind
from fengkong.imports.problems import ImportFailed
from fengkong.imports.service import ImportResult
from fengkong.settings import Settings, get_settings
from tests.integration.imports.files import Cell, write_csv

ACTOR = Actor.system("test")


@dataclass
class Importer:
    """Writes a file in the test's directory and imports it in the test's session."""

    session: Session
    settings: Settings
    directory: Path

    def file(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        *,
        name: str = "upload.csv",
        encoding: str = "utf-8",
    ) -> Path:
        return write_csv(self.directory / name, header, rows, encoding=encoding)

    def path(self, kind: ImportKind | str, path: Path, **options: Any) -> ImportResult:
        return service.import_file(
            self.session,
            ACTOR,
            kind=kind,
            path=path,
            file_name=path.name,
            settings=self.settings,
            **options,
        )

    def __call__(
        self,
        kind: ImportKind | str,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        *,
        name: str = "upload.csv",
        encoding: str = "utf-8",
        **options: Any,
    ) -> ImportResult:
        return self.path(kind, self.file(header, rows, name=name, encoding=encoding), **options)

    def refused(
        self,
        kind: ImportKind | str,
        header: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        **options: Any,
    ) -> ImportFailed:
        with pytest.raises(ImportFailed) as caught:
            self(kind, header, rows, **options)
        return caught.value


@pytest.fixture
def import_settings(tmp_path: Path) -> Settings:
    return get_settings().model_copy(update={"data_dir": tmp_path / "var"})


@pytest.fixture
def importer(session: Session, import_settings: Settings, tmp_path: Path) -> Importer:
    return Importer(session, import_settings, tmp_path)


def count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@dataclass(frozen=True)
class Snapshot:
    """How many rows the tables an import can write hold."""

    counts: dict[str, int]

    @classmethod
    def of(cls, session: Session) -> Snapshot:
        models = (
            tables.Customer,
            tables.RelatedParty,
            tables.FinancialStatement,
            tables.Invoice,
            tables.Payment,
            tables.PaymentAllocation,
            tables.Order,
            tables.Contract,
            tables.CreditReport,
            tables.LegalEvent,
            tables.Event,
            tables.AuditEntry,
            tables.ImportRun,
        )
        return cls({model.__tablename__: count(session, model) for model in models})
