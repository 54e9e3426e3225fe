"""Pull credit data from outside providers into the customer's file. Callers own the transaction.

For each kind of data (agency report, business registry, court records) the configured providers
are asked in order — the waterfall — until one knows the customer. Every call is recorded in
``credit_data_pulls`` with its outcome and cost; that log is the cost counter and, with the stored
data, the age rule: data newer than the kind's maximum age is not bought again unless forced.

What a provider returns is stored as credit reports, legal events and related parties with
provenance ``connector`` / the provider's reference, upserted by natural key so a repeated pull adds
no duplicates. Only records matched on the customer's USCC are ``verified``; records a provider
matched on a name alone (names are shared by unrelated companies and people) stay unverified. A
registry answer also verifies the customer's USCC: the registered name must match ours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from importlib.metadata import entry_points
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.connectors.folder import FolderProvider
from fengkong.connectors.models import CreditDataPull, DataKind, PullOutcome
from fengkong.connectors.providers import (
    AgencyReport,
    AgencyReportProvider,
    Answer,
    CourtProvider,
    CourtRecord,
    Key,
    Provider,
    ProviderUnavailable,
    RegistryProvider,
    RegistryRecord,
    RelatedLink,
    Subject,
    answers,
    normalise_name,
)
from fengkong.connectors.sandbox import SandboxProvider
from fengkong.credit_reports.models import CreditReport
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer, RelatedParty
from fengkong.customers.status import USCCVerification
from fengkong.errors import Conflict, ValidationFailed
from fengkong.i18n import N_, Message
from fengkong.kit.money import Money
from fengkong.kit.provenance import DataSource, Provenance
from fengkong.kit.time import business_today, utcnow
from fengkong.legal_events.models import LegalEvent
from fengkong.reference.classifications import (
    UnknownCode,
    validate_industry_code,
    validate_region_code,
)
from fengkong.settings import Locale, Settings, get_settings

KINDS: tuple[DataKind, ...] = (DataKind.AGENCY_REPORT, DataKind.REGISTRY, DataKind.COURT)
ENTRY_POINT_GROUP = "fengkong.connectors"
"""Packages add providers under this entry-point group: ``name = "module:factory"``, where the
factory takes the ``Settings`` and returns the provider (docs/connectors.md)."""

_PERMISSIONS: dict[DataKind, Permission] = {
    DataKind.AGENCY_REPORT: Permission.CREDIT_REPORTS_WRITE,
    DataKind.REGISTRY: Permission.CUSTOMERS_WRITE,
    DataKind.COURT: Permission.LEGAL_EVENTS_WRITE,
}
_NOTE_LENGTH = 300
# Notes are kept in the deployment's language (FENGKONG_DEFAULT_LOCALE), like a note a user writes.
OTHER_NAME_NOTE = N_("The registry (%(provider)s) lists this USCC under another name: %(name)s")
NOT_FOUND_NOTE = N_("The USCC was not found in the registry (%(providers)s).")
_DETAIL_LENGTH = 500

ProviderFactory = Callable[[Settings], object]


class UnknownProvider(ValidationFailed):
    code = "unknown_provider"


class CustomerArchived(Conflict):
    """Archived customers take no new records; restore the customer before pulling."""

    code = "customer_archived"


# -- configuration ---------------------------------------------------------------------------


def _builtin_factories() -> dict[str, ProviderFactory]:
    return {
        "folder": lambda settings: FolderProvider(settings.resolved_connectors_folder),
        "sandbox": lambda settings: SandboxProvider(today=business_today(settings.zone)),
    }


def provider_factories() -> dict[str, ProviderFactory]:
    """The built-in providers plus those installed packages register; a plugin cannot replace a
    built-in name."""
    factories = _builtin_factories()
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        factories.setdefault(entry_point.name, entry_point.load())
    return factories


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """The waterfall and age rule one pull works with (built once per request or CLI run)."""

    waterfalls: Mapping[DataKind, Sequence[Provider]]
    max_age_days: Mapping[DataKind, int]
    zone: ZoneInfo
    """The business time zone: ages are counted in its calendar days."""
    locale: Locale
    """The language of the notes a pull writes on the customer."""

    def providers(self, kind: DataKind) -> Sequence[Provider]:
        return self.waterfalls.get(kind, ())


def connector_config(settings: Settings) -> ConnectorConfig:
    """Build the providers ``settings`` name, one instance per name (so the folder is read once)."""
    factories = provider_factories()
    built: dict[str, object] = {}
    names = {
        DataKind.AGENCY_REPORT: settings.connectors_agency,
        DataKind.REGISTRY: settings.connectors_registry,
        DataKind.COURT: settings.connectors_court,
    }
    waterfalls: dict[DataKind, tuple[Provider, ...]] = {}
    for kind, chain in names.items():
        providers: list[Provider] = []
        for name in chain:
            if name not in factories:
                raise UnknownProvider(
                    f"FENGKONG_CONNECTORS_{_setting_suffix(kind)} names an unknown provider "
                    f"{name!r}; known providers: {', '.join(sorted(factories))}"
                )
            if name not in built:
                built[name] = factories[name](settings)
            provider = built[name]
            if not answers(provider, kind):
                raise UnknownProvider(f"provider {name!r} cannot answer for {kind.value}")
            providers.append(provider)
        waterfalls[kind] = tuple(providers)
    return ConnectorConfig(
        waterfalls=waterfalls,
        max_age_days={
            DataKind.AGENCY_REPORT: settings.connectors_agency_max_age_days,
            DataKind.REGISTRY: settings.connectors_registry_max_age_days,
            DataKind.COURT: settings.connectors_court_max_age_days,
        },
        zone=settings.zone,
        locale=settings.default_locale,
    )


def _setting_suffix(kind: DataKind) -> str:
    return {
        DataKind.AGENCY_REPORT: "AGENCY",
        DataKind.REGISTRY: "REGISTRY",
        DataKind.COURT: "COURT",
    }[kind]


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Call:
    """One provider call, as recorded in ``credit_data_pulls``."""

    provider: str
    outcome: PullOutcome
    cost: Money | None
    detail: str | None = None


Stored = Literal["created", "updated", "unchanged", "skipped"]


@dataclass(slots=True)
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    unverified: int = 0

    def stored(self, outcome: Stored, *, verified: bool) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)
        if outcome != "skipped" and not verified:
            self.unverified += 1


@dataclass(frozen=True, slots=True)
class KindResult:
    """What pulling one kind of data did. ``outcome`` is ``None`` when no provider is configured
    for the kind; ``provider`` is the one that found the data."""

    kind: DataKind
    outcome: PullOutcome | None
    provider: str | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    """Records not stored: about another company, linking to no (or no single) customer, or
    matching a record a person archived."""
    unverified: int = 0
    """Records stored or kept that were matched on a name only."""
    calls: tuple[Call, ...] = ()
    fresh_as_of: date | None = None
    """For ``fresh_enough``: the date of the data that is recent enough."""
    verification: USCCVerification | None = None
    filled_fields: tuple[str, ...] = ()
    """Customer fields that were empty and were filled from a verified registry record."""

    @property
    def costs(self) -> tuple[Money, ...]:
        return sum_costs(call.cost for call in self.calls)


@dataclass(frozen=True, slots=True)
class PullSummary:
    customer_id: int
    results: tuple[KindResult, ...]

    @property
    def costs(self) -> tuple[Money, ...]:
        return sum_costs(call.cost for result in self.results for call in result.calls)


def sum_costs(costs: Iterable[Money | None]) -> tuple[Money, ...]:
    """Totals per currency, in currency order (a provider may bill in another currency)."""
    totals: dict[str, Money] = {}
    for cost in costs:
        if cost is not None:
            totals[cost.currency] = totals.get(cost.currency, Money.zero(cost.currency)) + cost
    return tuple(totals[currency] for currency in sorted(totals))


# -- pulling ---------------------------------------------------------------------------------


def pull(
    session: Session,
    actor: Actor,
    *,
    customer_id: int,
    kinds: Iterable[DataKind] = KINDS,
    force: bool = False,
    config: ConnectorConfig | None = None,
) -> PullSummary:
    """Pull each kind of data for one customer through its waterfall (see the module docstring).

    ``force`` ignores the age rule. ``config`` defaults to the one the settings describe.
    """
    asked = set(kinds)
    wanted = [kind for kind in KINDS if kind in asked]
    auth_service.ensure_permission(actor, Permission.CREDIT_REPORTS_WRITE)
    for kind in wanted:
        auth_service.ensure_permission(actor, _PERMISSIONS[kind])
    customer = customers_service.get_customer(session, actor, customer_id)
    if customer.archived_at is not None:
        raise CustomerArchived(f"customer {customer.id} is archived; restore it before pulling")
    config = config or connector_config(get_settings())
    results = tuple(_pull_kind(session, actor, customer, kind, force, config) for kind in wanted)
    session.flush()
    return PullSummary(customer_id=customer.id, results=results)


def pullable_customer_ids(session: Session) -> list[int]:
    """Every customer not archived, in id order (what ``connectors pull --all`` walks)."""
    return list(
        session.scalars(
            select(Customer.id).where(Customer.archived_at.is_(None)).order_by(Customer.id)
        )
    )


def _pull_kind(
    session: Session,
    actor: Actor,
    customer: Customer,
    kind: DataKind,
    force: bool,
    config: ConnectorConfig,
) -> KindResult:
    today = business_today(config.zone)
    if not force:
        fresh_as_of = _fresh_as_of(session, customer, kind, config.zone)
        if fresh_as_of is not None and (today - fresh_as_of).days < config.max_age_days[kind]:
            call = Call("", PullOutcome.FRESH_ENOUGH, None, f"latest data from {fresh_as_of}")
            _record(session, actor, customer, kind, call)
            return KindResult(
                kind=kind, outcome=PullOutcome.FRESH_ENOUGH, calls=(call,), fresh_as_of=fresh_as_of
            )
    providers = config.providers(kind)
    if not providers:
        return KindResult(kind=kind, outcome=None)
    subject = Subject(
        uscc=customer.uscc, name=customer.name, legal_representative=customer.legal_representative
    )
    calls: list[Call] = []
    for provider in providers:
        name = provider.name
        try:
            answer = _ask(provider, kind, subject)
        except ProviderUnavailable as exc:
            calls.append(Call(name, PullOutcome.FAILED, exc.cost, str(exc)))
            _record(session, actor, customer, kind, calls[-1])
            continue
        if kind is DataKind.REGISTRY:
            answer = _about_this_uscc(answer, customer)
        if not answer.found:
            calls.append(Call(name, PullOutcome.NOT_FOUND, answer.cost, answer.detail))
            _record(session, actor, customer, kind, calls[-1])
            continue
        calls.append(Call(name, PullOutcome.FOUND, answer.cost, answer.detail or _gist(answer)))
        _record(session, actor, customer, kind, calls[-1])
        with _sourced_from(session, answer.reference):
            return _store(session, customer, kind, answer, name, tuple(calls), config.locale)
    failed = all(call.outcome is PullOutcome.FAILED for call in calls)
    verification = None
    if kind is DataKind.REGISTRY and not failed:
        providers_asked = [call.provider for call in calls]
        verification = _not_in_registry(session, customer, providers_asked, config.locale)
    return KindResult(
        kind=kind,
        outcome=PullOutcome.FAILED if failed else PullOutcome.NOT_FOUND,
        calls=tuple(calls),
        verification=verification,
    )


def _ask(provider: Provider, kind: DataKind, subject: Subject) -> Answer[Any]:
    if kind is DataKind.AGENCY_REPORT and isinstance(provider, AgencyReportProvider):
        return provider.agency_reports(subject)
    if kind is DataKind.REGISTRY and isinstance(provider, RegistryProvider):
        return provider.registry_record(subject)
    if kind is DataKind.COURT and isinstance(provider, CourtProvider):
        return provider.court_records(subject)
    raise UnknownProvider(f"provider {provider!r} cannot answer for {kind.value}")


def _about_this_uscc(answer: Answer[Any], customer: Customer) -> Answer[Any]:
    """A registry answer counts as found only with a record registered under our USCC."""
    records = tuple(
        record
        for record in answer.records
        if isinstance(record, RegistryRecord) and record.key.uscc == customer.uscc
    )
    if answer.found and records:
        return Answer(True, answer.reference, records[-1:], answer.cost, answer.detail)
    return Answer(False, answer.reference, (), answer.cost, answer.detail)


def _gist(answer: Answer[Any]) -> str | None:
    """What the pull log keeps of a registry answer that is not stored elsewhere."""
    record = answer.records[0] if answer.records else None
    if isinstance(record, RegistryRecord) and record.status:
        return f"registration status: {record.status}"
    return None


def _fresh_as_of(
    session: Session, customer: Customer, kind: DataKind, zone: ZoneInfo
) -> date | None:
    """The business date of the newest data of ``kind`` we hold: a successful pull, and for agency
    reports the newest report's date, for the registry the last verification."""
    moments: list[date] = []
    pulled = session.scalar(
        select(func.max(CreditDataPull.requested_at)).where(
            CreditDataPull.customer_id == customer.id,
            CreditDataPull.kind == kind,
            CreditDataPull.outcome == PullOutcome.FOUND,
        )
    )
    if pulled is not None:
        moments.append(pulled.astimezone(zone).date())
    if kind is DataKind.AGENCY_REPORT:
        reported = session.scalar(
            select(func.max(CreditReport.report_date)).where(
                CreditReport.customer_id == customer.id, CreditReport.archived_at.is_(None)
            )
        )
        if reported is not None:
            moments.append(reported)
    if kind is DataKind.REGISTRY and customer.uscc_verified_at is not None:
        moments.append(customer.uscc_verified_at.astimezone(zone).date())
    return max(moments, default=None)


def _record(session: Session, actor: Actor, customer: Customer, kind: DataKind, call: Call) -> None:
    session.add(
        CreditDataPull(
            customer_id=customer.id,
            kind=kind,
            provider=call.provider[:64],
            outcome=call.outcome,
            requested_by=actor.username,
            cost=call.cost,
            detail=call.detail[:_DETAIL_LENGTH] if call.detail else None,
        )
    )


@contextmanager
def _sourced_from(session: Session, reference: str) -> Iterator[None]:
    """Stamp what is written in the block as coming from this connector (``fengkong.recorders``
    reads the unit of work's provenance at flush), then restore the caller's provenance."""
    session.flush()
    previous = session.info.get("provenance")
    session.info["provenance"] = Provenance.of(DataSource.CONNECTOR, reference)
    try:
        yield
        session.flush()
    finally:
        if previous is None:
            session.info.pop("provenance", None)
        else:
            session.info["provenance"] = previous


def _store(
    session: Session,
    customer: Customer,
    kind: DataKind,
    answer: Answer[Any],
    provider: str,
    calls: tuple[Call, ...],
    locale: Locale,
) -> KindResult:
    counts = _Counts()
    verification = None
    filled: tuple[str, ...] = ()
    if kind is DataKind.AGENCY_REPORT:
        for report in answer.records:
            _store_report(session, customer, report, counts)
    elif kind is DataKind.COURT:
        for record in answer.records:
            _store_court_record(session, customer, record, counts)
    else:
        verification, filled = _verify(customer, answer.records[0], provider, locale)
        if verification is USCCVerification.VERIFIED:
            for link in answer.records[0].related:
                _store_link(session, customer, link, counts)
        else:
            counts.skipped += len(answer.records[0].related)
    return KindResult(
        kind=kind,
        outcome=PullOutcome.FOUND,
        provider=provider,
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=counts.skipped,
        unverified=counts.unverified,
        calls=calls,
        verification=verification,
        filled_fields=filled,
    )


def _is_about(key: Key, customer: Customer) -> bool:
    if key.uscc is not None:
        return key.uscc == customer.uscc
    return normalise_name(key.name) == normalise_name(customer.name)


def _upsert(
    session: Session,
    existing: Any,
    make: Callable[[], Any],
    values: Mapping[str, object],
    *,
    verified: bool,
    counts: _Counts,
) -> None:
    """Insert, or update what changed. A value the source did not give (``None``) keeps ours; a
    record a person archived stays archived and unchanged; a name-only record never changes one
    already verified on the USCC, and nothing is ever downgraded to unverified."""
    if existing is None:
        session.add(make())
        counts.stored("created", verified=verified)
        return
    if existing.archived_at is not None:
        counts.stored("skipped", verified=verified)
        return
    if existing.verified and not verified:
        counts.stored("unchanged", verified=True)
        return
    changed = False
    for name, value in values.items():
        if value is not None and getattr(existing, name) != value:
            setattr(existing, name, value)
            changed = True
    if verified and not existing.verified:
        existing.verified = True
        changed = True
    counts.stored("updated" if changed else "unchanged", verified=existing.verified)


def _store_report(
    session: Session, customer: Customer, report: AgencyReport, counts: _Counts
) -> None:
    if not _is_about(report.key, customer):
        counts.skipped += 1
        return
    existing = session.scalars(
        select(CreditReport).where(
            CreditReport.customer_id == customer.id,
            CreditReport.agency == report.agency,
            CreditReport.report_date == report.report_date,
        )
    ).one_or_none()
    values = {
        "rating": report.rating,
        "score": report.score,
        "valid_until": report.valid_until,
        "summary": report.summary,
    }
    _upsert(
        session,
        existing,
        lambda: CreditReport(
            customer_id=customer.id,
            agency=report.agency,
            report_date=report.report_date,
            verified=report.key.by_uscc,
            **values,
        ),
        values,
        verified=report.key.by_uscc,
        counts=counts,
    )


def _store_court_record(
    session: Session, customer: Customer, record: CourtRecord, counts: _Counts
) -> None:
    if not _is_about(record.key, customer):
        counts.skipped += 1
        return
    existing = session.scalars(
        select(LegalEvent).where(
            LegalEvent.customer_id == customer.id,
            LegalEvent.event_type == record.event_type,
            LegalEvent.occurred_on == record.occurred_on,
            LegalEvent.case_number == record.case_number,
        )
    ).one_or_none()
    values: dict[str, object] = {
        "authority": record.authority,
        "amount": record.amount,
        "description": record.description,
        "resolved_on": record.resolved_on,
    }
    _upsert(
        session,
        existing,
        lambda: LegalEvent(
            customer_id=customer.id,
            event_type=record.event_type,
            occurred_on=record.occurred_on,
            case_number=record.case_number,
            verified=record.key.by_uscc,
            **values,
        ),
        values,
        verified=record.key.by_uscc,
        counts=counts,
    )


def _verify(
    customer: Customer, record: RegistryRecord, provider: str, locale: Locale
) -> tuple[USCCVerification, tuple[str, ...]]:
    """Compare the registered name with ours; on a match, fill fields we lack from the record."""
    if normalise_name(record.registered_name) != normalise_name(customer.name):
        customer.uscc_verification = USCCVerification.MISMATCH
        customer.uscc_verified_at = None
        note = Message(OTHER_NAME_NOTE, {"provider": provider, "name": record.registered_name})
        customer.uscc_verification_note = note.render(locale)[:_NOTE_LENGTH]
        return USCCVerification.MISMATCH, ()
    customer.uscc_verification = USCCVerification.VERIFIED
    customer.uscc_verified_at = utcnow()
    customer.uscc_verification_note = None
    return USCCVerification.VERIFIED, _fill_blanks(customer, record)


def _fill_blanks(customer: Customer, record: RegistryRecord) -> tuple[str, ...]:
    """Registry values for fields we have no value for; what a person entered is never
    overwritten."""
    offered: dict[str, object] = {
        "legal_representative": record.legal_representative,
        "registered_capital": record.registered_capital,
        "established_on": record.established_on,
        "industry_code": _known(validate_industry_code, record.industry_code),
        "region_code": _known(validate_region_code, record.region_code),
    }
    filled = []
    for name, value in offered.items():
        if value is not None and getattr(customer, name) in (None, ""):
            setattr(customer, name, value)
            filled.append(name)
    return tuple(filled)


def _known(validate: Callable[[str], str], code: str | None) -> str | None:
    if not code:
        return None
    try:
        return validate(code)
    except UnknownCode:
        return None


def _not_in_registry(
    session: Session, customer: Customer, providers: Sequence[str], locale: Locale
) -> USCCVerification:
    """No registry knows the USCC: an unverified customer says so in its note; an earlier
    verification or mismatch stands (one registry's silence is not evidence)."""
    if customer.uscc_verification is USCCVerification.UNVERIFIED:
        note = Message(NOT_FOUND_NOTE, {"providers": ", ".join(providers)})
        with _sourced_from(session, ",".join(providers)):
            customer.uscc_verification_note = note.render(locale)[:_NOTE_LENGTH]
    return customer.uscc_verification


_BRACKETS_AND_SPACES = (("（", "("), ("）", ")"), (" ", ""), ("\u3000", ""))


def _sql_loose_name() -> ColumnElement[str]:
    """The customer's name with brackets and spaces folded, as ``_loose_name`` folds them."""
    expression: ColumnElement[str] = Customer.name.expression
    for old, new in _BRACKETS_AND_SPACES:
        expression = func.replace(expression, old, new)
    return expression


def _loose_name(name: str) -> str:
    for old, new in _BRACKETS_AND_SPACES:
        name = name.replace(old, new)
    return name


def _customer_named(session: Session, name: str) -> Customer | None:
    """The one customer with this name (brackets of either width, spaces ignored); ``None``
    when there is none or more than one, since a shared name identifies nobody."""
    candidates = session.scalars(
        select(Customer)
        .where(_sql_loose_name() == _loose_name(name), Customer.archived_at.is_(None))
        .limit(2)
    ).all()
    exact = [c for c in candidates if normalise_name(c.name) == normalise_name(name)]
    return exact[0] if len(candidates) == 1 and exact else None


def _store_link(session: Session, customer: Customer, link: RelatedLink, counts: _Counts) -> None:
    """A registry's related party, linked to the customer it names: by USCC (verified) or, when
    the registry gave only a name, to the one customer of that name (unverified)."""
    key = link.key
    if key.uscc is not None:
        related = customers_service.find_customer_by_uscc(session, key.uscc)
    else:
        related = _customer_named(session, key.name)
    if related is None or related.id == customer.id:
        counts.skipped += 1
        return
    existing = session.scalars(
        select(RelatedParty).where(
            RelatedParty.customer_id == customer.id,
            RelatedParty.related_customer_id == related.id,
            RelatedParty.relation_type == link.relation_type,
        )
    ).one_or_none()
    values: dict[str, object] = {"ownership_share": link.ownership_share, "since": link.since}
    _upsert(
        session,
        existing,
        lambda: RelatedParty(
            customer_id=customer.id,
            related_customer_id=related.id,
            relation_type=link.relation_type,
            verified=key.by_uscc,
            **values,
        ),
        values,
        verified=key.by_uscc,
        counts=counts,
    )


# -- the cost counter ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProviderCosts:
    provider: str
    calls: int
    found: int
    costs: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class MonthCosts:
    month: str
    """``YYYY-MM`` in the business time zone."""
    provider: str
    calls: int
    costs: tuple[Money, ...]


@dataclass(frozen=True, slots=True)
class CostReport:
    providers: tuple[ProviderCosts, ...]
    """All time, per provider."""
    months: tuple[MonthCosts, ...]
    """The last ``months`` calendar months (this one included), per provider, newest first."""

    @property
    def total(self) -> tuple[Money, ...]:
        return sum_costs(cost for provider in self.providers for cost in provider.costs)


def cost_report(
    session: Session,
    actor: Actor,
    *,
    months: int = 12,
    zone: ZoneInfo | None = None,
    today: date | None = None,
) -> CostReport:
    """What the providers were asked and charged: per provider, and per month and provider.

    Months are calendar months in the business time zone, bucketed in SQL from their UTC
    boundaries so the database does the counting on any backend."""
    auth_service.ensure_permission(actor, Permission.CREDIT_REPORTS_READ)
    zone = zone or get_settings().zone
    today = today or business_today(zone)
    calls = CreditDataPull.outcome != PullOutcome.FRESH_ENOUGH
    by_provider = session.execute(
        select(
            CreditDataPull.provider,
            CreditDataPull.cost_currency,
            func.count(),
            func.sum(case((CreditDataPull.outcome == PullOutcome.FOUND, 1), else_=0)),
            func.sum(CreditDataPull.cost_minor),
        )
        .where(calls)
        .group_by(CreditDataPull.provider, CreditDataPull.cost_currency)
    ).all()
    providers: dict[str, tuple[int, int, list[Money]]] = {}
    for provider, currency, count, found, minor in by_provider:
        total_calls, total_found, costs = providers.get(provider, (0, 0, []))
        if currency is not None and minor is not None:
            costs = [*costs, Money.from_minor_units(int(minor), currency)]
        providers[provider] = (total_calls + count, total_found + int(found or 0), costs)

    starts = _month_starts(today, months, zone)
    bucket = case(
        *(
            (CreditDataPull.requested_at >= start, label)
            for label, start in reversed(list(starts.items()))
        ),
        else_=None,
    )
    by_month = session.execute(
        select(
            bucket,
            CreditDataPull.provider,
            CreditDataPull.cost_currency,
            func.count(),
            func.sum(CreditDataPull.cost_minor),
        )
        .where(calls, CreditDataPull.requested_at >= min(starts.values()))
        .group_by(bucket, CreditDataPull.provider, CreditDataPull.cost_currency)
    ).all()
    month_rows: dict[tuple[str, str], tuple[int, list[Money]]] = {}
    for label, provider, currency, count, minor in by_month:
        total_calls, costs = month_rows.get((label, provider), (0, []))
        if currency is not None and minor is not None:
            costs = [*costs, Money.from_minor_units(int(minor), currency)]
        month_rows[(label, provider)] = (total_calls + count, costs)
    return CostReport(
        providers=tuple(
            ProviderCosts(name, calls_, found, sum_costs(costs))
            for name, (calls_, found, costs) in sorted(providers.items())
        ),
        months=tuple(
            MonthCosts(label, name, calls_, sum_costs(costs))
            for (label, name), (calls_, costs) in sorted(
                sorted(month_rows.items(), key=lambda item: item[0][1]),
                key=lambda item: item[0][0],
                reverse=True,
            )
        ),
    )


def _month_starts(today: date, months: int, zone: ZoneInfo) -> dict[str, datetime]:
    """``YYYY-MM`` → the month's first moment in ``zone`` as UTC, oldest first."""
    starts: dict[str, datetime] = {}
    year, month = today.year, today.month
    for _ in range(max(months, 1)):
        starts[f"{year:04d}-{month:02d}"] = datetime.combine(
            date(year, month, 1), time(), zone
        ).astimezone(UTC)
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return dict(reversed(list(starts.items())))


__all__ = [
    "KINDS",
    "Call",
    "ConnectorConfig",
    "CostReport",
    "CustomerArchived",
    "KindResult",
    "MonthCosts",
    "ProviderCosts",
    "PullSummary",
    "UnknownProvider",
    "connector_config",
    "cost_report",
    "provider_factories",
    "pull",
    "pullable_customer_ids",
    "sum_costs",
]
