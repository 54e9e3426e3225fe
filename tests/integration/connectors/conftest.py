"""Providers that answer what a test tells them to, and the configuration to pull through them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fengkong.connectors.models import DataKind
from fengkong.connectors.providers import (
    AgencyReport,
    Answer,
    CourtRecord,
    Provider,
    ProviderUnavailable,
    RegistryRecord,
    Subject,
)
from fengkong.connectors.service import KINDS, ConnectorConfig
from fengkong.kit.money import Money

ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Scripted:
    """Answers every kind from what the test set; records who it was asked about."""

    name: str
    reports: Sequence[AgencyReport] | None = None
    registry: Sequence[RegistryRecord] | None = None
    court: Sequence[CourtRecord] | None = None
    cost: Money | None = None
    fail: bool = False
    asked: list[tuple[DataKind, str]] = field(default_factory=list)

    def _answer(
        self, kind: DataKind, subject: Subject, records: Sequence[object] | None
    ) -> Answer[Any]:
        self.asked.append((kind, subject.uscc))
        if self.fail:
            raise ProviderUnavailable(f"{self.name} timed out", cost=self.cost)
        if records is None:
            return Answer(found=False, reference=self.name, cost=self.cost)
        return Answer(found=True, reference=self.name, records=tuple(records), cost=self.cost)

    def agency_reports(self, subject: Subject) -> Answer[AgencyReport]:
        return self._answer(DataKind.AGENCY_REPORT, subject, self.reports)

    def registry_record(self, subject: Subject) -> Answer[RegistryRecord]:
        return self._answer(DataKind.REGISTRY, subject, self.registry)

    def court_records(self, subject: Subject) -> Answer[CourtRecord]:
        return self._answer(DataKind.COURT, subject, self.court)


def config(
    *providers: Provider, max_age_days: int = 30, kinds: Sequence[DataKind] = KINDS
) -> ConnectorConfig:
    """Every kind in ``kinds`` asks ``providers`` in the order given."""
    return ConnectorConfig(
        waterfalls={kind: tuple(providers) for kind in kinds},
        max_age_days=dict.fromkeys(KINDS, max_age_days),
        zone=ZONE,
        locale="en",
    )
