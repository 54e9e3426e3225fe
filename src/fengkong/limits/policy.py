"""The credit-limit policy: what limit to recommend from grade and financials, the risk class of
each grade, who approves a request, and when a block rule fires. Pure: no session, no I/O.

Amounts are integer minor units of the policy currency. Shares multiply with ``Decimal`` and
results are rounded half-up (四舍五入, ``ROUND_HALF_UP``) to whole minor units; the recommended
limit is then rounded half-up to a multiple of ``rounding_step``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import yaml

from fengkong.kit.money import MoneyError, currency_exponent, normalise_currency
from fengkong.limits.status import BlockKind

UNRATED = "unrated"
ROLES = frozenset({"admin", "risk_manager", "credit_analyst", "sales", "auditor"})
GRADES = ("A", "B", "C", "D", "E")


class PolicyError(ValueError):
    """The limit policy is malformed; the message names the place and the field."""


class BlockCondition:
    OVERDUE = "overdue"
    GRADE = "grade"
    OVER_LIMIT = "over_limit"
    ALL = frozenset({OVERDUE, GRADE, OVER_LIMIT})


@dataclass(frozen=True, slots=True)
class GradeTerms:
    grade: str
    risk_class: str
    equity_share: Decimal
    revenue_share: Decimal
    cap: int
    starter: int


@dataclass(frozen=True, slots=True)
class ApprovalTier:
    name: str
    max_amount: int | None
    """Covers limits up to and including this amount; ``None`` = any amount."""
    grades: frozenset[str]
    roles: frozenset[str]
    approvals: int

    def covers(self, amount: int, grade_key: str) -> bool:
        return grade_key in self.grades and (self.max_amount is None or amount <= self.max_amount)


@dataclass(frozen=True, slots=True)
class BlockRule:
    name: str
    kind: BlockKind
    condition: str
    days: int = 0
    tolerance: int = 0
    tolerance_share: Decimal = Decimal(0)
    grades: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    name: str
    currency: str
    rounding_step: int
    default_payment_terms_days: int
    statement_max_age_months: int
    grades: Mapping[str, GradeTerms]
    unrated_risk_class: str
    request_expiry_days: int
    tiers: tuple[ApprovalTier, ...]
    release_grace_days: int
    block_rules: tuple[BlockRule, ...]

    def risk_class(self, grade: str | None) -> str:
        terms = self.grades.get(grade) if grade is not None else None
        return terms.risk_class if terms is not None else self.unrated_risk_class

    def tier_for(self, amount: int, grade: str | None) -> ApprovalTier:
        """The first tier covering ``amount`` (the limit after approval) for the grade."""
        key = grade if grade is not None and grade in self.grades else UNRATED
        for tier in self.tiers:
            if tier.covers(amount, key):
                return tier
        raise PolicyError(f"no approval tier covers {amount} for grade {key}")  # pragma: no cover

    @classmethod
    def from_yaml(cls, text: str) -> LimitPolicy:
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise PolicyError(f"not valid YAML: {error}") from error
        return _parse(raw)


# --- recommendation -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LimitInputs:
    """What the recommendation reads about a customer. ``equity`` and ``revenue`` come from the
    latest statement known (revenue annualised), in ``statement_currency``."""

    grade: str | None
    statement_period_end: date | None = None
    statement_currency: str | None = None
    equity: int | None = None
    revenue: int | None = None
    payment_terms_days: int | None = None


@dataclass(frozen=True, slots=True)
class ReasonLine:
    """One step of a computation: a message key and its values (amounts in minor units under
    the keys listed in ``limits.messages``), turned into text where it is shown."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Recommendation:
    amount: int
    currency: str
    grade: str | None
    risk_class: str
    basis: str
    """Which base set the amount: ``equity``, ``revenue``, ``cap``, ``starter`` or ``none``."""
    reasons: tuple[ReasonLine, ...]


def _times(amount: int, share: Decimal) -> int:
    return int((Decimal(amount) * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_to_step(amount: int, step: int) -> int:
    """``amount`` rounded half-up to a multiple of ``step`` (both in minor units)."""
    if step <= 1:
        return amount
    units = (Decimal(amount) / Decimal(step)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(units) * step


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def recommend(policy: LimitPolicy, inputs: LimitInputs, *, today: date) -> Recommendation:
    """The recommended limit and each step that led to it."""
    currency = policy.currency
    terms = policy.grades.get(inputs.grade) if inputs.grade is not None else None
    if terms is None:
        return Recommendation(
            0, currency, None, policy.unrated_risk_class, "none", (ReasonLine("unrated"),)
        )
    lines = [ReasonLine("grade", {"grade": terms.grade, "risk_class": terms.risk_class})]
    usable = _usable_statement(policy, inputs, today, lines)
    if not usable:
        lines.append(ReasonLine("starter", {"grade": terms.grade, "amount": terms.starter}))
        candidates = {"starter": terms.starter, "cap": terms.cap}
    else:
        candidates = {"cap": terms.cap}
        if inputs.equity is not None:
            base = max(0, _times(inputs.equity, terms.equity_share))
            candidates["equity"] = base
            lines.append(
                ReasonLine(
                    "equity_base",
                    {"equity": inputs.equity, "share": terms.equity_share, "amount": base},
                )
            )
        else:
            lines.append(ReasonLine("no_equity"))
        if inputs.revenue is not None:
            days = inputs.payment_terms_days or policy.default_payment_terms_days
            monthly = Decimal(inputs.revenue) / 12
            raw = monthly * Decimal(days) / 30 * terms.revenue_share
            base = max(0, int(raw.quantize(Decimal(1), rounding=ROUND_HALF_UP)))
            candidates["revenue"] = base
            lines.append(
                ReasonLine(
                    "revenue_base",
                    {
                        "revenue": inputs.revenue,
                        "terms_days": days,
                        "share": terms.revenue_share,
                        "amount": base,
                    },
                )
            )
        else:
            lines.append(ReasonLine("no_revenue"))
    lines.append(ReasonLine("grade_cap", {"grade": terms.grade, "amount": terms.cap}))
    basis, smallest = min(candidates.items(), key=lambda item: (item[1], item[0] != "cap"))
    lines.append(ReasonLine("smallest", {"basis": basis, "amount": smallest}))
    amount = min(round_to_step(max(0, smallest), policy.rounding_step), terms.cap)
    if amount != smallest:
        lines.append(ReasonLine("rounded", {"step": policy.rounding_step, "amount": amount}))
    return Recommendation(amount, currency, terms.grade, terms.risk_class, basis, tuple(lines))


def _usable_statement(
    policy: LimitPolicy, inputs: LimitInputs, today: date, lines: list[ReasonLine]
) -> bool:
    if inputs.statement_period_end is None:
        lines.append(ReasonLine("no_statement"))
        return False
    age = _months_between(inputs.statement_period_end, today)
    if age > policy.statement_max_age_months:
        lines.append(
            ReasonLine(
                "stale_statement",
                {
                    "period_end": inputs.statement_period_end.isoformat(),
                    "months": policy.statement_max_age_months,
                },
            )
        )
        return False
    if inputs.statement_currency != policy.currency:
        lines.append(
            ReasonLine(
                "statement_currency",
                {"statement_currency": inputs.statement_currency, "currency": policy.currency},
            )
        )
        return False
    if inputs.equity is None and inputs.revenue is None:
        lines.append(ReasonLine("no_statement"))
        return False
    lines.append(ReasonLine("statement", {"period_end": inputs.statement_period_end.isoformat()}))
    return True


# --- block rules ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockFacts:
    """What the block rules read about a customer (amounts in the policy currency)."""

    customer_id: int
    grade: str | None
    exposure: int
    limit: int | None
    overdue: int
    """Overdue receivables not under dispute."""
    oldest_days_past_due: int
    """Of the undisputed overdue items."""


@dataclass(frozen=True, slots=True)
class Firing:
    rule: BlockRule
    values: Mapping[str, Any]


def fire(rule: BlockRule, facts: BlockFacts) -> Firing | None:
    """The rule's finding for the customer, or ``None`` when it does not fire."""
    if rule.condition == BlockCondition.OVERDUE:
        if facts.oldest_days_past_due >= rule.days and facts.overdue > rule.tolerance:
            return Firing(
                rule,
                {
                    "days": facts.oldest_days_past_due,
                    "min_days": rule.days,
                    "overdue": facts.overdue,
                    "tolerance": rule.tolerance,
                },
            )
        return None
    if rule.condition == BlockCondition.GRADE:
        if facts.grade is not None and facts.grade in rule.grades:
            return Firing(rule, {"grade": facts.grade})
        return None
    if facts.limit is None:
        return None
    allowed = facts.limit + _times(facts.limit, rule.tolerance_share)
    if facts.exposure > allowed:
        return Firing(
            rule,
            {
                "exposure": facts.exposure,
                "limit": facts.limit,
                "tolerance_share": rule.tolerance_share,
                "allowed": allowed,
            },
        )
    return None


def firing_rules(policy: LimitPolicy, facts: BlockFacts) -> tuple[Firing, ...]:
    found = (fire(rule, facts) for rule in policy.block_rules)
    return tuple(firing for firing in found if firing is not None)


# --- parsing --------------------------------------------------------------------------------


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError(f"{where} must be a mapping")
    return value


def _keys(raw: Mapping[str, Any], where: str, *, required: set[str], allowed: set[str]) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise PolicyError(f"{where}: unknown field {', '.join(unknown)}")
    missing = sorted(required - set(raw))
    if missing:
        raise PolicyError(f"{where}: missing {', '.join(missing)}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where} must be a non-empty string, got {value!r}")
    return value.strip()


def _whole(value: Any, where: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PolicyError(f"{where} must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _share(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PolicyError(f"{where} must be a number between 0 and 1, got {value!r}")
    try:
        share = Decimal(str(value))
    except InvalidOperation as error:
        raise PolicyError(f"{where} must be a number between 0 and 1, got {value!r}") from error
    if not share.is_finite() or share < 0 or share > 1:
        raise PolicyError(f"{where} must be a number between 0 and 1, got {value!r}")
    return share


def _amount(value: Any, where: str, currency: str) -> int:
    """A non-negative amount in major units (a string or an integer) as minor units."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise PolicyError(f'{where} must be an amount such as "1000000", got {value!r}')
    try:
        amount = Decimal(str(value).replace(",", ""))
    except InvalidOperation as error:
        raise PolicyError(f"{where} is not an amount: {value!r}") from error
    exponent = currency_exponent(currency)
    minor = amount.scaleb(exponent)
    if not minor.is_finite() or minor < 0 or minor != minor.to_integral_value():
        raise PolicyError(f"{where} must be a non-negative amount in {currency}, got {value!r}")
    return int(minor)


def _names(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{where} must be a non-empty list")
    return frozenset(_text(item, f"{where}[{index}]") for index, item in enumerate(value))


def _parse(raw: Any) -> LimitPolicy:
    top = _mapping(raw, "the policy")
    _keys(
        top,
        "the policy",
        required={"name", "currency", "recommendation", "grades", "approval_tiers"},
        allowed={
            "name",
            "currency",
            "recommendation",
            "grades",
            "unrated_risk_class",
            "requests",
            "approval_tiers",
            "blocks",
        },
    )
    try:
        currency = normalise_currency(_text(top["currency"], "currency"))
    except MoneyError as error:
        raise PolicyError(f"currency: {error}") from error
    rec = _mapping(top["recommendation"], "recommendation")
    _keys(
        rec,
        "recommendation",
        required={"rounding_step"},
        allowed={"rounding_step", "default_payment_terms_days", "statement_max_age_months"},
    )
    grades = _grades(_mapping(top["grades"], "grades"), currency)
    requests = _mapping(top.get("requests") or {}, "requests")
    _keys(requests, "requests", required=set(), allowed={"expiry_days"})
    tiers = _tiers(top["approval_tiers"], currency, set(grades) | {UNRATED})
    blocks = _mapping(top.get("blocks") or {}, "blocks")
    _keys(blocks, "blocks", required=set(), allowed={"release_grace_days", "rules"})
    step = _amount(rec["rounding_step"], "recommendation.rounding_step", currency)
    return LimitPolicy(
        name=_text(top["name"], "name"),
        currency=currency,
        rounding_step=max(step, 1),
        default_payment_terms_days=_whole(
            rec.get("default_payment_terms_days", 30),
            "recommendation.default_payment_terms_days",
            minimum=1,
        ),
        statement_max_age_months=_whole(
            rec.get("statement_max_age_months", 24),
            "recommendation.statement_max_age_months",
            minimum=1,
        ),
        grades=grades,
        unrated_risk_class=_text(top.get("unrated_risk_class", UNRATED), "unrated_risk_class"),
        request_expiry_days=_whole(
            requests.get("expiry_days", 14), "requests.expiry_days", minimum=1
        ),
        tiers=tiers,
        release_grace_days=_whole(
            blocks.get("release_grace_days", 30), "blocks.release_grace_days"
        ),
        block_rules=_rules(blocks.get("rules") or [], currency, set(grades)),
    )


def _grades(raw: Mapping[str, Any], currency: str) -> dict[str, GradeTerms]:
    if not raw:
        raise PolicyError("grades must name at least one grade")
    grades: dict[str, GradeTerms] = {}
    for grade, value in raw.items():
        where = f"grades.{grade}"
        terms = _mapping(value, where)
        _keys(
            terms,
            where,
            required={"risk_class", "equity_share", "revenue_share", "cap"},
            allowed={"risk_class", "equity_share", "revenue_share", "cap", "starter"},
        )
        cap = _amount(terms["cap"], f"{where}.cap", currency)
        starter = _amount(terms.get("starter", "0"), f"{where}.starter", currency)
        if starter > cap:
            raise PolicyError(f"{where}.starter exceeds the cap")
        grades[str(grade)] = GradeTerms(
            grade=str(grade),
            risk_class=_text(terms["risk_class"], f"{where}.risk_class"),
            equity_share=_share(terms["equity_share"], f"{where}.equity_share"),
            revenue_share=_share(terms["revenue_share"], f"{where}.revenue_share"),
            cap=cap,
            starter=starter,
        )
    return grades


def _tiers(raw: Any, currency: str, grade_keys: set[str]) -> tuple[ApprovalTier, ...]:
    if not isinstance(raw, list) or not raw:
        raise PolicyError("approval_tiers must be a non-empty list")
    tiers: list[ApprovalTier] = []
    for index, value in enumerate(raw):
        where = f"approval_tiers[{index}]"
        item = _mapping(value, where)
        _keys(
            item,
            where,
            required={"name", "grades", "roles", "approvals"},
            allowed={"name", "max_amount", "grades", "roles", "approvals"},
        )
        grades = _names(item["grades"], f"{where}.grades")
        unknown = sorted(grades - grade_keys)
        if unknown:
            raise PolicyError(f"{where}.grades: unknown grade {', '.join(unknown)}")
        roles = _names(item["roles"], f"{where}.roles")
        bad_roles = sorted(roles - ROLES)
        if bad_roles:
            raise PolicyError(f"{where}.roles: unknown role {', '.join(bad_roles)}")
        approvals = _whole(item["approvals"], f"{where}.approvals", minimum=1)
        if approvals > 2:
            raise PolicyError(f"{where}.approvals must be 1 or 2")
        max_amount = item.get("max_amount")
        tiers.append(
            ApprovalTier(
                name=_text(item["name"], f"{where}.name"),
                max_amount=(
                    None
                    if max_amount is None
                    else _amount(max_amount, f"{where}.max_amount", currency)
                ),
                grades=grades,
                roles=roles,
                approvals=approvals,
            )
        )
    uncovered = sorted(
        key
        for key in grade_keys
        if not any(tier.max_amount is None and key in tier.grades for tier in tiers)
    )
    if uncovered:
        raise PolicyError(
            "approval_tiers: no tier without max_amount covers grade " + ", ".join(uncovered)
        )
    return tuple(tiers)


def _rules(raw: Any, currency: str, grades: set[str]) -> tuple[BlockRule, ...]:
    if not isinstance(raw, list):
        raise PolicyError("blocks.rules must be a list")
    rules: list[BlockRule] = []
    seen: set[str] = set()
    for index, value in enumerate(raw):
        where = f"blocks.rules[{index}]"
        item = _mapping(value, where)
        _keys(
            item,
            where,
            required={"name", "kind", "condition"},
            allowed={"name", "kind", "condition", "days", "tolerance", "tolerance_share", "grades"},
        )
        name = _text(item["name"], f"{where}.name")
        if name in seen:
            raise PolicyError(f"{where}.name: {name} is used twice")
        seen.add(name)
        try:
            kind = BlockKind(item["kind"])
        except ValueError as error:
            raise PolicyError(
                f"{where}.kind must be one of {', '.join(BlockKind)}, got {item['kind']!r}"
            ) from error
        condition = item["condition"]
        if condition not in BlockCondition.ALL:
            raise PolicyError(
                f"{where}.condition must be one of {', '.join(sorted(BlockCondition.ALL))}"
            )
        rule_grades: frozenset[str] = frozenset()
        if condition == BlockCondition.GRADE:
            rule_grades = _names(item.get("grades"), f"{where}.grades")
            unknown = sorted(rule_grades - grades)
            if unknown:
                raise PolicyError(f"{where}.grades: unknown grade {', '.join(unknown)}")
        rules.append(
            BlockRule(
                name=name,
                kind=kind,
                condition=condition,
                days=(
                    _whole(item.get("days"), f"{where}.days", minimum=1)
                    if condition == BlockCondition.OVERDUE
                    else 0
                ),
                tolerance=_amount(item.get("tolerance", "0"), f"{where}.tolerance", currency),
                tolerance_share=_share(item.get("tolerance_share", 0), f"{where}.tolerance_share"),
                grades=rule_grades,
            )
        )
    return tuple(rules)
