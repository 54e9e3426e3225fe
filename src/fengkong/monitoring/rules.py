"""Early-warning rules, pure: a rule set parsed from YAML, each rule evaluated over one
customer's facts as known on a date, giving a level (0 = clear, 1 = fired) and the values that
explain it. No I/O; the loader (``monitoring.facts``) builds the facts set-based from the database.

Kinds and their metrics:

- ``threshold``: a current figure compared with ``value`` (``days_past_due``, ``debt_to_asset``,
  ``overdue_amount`` in CNY minor units, ``limit_utilisation`` as a fraction of the limit).
- ``change``: ``score_drop`` (points lost within ``within_days``), ``grade_downgrade`` (the grade
  now worse than the best grade within ``within_days``), ``agency_rating_downgrade`` (the latest
  report of an agency, dated within ``within_days`` when given, rated worse than its previous).
- ``anomaly`` against the customer's own baseline: ``order_count`` / ``order_amount`` (the last 30
  days against the mean and standard deviation of the six 30-day windows before), ``dso_jump``
  (DSO of the last 90 days minus DSO of the 90 before), ``payment_days_drift`` (mean days from
  issue to payment in the last 90 days minus the 180 before).
- ``event``: a legal event of ``event_types`` occurring within ``within_days`` and unresolved,
  at least ``min_amount`` (CNY minor units) when given.
- ``staleness``: ``statement_age`` (months since the latest statement's period end) over
  ``months``; ``review_overdue``: an open periodic review is more than ``days`` past its due
  day.
- ``contagion``: a related party graded in ``grades`` or more than ``default_dpd`` days past due.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import partial
from operator import attrgetter
from typing import Any

import yaml

from fengkong.i18n import N_


class RuleError(ValueError):
    """The rule set is not valid; the message names the rule and the field."""


class RuleKind(StrEnum):
    THRESHOLD = "threshold"
    CHANGE = "change"
    ANOMALY = "anomaly"
    EVENT = "event"
    STALENESS = "staleness"
    CONTAGION = "contagion"


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_LABELS: dict[Severity, str] = {
    Severity.LOW: N_("Low"),
    Severity.MEDIUM: N_("Medium"),
    Severity.HIGH: N_("High"),
    Severity.CRITICAL: N_("Critical"),
}

SEVERITY_ORDER: dict[Severity, int] = {
    Severity.LOW: 0,
    Severity.MEDIUM: 1,
    Severity.HIGH: 2,
    Severity.CRITICAL: 3,
}


class ActionCode(StrEnum):
    PROPOSE_LIMIT_CUT = "propose_limit_cut"
    CREDIT_BLOCK = "credit_block"
    PREPAYMENT_ONLY = "prepayment_only"
    REQUIRE_GUARANTEE = "require_guarantee"
    COLLECTION_TASK = "collection_task"
    EARLY_REVIEW = "early_review"


METRICS: dict[RuleKind, frozenset[str]] = {
    RuleKind.THRESHOLD: frozenset(
        {"days_past_due", "debt_to_asset", "overdue_amount", "limit_utilisation"}
    ),
    RuleKind.CHANGE: frozenset({"score_drop", "grade_downgrade", "agency_rating_downgrade"}),
    RuleKind.ANOMALY: frozenset({"order_count", "order_amount", "dso_jump", "payment_days_drift"}),
    RuleKind.EVENT: frozenset({"legal_event"}),
    RuleKind.STALENESS: frozenset({"statement_age", "review_overdue"}),
    RuleKind.CONTAGION: frozenset({"related_party"}),
}

GRADES = ("A", "B", "C", "D", "E")
_RANK = {grade: index for index, grade in enumerate(GRADES)}
_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
DEFAULT_SLA_HOURS: dict[Severity, int] = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 24,
    Severity.MEDIUM: 72,
    Severity.LOW: 168,
}


# --- facts ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScorePoint:
    as_of: date
    score: float
    grade: str


@dataclass(frozen=True, slots=True)
class AgencyRating:
    agency: str
    report_date: date
    rating: str | None


@dataclass(frozen=True, slots=True)
class LegalFact:
    event_id: int
    event_type: str
    occurred_on: date
    amount: int | None
    resolved_on: date | None


@dataclass(frozen=True, slots=True)
class RelatedFact:
    customer_id: int
    relation: str
    grade: str | None
    days_past_due: int


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    """What the rules read about one customer on ``as_of``. ``None`` means unknown: a rule
    reading an unknown figure stays clear."""

    customer_id: int
    as_of: date
    grade: str | None = None
    industry_code: str | None = None
    region_code: str | None = None
    segment: str | None = None
    days_past_due: int = 0
    overdue_amount: int = 0
    debt_to_asset: float | None = None
    limit_utilisation: float | None = None
    scores: tuple[ScorePoint, ...] = ()
    agency_ratings: tuple[AgencyRating, ...] = ()
    orders_last_30: tuple[int, int] = (0, 0)
    """(count, CNY minor amount) of orders in the 30 days up to ``as_of``."""
    orders_baseline: tuple[tuple[int, int], ...] = ()
    """(count, amount) of each of the six 30-day windows before the last 30 days."""
    dso_recent: float | None = None
    dso_before: float | None = None
    payment_days_recent: float | None = None
    payment_days_before: float | None = None
    legal_events: tuple[LegalFact, ...] = ()
    statement_period_end: date | None = None
    review_due_on: date | None = None
    related: tuple[RelatedFact, ...] = ()


# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """Who a rule applies to; empty means everyone. Industries and regions match by prefix."""

    grades: frozenset[str] = frozenset()
    industries: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    segments: frozenset[str] = frozenset()

    def covers(self, facts: CustomerFacts) -> bool:
        if self.grades and facts.grade not in self.grades:
            return False
        if self.industries and not any(
            (facts.industry_code or "").startswith(prefix) for prefix in self.industries
        ):
            return False
        if self.regions and not any(
            (facts.region_code or "").startswith(prefix) for prefix in self.regions
        ):
            return False
        return not (self.segments and facts.segment not in self.segments)


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    kind: RuleKind
    metric: str
    title: str
    severity: Severity
    params: Mapping[str, Any] = field(default_factory=dict)
    scope: Scope = Scope()
    cooldown_days: int = 30
    actions: tuple[ActionCode, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleResult:
    """A rule's level for one customer and the values that explain it."""

    rule_id: str
    level: int
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    rules: tuple[Rule, ...]
    sla_hours: Mapping[Severity, int]

    def rule(self, rule_id: str) -> Rule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def to_yaml(self) -> str:
        return yaml.safe_dump(rule_set_document(self), allow_unicode=True, sort_keys=False)


def rule_document(rule: Rule) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": rule.id,
        "kind": rule.kind.value,
        "metric": rule.metric,
        "title": rule.title,
        "severity": rule.severity.value,
        "cooldown_days": rule.cooldown_days,
        "actions": [action.value for action in rule.actions],
    }
    document.update(dict(rule.params))
    scope = {
        "grades": sorted(rule.scope.grades),
        "industries": list(rule.scope.industries),
        "regions": list(rule.scope.regions),
        "segments": sorted(rule.scope.segments),
    }
    scope = {key: value for key, value in scope.items() if value}
    if scope:
        document["scope"] = scope
    return document


def rule_set_document(rule_set: RuleSet) -> dict[str, Any]:
    return {
        "name": rule_set.name,
        "sla_hours": {severity.value: hours for severity, hours in rule_set.sla_hours.items()},
        "rules": [rule_document(rule) for rule in rule_set.rules],
    }


# --- parsing ----------------------------------------------------------------------------------

_COMMON = frozenset(
    {"id", "kind", "metric", "title", "severity", "cooldown_days", "actions", "scope"}
)
_PARAMS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "days_past_due": {"value": (int, float)},
    "debt_to_asset": {"value": (int, float)},
    "overdue_amount": {"value": (int, float)},
    "limit_utilisation": {"value": (int, float)},
    "score_drop": {"points": (int, float), "within_days": int},
    "grade_downgrade": {"within_days": int, "notches": int},
    "agency_rating_downgrade": {"within_days": int},
    "order_count": {"sd": (int, float), "min_baseline": (int, float)},
    "order_amount": {"sd": (int, float), "min_baseline": (int, float)},
    "dso_jump": {"days": (int, float)},
    "payment_days_drift": {"days": (int, float)},
    "legal_event": {"event_types": list, "within_days": int, "min_amount": int},
    "statement_age": {"months": int},
    "review_overdue": {"days": int},
    "related_party": {"grades": list, "default_dpd": int},
}
_REQUIRED: dict[str, frozenset[str]] = {
    "days_past_due": frozenset({"value"}),
    "debt_to_asset": frozenset({"value"}),
    "overdue_amount": frozenset({"value"}),
    "limit_utilisation": frozenset({"value"}),
    "score_drop": frozenset({"points", "within_days"}),
    "legal_event": frozenset({"event_types"}),
    "statement_age": frozenset({"months"}),
}


def _list_of_strings(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RuleError(f"{where}: a list of strings is expected")
    return value


def _scope(where: str, raw: Any) -> Scope:
    if raw is None:
        return Scope()
    if not isinstance(raw, dict):
        raise RuleError(f"{where}.scope: a mapping is expected")
    unknown = set(raw) - {"grades", "industries", "regions", "segments"}
    if unknown:
        raise RuleError(f"{where}.scope: unknown field {sorted(unknown)[0]}")
    grades = _list_of_strings(f"{where}.scope.grades", raw.get("grades", []))
    bad = [grade for grade in grades if grade not in _RANK]
    if bad:
        raise RuleError(f"{where}.scope.grades: unknown grade {bad[0]}")
    return Scope(
        grades=frozenset(grades),
        industries=tuple(_list_of_strings(f"{where}.scope.industries", raw.get("industries", []))),
        regions=tuple(_list_of_strings(f"{where}.scope.regions", raw.get("regions", []))),
        segments=frozenset(_list_of_strings(f"{where}.scope.segments", raw.get("segments", []))),
    )


def parse_rule(raw: Any, where: str = "rule") -> Rule:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: a mapping is expected")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleError(f"{where}.id: lower-case letters, digits and _ (2 to 64), got {rule_id!r}")
    where = f"rule {rule_id}"
    try:
        kind = RuleKind(str(raw.get("kind")))
    except ValueError:
        raise RuleError(f"{where}.kind: one of {', '.join(RuleKind)}") from None
    metric = raw.get("metric")
    if metric not in METRICS[kind]:
        raise RuleError(f"{where}.metric: one of {', '.join(sorted(METRICS[kind]))} for {kind}")
    try:
        severity = Severity(str(raw.get("severity")))
    except ValueError:
        raise RuleError(f"{where}.severity: one of {', '.join(Severity)}") from None
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 200:
        raise RuleError(f"{where}.title: a text of 1 to 200 characters is expected")
    cooldown = raw.get("cooldown_days", 30)
    if not isinstance(cooldown, int) or isinstance(cooldown, bool) or not 0 <= cooldown <= 3650:
        raise RuleError(f"{where}.cooldown_days: a whole number of days from 0 to 3650")
    try:
        actions = tuple(
            ActionCode(code)
            for code in _list_of_strings(f"{where}.actions", raw.get("actions", []))
        )
    except ValueError:
        raise RuleError(f"{where}.actions: each one of {', '.join(ActionCode)}") from None
    allowed = _PARAMS[metric]
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _COMMON:
            continue
        if key not in allowed:
            raise RuleError(f"{where}.{key}: not a parameter of {metric}")
        expected = allowed[key]
        if isinstance(value, bool) or not isinstance(value, expected):
            raise RuleError(f"{where}.{key}: wrong type")
        if isinstance(value, (int, float)) and (not math.isfinite(value) or value < 0):
            raise RuleError(f"{where}.{key}: a number of zero or more is expected")
        params[key] = value
    missing = _REQUIRED.get(metric, frozenset()) - set(params)
    if missing:
        raise RuleError(f"{where}.{sorted(missing)[0]}: required for {metric}")
    if "event_types" in params:
        _list_of_strings(f"{where}.event_types", params["event_types"])
    if "grades" in params:
        grades = _list_of_strings(f"{where}.grades", params["grades"])
        if any(grade not in _RANK for grade in grades):
            raise RuleError(f"{where}.grades: grades are A to E")
    return Rule(
        id=rule_id,
        kind=kind,
        metric=metric,
        title=title.strip(),
        severity=severity,
        params=params,
        scope=_scope(where, raw.get("scope")),
        cooldown_days=cooldown,
        actions=actions,
    )


def parse_rule_set(text: str) -> RuleSet:
    """The validated rule set, or ``RuleError`` naming the rule and field."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RuleError(f"not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise RuleError("the rule set must be a mapping with name and rules")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise RuleError("name: a text of 1 to 100 characters is expected")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleError("rules: a non-empty list is expected")
    rules = tuple(parse_rule(raw, f"rules[{index}]") for index, raw in enumerate(raw_rules))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleError(f"rule {rule.id}.id: used twice")
        seen.add(rule.id)
    sla_raw = document.get("sla_hours", {})
    if not isinstance(sla_raw, dict):
        raise RuleError("sla_hours: a mapping of severity to hours is expected")
    sla = dict(DEFAULT_SLA_HOURS)
    for key, hours in sla_raw.items():
        try:
            severity = Severity(key)
        except ValueError:
            raise RuleError(f"sla_hours.{key}: not a severity") from None
        if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= 24 * 365:
            raise RuleError(f"sla_hours.{key}: whole hours from 1 to 8760")
        sla[severity] = hours
    return RuleSet(name=name.strip(), rules=rules, sla_hours=sla)


def parse_single_rule(text: str) -> Rule:
    """One rule given alone as YAML (the preview form)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RuleError(f"not valid YAML: {error}") from None
    return parse_rule(document)


# --- evaluation -------------------------------------------------------------------------------
# Each metric has a level (``level_check``) and the values that explain it (``explain``), both
# over the same figures. A job evaluates every rule for every customer it applies, but few levels
# change, and the values are kept only with a change: the service asks for them then. Building
# them for every evaluation was most of its cost.


def _threshold_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    value = getattr(facts, rule.metric)
    shown = round(value, 4) if isinstance(value, float) else value
    return {"value": shown, "threshold": rule.params["value"]}


def _score_drop(rule: Rule, facts: CustomerFacts) -> tuple[float, float, float] | None:
    """(drop, highest, latest score) within the window; ``None`` with fewer than two scores."""
    since = facts.as_of - timedelta(days=int(rule.params["within_days"]))
    window = [point for point in facts.scores if since <= point.as_of <= facts.as_of]
    if len(window) < 2:
        return None
    latest = max(window, key=lambda point: point.as_of)
    peak = max(point.score for point in window if point.as_of <= latest.as_of)
    return round(peak - latest.score, 2), peak, latest.score


def _grade_downgrade(rule: Rule, facts: CustomerFacts) -> tuple[str, str, int] | None:
    """(grade now, best grade within the window, notches between); ``None`` with fewer than two
    graded scores."""
    since = facts.as_of - timedelta(days=int(rule.params.get("within_days", 90)))
    window = [
        point
        for point in facts.scores
        if since <= point.as_of <= facts.as_of and point.grade in _RANK
    ]
    if len(window) < 2:
        return None
    latest = max(window, key=lambda point: point.as_of)
    best = min((point.grade for point in window), key=_RANK.__getitem__)
    return latest.grade, best, _RANK[latest.grade] - _RANK[best]


def _rating_rank(rating: str | None) -> int | None:
    """Agency ratings in the AAA … D style: more letters A are better, then B, then C, D; a
    trailing + or - moves within the letter. Unknown forms rank as ``None``."""
    if not rating:
        return None
    text = rating.strip().upper()
    match = re.fullmatch(r"(A{1,3}|B{1,3}|C{1,3}|D)([+-]?)", text)
    if match is None:
        return None
    letters, sign = match.groups()
    letter_rank = {"A": 0, "B": 3, "C": 6, "D": 9}[letters[0]]
    rank = letter_rank + (3 - len(letters)) if letters != "D" else 9
    return rank * 3 + {"+": 0, "": 1, "-": 2}[sign]


def _agency_downgrade(
    rule: Rule, facts: CustomerFacts
) -> tuple[str, AgencyRating, AgencyRating] | None:
    """The first agency (by name) whose latest report rates worse than its previous one:
    (agency, previous report, latest report)."""
    by_agency: dict[str, list[AgencyRating]] = {}
    for rating in facts.agency_ratings:
        if rating.report_date <= facts.as_of:
            by_agency.setdefault(rating.agency, []).append(rating)
    for agency, ratings in sorted(by_agency.items()):
        ratings.sort(key=lambda rating: rating.report_date)
        if len(ratings) < 2:
            continue
        before, now = ratings[-2], ratings[-1]
        within = rule.params.get("within_days")
        if within is not None and now.report_date < facts.as_of - timedelta(days=within):
            continue
        old, new = _rating_rank(before.rating), _rating_rank(now.rating)
        if old is not None and new is not None and new > old:
            return agency, before, now
    return None


def _order_anomaly(
    rule: Rule, facts: CustomerFacts
) -> tuple[int, float | None, float | None, float | None]:
    """(recent, baseline mean, baseline standard deviation, deviations of recent from the mean);
    the mean ``None`` without six baseline windows, the deviation ``None`` below
    ``min_baseline``."""
    index = 0 if rule.metric == "order_count" else 1
    recent = facts.orders_last_30[index]
    if len(facts.orders_baseline) < 6:
        return recent, None, None, None
    baseline = [window[index] for window in facts.orders_baseline]
    mean = sum(baseline) / len(baseline)
    if mean < float(rule.params.get("min_baseline", 1)):
        return recent, mean, None, None
    sd = math.sqrt(sum((value - mean) ** 2 for value in baseline) / (len(baseline) - 1))
    deviations = abs(recent - mean) / sd if sd > 0 else (0.0 if recent == mean else math.inf)
    return recent, mean, sd, deviations


def _order_anomaly_level(rule: Rule, facts: CustomerFacts) -> int:
    deviations = _order_anomaly(rule, facts)[3]
    return 1 if deviations is not None and deviations > float(rule.params.get("sd", 3)) else 0


def _order_anomaly_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    recent, mean, sd, deviations = _order_anomaly(rule, facts)
    if mean is None:
        return {"recent": recent}
    if sd is None or deviations is None:
        return {"recent": recent, "mean": round(mean, 2)}
    return {
        "recent": recent,
        "mean": round(mean, 2),
        "sd": round(sd, 2),
        "deviations": round(deviations, 2) if math.isfinite(deviations) else None,
    }


def _drifts(facts: CustomerFacts, metric: str) -> tuple[float | None, float | None]:
    """(recent, before) of a drift metric."""
    if metric == "dso_jump":
        return facts.dso_recent, facts.dso_before
    return facts.payment_days_recent, facts.payment_days_before


def _drift_level(rule: Rule, facts: CustomerFacts) -> int:
    recent, before = _drifts(facts, rule.metric)
    if recent is None or before is None:
        return 0
    return 1 if round(recent - before, 2) > rule.params["days"] else 0


def _drift_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    recent, before = _drifts(facts, rule.metric)
    if recent is None or before is None:
        return {"recent": recent, "before": before}
    return {
        "recent": round(recent, 2),
        "before": round(before, 2),
        "change": round(recent - before, 2),
    }


def _legal(rule: Rule, facts: CustomerFacts) -> list[LegalFact]:
    """The rule's unresolved legal events within its window, oldest first."""
    kinds = set(rule.params["event_types"])
    within = rule.params.get("within_days")
    minimum = rule.params.get("min_amount")
    found = [
        event
        for event in facts.legal_events
        if event.event_type in kinds
        and event.occurred_on <= facts.as_of
        and (event.resolved_on is None or event.resolved_on > facts.as_of)
        and (within is None or event.occurred_on >= facts.as_of - timedelta(days=within))
        and (minimum is None or (event.amount is not None and event.amount >= minimum))
    ]
    found.sort(key=lambda event: (event.occurred_on, event.event_id))
    return found


def _legal_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    found = _legal(rule, facts)
    if not found:
        return {}
    return {
        "events": [event.event_id for event in found],
        "latest_type": found[-1].event_type,
        "latest_on": found[-1].occurred_on.isoformat(),
    }


def _months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``; a month from the 31st ends on the last day of a
    shorter month (31 March to 30 June is three months)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    month_end = (end + timedelta(days=1)).day == 1
    if end.day < start.day and not month_end:
        months -= 1
    return months


def _staleness_level(rule: Rule, facts: CustomerFacts) -> int:
    if rule.metric == "review_overdue":
        if facts.review_due_on is None:
            return 0
        late = (facts.as_of - facts.review_due_on).days
        return 1 if late > int(rule.params.get("days", 0)) else 0
    if facts.statement_period_end is None:
        return 1
    return (
        1 if _months_between(facts.statement_period_end, facts.as_of) > rule.params["months"] else 0
    )


def _staleness_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    if rule.metric == "review_overdue":
        if facts.review_due_on is None:
            return {"review_due_on": None}
        return {
            "review_due_on": facts.review_due_on.isoformat(),
            "days_late": max((facts.as_of - facts.review_due_on).days, 0),
        }
    limit = int(rule.params["months"])
    if facts.statement_period_end is None:
        return {"latest_period_end": None, "months": None, "limit": limit}
    return {
        "latest_period_end": facts.statement_period_end.isoformat(),
        "months": _months_between(facts.statement_period_end, facts.as_of),
        "limit": limit,
    }


def _distressed_parties(rule: Rule, facts: CustomerFacts) -> list[RelatedFact]:
    grades = set(rule.params.get("grades", ["E"]))
    default_dpd = rule.params.get("default_dpd", 90)
    return [
        party
        for party in facts.related
        if party.grade in grades or party.days_past_due > default_dpd
    ]


def _contagion_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    hits = _distressed_parties(rule, facts)
    if not hits:
        return {}
    return {
        "related": [
            {
                "customer_id": party.customer_id,
                "relation": party.relation,
                "grade": party.grade,
                "days_past_due": party.days_past_due,
            }
            for party in sorted(hits, key=lambda party: party.customer_id)
        ]
    }


LevelCheck = Callable[[CustomerFacts], int]


def _threshold_check(rule: Rule) -> LevelCheck:
    figure, limit = attrgetter(rule.metric), rule.params["value"]

    def threshold(facts: CustomerFacts) -> int:
        value = figure(facts)
        return 1 if value is not None and value > limit else 0

    return threshold


def _score_drop_check(rule: Rule) -> LevelCheck:
    points = rule.params["points"]

    def score_drop(facts: CustomerFacts) -> int:
        drop = _score_drop(rule, facts)
        return 1 if drop is not None and drop[0] >= points else 0

    return score_drop


def _score_drop_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    drop = _score_drop(rule, facts)
    if drop is None:
        return {"drop": 0}
    return {"drop": drop[0], "highest": drop[1], "score": drop[2]}


def _grade_downgrade_check(rule: Rule) -> LevelCheck:
    notches = int(rule.params.get("notches", 1))

    def grade_downgrade(facts: CustomerFacts) -> int:
        grades = _grade_downgrade(rule, facts)
        return 1 if grades is not None and grades[2] >= notches else 0

    return grade_downgrade


def _grade_downgrade_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    grades = _grade_downgrade(rule, facts)
    if grades is None:
        return {}
    return {"grade": grades[0], "previous_best": grades[1], "notches": grades[2]}


def _agency_downgrade_values(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    downgrade = _agency_downgrade(rule, facts)
    if downgrade is None:
        return {}
    agency, before, now = downgrade
    return {"agency": agency, "previous": before.rating, "rating": now.rating}


@dataclass(frozen=True, slots=True)
class _Evaluator:
    """A metric's level check (built once a rule) and its explaining values."""

    check: Callable[[Rule], LevelCheck]
    values: Callable[[Rule, CustomerFacts], dict[str, Any]]


def _checking(level: Callable[[Rule, CustomerFacts], int]) -> Callable[[Rule], LevelCheck]:
    return lambda rule: partial(level, rule)


_THRESHOLD = _Evaluator(_threshold_check, _threshold_values)
_ORDERS = _Evaluator(_checking(_order_anomaly_level), _order_anomaly_values)
_DRIFT = _Evaluator(_checking(_drift_level), _drift_values)
_STALENESS = _Evaluator(_checking(_staleness_level), _staleness_values)
_EVALUATORS: dict[str, _Evaluator] = {
    "days_past_due": _THRESHOLD,
    "debt_to_asset": _THRESHOLD,
    "overdue_amount": _THRESHOLD,
    "limit_utilisation": _THRESHOLD,
    "score_drop": _Evaluator(_score_drop_check, _score_drop_values),
    "grade_downgrade": _Evaluator(_grade_downgrade_check, _grade_downgrade_values),
    "agency_rating_downgrade": _Evaluator(
        _checking(lambda rule, facts: 0 if _agency_downgrade(rule, facts) is None else 1),
        _agency_downgrade_values,
    ),
    "order_count": _ORDERS,
    "order_amount": _ORDERS,
    "dso_jump": _DRIFT,
    "payment_days_drift": _DRIFT,
    "legal_event": _Evaluator(
        _checking(lambda rule, facts: 1 if _legal(rule, facts) else 0), _legal_values
    ),
    "statement_age": _STALENESS,
    "review_overdue": _STALENESS,
    "related_party": _Evaluator(
        _checking(lambda rule, facts: 1 if _distressed_parties(rule, facts) else 0),
        _contagion_values,
    ),
}


def _evaluator(rule: Rule) -> _Evaluator:
    found = _EVALUATORS.get(rule.metric)
    if found is None:  # pragma: no cover - parse_rule admits only the metrics above
        raise RuleError(f"rule {rule.id}: no evaluator for {rule.metric}")
    return found


def level_check(rule: Rule) -> LevelCheck:
    """The level of ``rule`` (0 clear, 1 fired) as a function of one customer's facts; out of
    scope is clear. The metric, the parameters and whether there is a scope at all are looked
    at once here, not again for each customer: a stream job checks every rule for thousands."""
    check = _evaluator(rule).check(rule)
    scope = rule.scope
    if scope == Scope():
        return check

    def scoped(facts: CustomerFacts) -> int:
        return check(facts) if scope.covers(facts) else 0

    return scoped


def explain(rule: Rule, facts: CustomerFacts) -> dict[str, Any]:
    """The values behind ``rule``'s level for one customer, as an alert shows them."""
    if not rule.scope.covers(facts):
        return {"out_of_scope": True}
    return _evaluator(rule).values(rule, facts)


def evaluate(rule: Rule, facts: CustomerFacts) -> RuleResult:
    """The level of ``rule`` for one customer with the values that explain it."""
    return RuleResult(rule.id, level_check(rule)(facts), explain(rule, facts))


def due_hours(rule_set: RuleSet, severity: Severity) -> int:
    return int(rule_set.sla_hours.get(severity, DEFAULT_SLA_HOURS[severity]))
