"""What a credit-data provider answers, and the protocol each kind of provider follows.

A provider is anything that can answer for one or more kinds of data: an agency's rating report, a
business-registry record, court records. Answers are plain frozen dataclasses, so the pull service
(``fengkong.connectors.service``) is the only place that touches the database, and a provider can
be tested without one.

Each record names the subject it was found under: a USCC, or — when the source matched on a name
only, as registry aggregators and court lists often do — just the name. Names are ambiguous
(different companies, and people, share them), so data matched on a name alone is stored
unverified.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Generic, Protocol, TypeGuard, TypeVar, runtime_checkable

from fengkong.connectors.models import DataKind
from fengkong.customers.status import RelationType
from fengkong.kit.money import Money
from fengkong.legal_events.kinds import LegalEventType

T = TypeVar("T")

_BLANKS = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """A company name compared the way registries print it: full-width and half-width forms
    (（） and (), full-width letters and digits) are the same, and spaces do not count."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", name)).casefold()


@dataclass(frozen=True, slots=True)
class Subject:
    """Who a provider is asked about."""

    uscc: str
    name: str
    legal_representative: str | None = None


@dataclass(frozen=True, slots=True)
class Key:
    """The identity a record was found under; ``uscc`` is ``None`` for a name-only match."""

    name: str
    uscc: str | None = None

    @property
    def by_uscc(self) -> bool:
        return self.uscc is not None


@dataclass(frozen=True, slots=True)
class AgencyReport:
    key: Key
    agency: str
    report_date: date
    rating: str | None = None
    score: float | None = None
    valid_until: date | None = None
    summary: str | None = None


@dataclass(frozen=True, slots=True)
class RelatedLink:
    """Another company linked to the subject: read '<this> is the <relation_type> of the subject'.

    Registries list shareholders and subsidiaries by USCC where they have it, often by name only.
    """

    key: Key
    relation_type: RelationType
    ownership_share: Decimal | None = None
    since: date | None = None


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    key: Key
    registered_name: str
    legal_representative: str | None = None
    registered_capital: Money | None = None
    established_on: date | None = None
    status: str | None = None
    industry_code: str | None = None
    region_code: str | None = None
    related: tuple[RelatedLink, ...] = ()


@dataclass(frozen=True, slots=True)
class CourtRecord:
    key: Key
    event_type: LegalEventType
    occurred_on: date
    case_number: str = ""
    authority: str | None = None
    amount: Money | None = None
    description: str | None = None
    resolved_on: date | None = None


@dataclass(frozen=True, slots=True)
class Answer(Generic[T]):
    """One call's result. ``found`` is False when the provider does not know the subject (the next
    provider in the waterfall is then asked); a court search that found the subject but no cases
    is ``found`` with no records. ``cost`` is what the call was charged (``None``: free)."""

    found: bool
    reference: str
    """Where exactly the data came from (the provider, an export file): the ``source_ref``."""
    records: tuple[T, ...] = ()
    cost: Money | None = None
    detail: str | None = None


class ProviderUnavailable(Exception):
    """The provider could not answer now (timeout, outage): recorded as a failed call, and the
    next provider in the waterfall is asked."""

    def __init__(self, message: str, *, cost: Money | None = None) -> None:
        super().__init__(message)
        self.cost = cost


@runtime_checkable
class AgencyReportProvider(Protocol):
    @property
    def name(self) -> str: ...

    def agency_reports(self, subject: Subject) -> Answer[AgencyReport]: ...


@runtime_checkable
class RegistryProvider(Protocol):
    @property
    def name(self) -> str: ...

    def registry_record(self, subject: Subject) -> Answer[RegistryRecord]: ...


@runtime_checkable
class CourtProvider(Protocol):
    @property
    def name(self) -> str: ...

    def court_records(self, subject: Subject) -> Answer[CourtRecord]: ...


Provider = AgencyReportProvider | RegistryProvider | CourtProvider

PROTOCOLS: dict[DataKind, type] = {
    DataKind.AGENCY_REPORT: AgencyReportProvider,
    DataKind.REGISTRY: RegistryProvider,
    DataKind.COURT: CourtProvider,
}


def answers(provider: object, kind: DataKind) -> TypeGuard[Provider]:
    """Whether ``provider`` can answer for ``kind``."""
    return isinstance(provider, PROTOCOLS[kind])
