"""Where a stored record came from. Entry points say it once per unit of work; the flush hook
stamps it on every record they write (see ``fengkong.recorders``)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class DataSource(StrEnum):
    UI = "ui"
    API = "api"
    IMPORT = "import"
    CONNECTOR = "connector"
    DEMO = "demo"
    CLI = "cli"


@dataclass(frozen=True, slots=True)
class Provenance:
    source: DataSource
    reference: str
    """Who or what exactly: the import run id, the API token's name, the provider, the user."""

    @classmethod
    def of(cls, source: DataSource, reference: object) -> Provenance:
        return cls(source, str(reference)[:100])
