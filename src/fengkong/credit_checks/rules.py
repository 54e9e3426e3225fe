"""Check rules as ordered steps, and the pure engine that runs them over a customer's facts.

A rule set names, per risk class (``low``, ``medium``, ``high``, ``unrated``), an ordered list of
steps. Each step compares one fact of the customer (exposure against the limit, the oldest open
item, the overdue share, the dunning level, …) with its parameters and answers ``pass``, or its
configured failure: ``warn`` (approve, but say why), ``block`` (hold for a credit manager) or
``reject`` (refuse outright, e.g. a blocked customer). No I/O here: the same engine checks one
order in a request and replays a year of orders in a policy simulation.

Fairness is part of the facts, not an afterthought: unapplied payments already reduce exposure,
disputed amounts are left out of every overdue rule (not out of exposure), promises to pay
reduce the overdue amount the overdue rules see, and each overdue rule has a tolerance amount
below which a residue never fails it.

Amounts in the YAML are in major units of the rule set's currency (``50000`` = ¥50,000.00); the
engine works in integer minor units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import yaml

from fengkong.credit_checks.status import Decision, Stage, StepOutcome
from fengkong.kit.money import Money, MoneyError, currency_exponent

RISK_CLASSES = ("low", "medium", "high", "unrated")


class StepKind(StrEnum):
    STATIC_LIMIT = "static_limit"
    MAX_ORDER_VALUE = "max_order_value"
    DYNAMIC_LIMIT = "dynamic_limit"
    OLDEST_OPEN_ITEM = "oldest_open_item"
    OVERDUE_SHARE = "overdue_share"
    DUNNING_LEVEL = "dunning_level"
    PAYMENT_BEHAVIOUR = "payment_behaviour"
    BLOCKS = "blocks"


class RuleSetError(ValueError):
    """The YAML does not describe a valid rule set; the message names the class, step and field."""


# Parameters each step accepts: name → (kind of value, default or ``None`` when required).
_AMOUNT, _INT, _SHARE, _NUMBER, _TEXT, _BOOL = "amount", "int", "share", "number", "text", "bool"
_PARAMS: dict[StepKind, dict[str, tuple[str, object]]] = {
    StepKind.STATIC_LIMIT: {"tolerance": (_AMOUNT, 0), "no_limit": (_TEXT, "block")},
    StepKind.MAX_ORDER_VALUE: {"max_amount": (_AMOUNT, None)},
    StepKind.DYNAMIC_LIMIT: {"horizon_days": (_INT, None), "tolerance": (_AMOUNT, 0)},
    StepKind.OLDEST_OPEN_ITEM: {"max_days": (_INT, None), "min_amount": (_AMOUNT, 0)},
    StepKind.OVERDUE_SHARE: {
        "max_share": (_SHARE, None),
        "max_weighted_share": (_NUMBER, 0),
        "reference_days": (_INT, 30),
        "tolerance": (_AMOUNT, 0),
    },
    StepKind.DUNNING_LEVEL: {"max_level": (_INT, None)},
    StepKind.PAYMENT_BEHAVIOUR: {
        "max_days_late": (_NUMBER, None),
        "unknown": (_TEXT, "pass"),
    },
    StepKind.BLOCKS: {"stop_shipping_from": (_TEXT, "delivery")},
}


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    on_fail: StepOutcome
    params: Mapping[str, Any] = field(default_factory=dict)
    stages: frozenset[Stage] | None = None
    """Stages this step runs at; ``None``: every stage the rule set checks."""

    def amount(self, name: str) -> int:
        value = self.params[name]
        assert isinstance(value, int)  # noqa: S101 - amounts are converted to minor units on parsing
        return value


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    currency: str
    stages: frozenset[Stage]
    classes: Mapping[str, tuple[Step, ...]]

    def steps_for(self, risk_class: str) -> tuple[Step, ...]:
        """The class's steps; an unknown class is checked as ``unrated``."""
        return self.classes.get(risk_class) or self.classes.get("unrated", ())

    @property
    def horizons(self) -> frozenset[int]:
        """Every dynamic-limit horizon used, so the facts carry exactly the amounts needed."""
        return frozenset(
            int(step.params["horizon_days"])
            for steps in self.classes.values()
            for step in steps
            if step.kind is StepKind.DYNAMIC_LIMIT
        )

    @classmethod
    def from_yaml(cls, text: str) -> RuleSet:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise RuleSetError(f"not valid YAML: {error}") from error
        return cls.from_mapping(data)

    @classmethod
    def from_mapping(cls, data: object) -> RuleSet:
        if not isinstance(data, dict):
            raise RuleSetError("a rule set is a mapping with name, currency, stages and classes")
        unknown = set(data) - {"name", "currency", "stages", "classes", "description"}
        if unknown:
            raise RuleSetError(f"unknown key(s) {sorted(unknown)}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise RuleSetError("name: required text")
        currency = str(data.get("currency", "CNY"))
        try:
            Money.zero(currency)
        except MoneyError as error:
            raise RuleSetError(f"currency: {error}") from error
        stages = _stages(data.get("stages", ["order"]), "stages")
        classes_data = data.get("classes")
        if not isinstance(classes_data, dict) or not classes_data:
            raise RuleSetError("classes: a mapping of risk class → list of steps")
        classes: dict[str, tuple[Step, ...]] = {}
        for risk_class, steps in classes_data.items():
            if risk_class not in RISK_CLASSES:
                raise RuleSetError(
                    f"classes: unknown risk class {risk_class!r} (one of {', '.join(RISK_CLASSES)})"
                )
            if not isinstance(steps, list):
                raise RuleSetError(f"classes.{risk_class}: a list of steps")
            classes[risk_class] = tuple(
                _step(item, currency, f"classes.{risk_class}[{index}]")
                for index, item in enumerate(steps)
            )
        if "unrated" not in classes:
            raise RuleSetError("classes: the unrated class is required (customers without a grade)")
        return cls(name=name.strip(), currency=currency.upper(), stages=stages, classes=classes)


def _stages(value: object, where: str) -> frozenset[Stage]:
    if not isinstance(value, list) or not value:
        raise RuleSetError(f"{where}: a non-empty list of {', '.join(Stage)}")
    try:
        return frozenset(Stage(item) for item in value)
    except ValueError as error:
        raise RuleSetError(f"{where}: {error}") from error


def _step(item: object, currency: str, where: str) -> Step:
    if not isinstance(item, dict) or "step" not in item:
        raise RuleSetError(f"{where}: a mapping with at least 'step'")
    try:
        kind = StepKind(item["step"])
    except ValueError as error:
        raise RuleSetError(
            f"{where}.step: unknown step {item['step']!r} (one of {', '.join(StepKind)})"
        ) from error
    on_fail_text = item.get("on_fail", "block")
    try:
        on_fail = StepOutcome(on_fail_text)
    except ValueError as error:
        raise RuleSetError(f"{where}.on_fail: {error}") from error
    if on_fail is StepOutcome.PASS:
        raise RuleSetError(f"{where}.on_fail: warn, block or reject (pass would never fail)")
    allowed = _PARAMS[kind]
    unknown = set(item) - {"step", "on_fail", "stages", *allowed}
    if unknown:
        raise RuleSetError(f"{where}: unknown parameter(s) {sorted(unknown)} for {kind}")
    params: dict[str, Any] = {}
    for name, (value_kind, default) in allowed.items():
        raw = item.get(name, default)
        if raw is None:
            raise RuleSetError(f"{where}.{name}: required for {kind}")
        params[name] = _param(raw, value_kind, currency, f"{where}.{name}")
    stages = _stages(item["stages"], f"{where}.stages") if "stages" in item else None
    return Step(kind=kind, on_fail=on_fail, params=params, stages=stages)


def _param(raw: object, value_kind: str, currency: str, where: str) -> object:
    if value_kind == _TEXT:
        return str(raw)
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise RuleSetError(f"{where}: a number")
    try:
        number = Decimal(str(raw))
    except ArithmeticError as error:
        raise RuleSetError(f"{where}: {raw!r} is not a number") from error
    if number < 0:
        raise RuleSetError(f"{where}: must not be negative")
    if value_kind == _AMOUNT:
        return int(number.scaleb(currency_exponent(currency)))
    if value_kind == _INT:
        if number != number.to_integral_value():
            raise RuleSetError(f"{where}: a whole number")
        return int(number)
    if value_kind == _SHARE and number > 1:
        raise RuleSetError(f"{where}: a share between 0 and 1")
    return float(number)


# --- facts and results ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlockFact:
    kind: str  # credit_block | stop_shipping
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class CheckFacts:
    """What the engine knows of the customer and the order, in minor units of ``currency``.

    ``exposure_before`` already nets unapplied payments and leaves out this order's own earlier
    amount (a re-check counts the order once). ``overdue`` and ``overdue_weighted`` leave out
    disputed amounts; the promise to pay is applied by the engine so its effect can be shown.
    """

    currency: str
    stage: Stage
    as_of: date
    order_amount: int
    exposure_before: int
    limit: int | None
    open_receivables: int = 0
    open_orders: int = 0
    unapplied_payments: int = 0
    overdue: int = 0
    overdue_weighted: int = 0
    oldest_days_past_due: int = 0
    disputed: int = 0
    promised: int = 0
    dunning_level: int = 0
    days_late: float | None = None
    blocks: tuple[BlockFact, ...] = ()
    order_due_on: date | None = None
    beyond_horizon: Mapping[int, int] = field(default_factory=dict)
    """Per horizon (days): the part of ``exposure_before`` due after ``as_of`` + horizon."""

    @property
    def exposure_after(self) -> int:
        return self.exposure_before + self.order_amount

    @property
    def available_credit(self) -> int | None:
        return None if self.limit is None else self.limit - self.exposure_before

    @property
    def effective_overdue(self) -> int:
        """Overdue (disputes already left out) less what the customer promised to pay."""
        return max(0, self.overdue - self.promised)

    @property
    def effective_overdue_weighted(self) -> int:
        if self.overdue <= 0:
            return 0
        return self.overdue_weighted * self.effective_overdue // self.overdue


@dataclass(frozen=True, slots=True)
class StepResult:
    step: StepKind
    outcome: StepOutcome
    reason_code: str
    values: Mapping[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step.value,
            "outcome": self.outcome.value,
            "code": self.reason_code,
            "values": dict(self.values),
        }


def _result(step: Step, failed: bool, code: str, **values: Any) -> StepResult:
    outcome = step.on_fail if failed else StepOutcome.PASS
    return StepResult(step.kind, outcome, code if failed else f"{step.kind.value}_ok", values)


def _static_limit(step: Step, facts: CheckFacts) -> StepResult:
    if facts.limit is None:
        failed = step.params["no_limit"] != "pass"
        return _result(step, failed, "no_limit", exposure_after=facts.exposure_after)
    tolerance = step.amount("tolerance")
    failed = facts.exposure_after > facts.limit + tolerance
    return _result(
        step,
        failed,
        "limit_exceeded",
        exposure_after=facts.exposure_after,
        limit=facts.limit,
        tolerance=tolerance,
        excess=max(0, facts.exposure_after - facts.limit),
    )


def _max_order_value(step: Step, facts: CheckFacts) -> StepResult:
    maximum = step.amount("max_amount")
    return _result(
        step,
        facts.order_amount > maximum,
        "order_value_too_high",
        order_amount=facts.order_amount,
        max_amount=maximum,
    )


def _dynamic_limit(step: Step, facts: CheckFacts) -> StepResult:
    horizon = int(step.params["horizon_days"])
    horizon_end = facts.as_of + timedelta(days=horizon)
    counted_before = facts.exposure_before - facts.beyond_horizon.get(horizon, 0)
    order_counts = facts.order_due_on is None or facts.order_due_on <= horizon_end
    counted = counted_before + (facts.order_amount if order_counts else 0)
    if facts.limit is None:
        return _result(step, False, "no_limit", horizon_exposure=counted, horizon_days=horizon)
    tolerance = step.amount("tolerance")
    return _result(
        step,
        counted > facts.limit + tolerance,
        "horizon_limit_exceeded",
        horizon_days=horizon,
        horizon_end=horizon_end.isoformat(),
        horizon_exposure=counted,
        limit=facts.limit,
        order_counted=order_counts,
    )


def _oldest_open_item(step: Step, facts: CheckFacts) -> StepResult:
    max_days = int(step.params["max_days"])
    min_amount = step.amount("min_amount")
    too_old = facts.oldest_days_past_due > max_days
    material = facts.effective_overdue > 0 and facts.effective_overdue >= min_amount
    return _result(
        step,
        too_old and material,
        "open_item_too_old",
        oldest_days_past_due=facts.oldest_days_past_due,
        max_days=max_days,
        overdue=facts.effective_overdue,
        min_amount=min_amount,
        disputed=facts.disputed,
        promised=facts.promised,
    )


def _overdue_share(step: Step, facts: CheckFacts) -> StepResult:
    overdue = facts.effective_overdue
    receivables = max(facts.open_receivables - facts.disputed, 0)
    share = overdue / receivables if receivables > 0 else 0.0
    reference_days = max(int(step.params["reference_days"]), 1)
    weighted = facts.effective_overdue_weighted
    weighted_share = weighted / (receivables * reference_days) if receivables > 0 else 0.0
    max_share = float(step.params["max_share"])
    max_weighted = float(step.params["max_weighted_share"])
    tolerance = step.amount("tolerance")
    too_high = share > max_share or (max_weighted > 0 and weighted_share > max_weighted)
    return _result(
        step,
        too_high and overdue > tolerance,
        "overdue_share_too_high",
        overdue=overdue,
        open_receivables=receivables,
        share=round(share, 4),
        max_share=max_share,
        weighted_share=round(weighted_share, 4),
        max_weighted_share=max_weighted,
        tolerance=tolerance,
        promised=facts.promised,
        disputed=facts.disputed,
    )


def _dunning_level(step: Step, facts: CheckFacts) -> StepResult:
    maximum = int(step.params["max_level"])
    return _result(
        step,
        facts.dunning_level > maximum,
        "dunning_level_too_high",
        dunning_level=facts.dunning_level,
        max_level=maximum,
    )


def _payment_behaviour(step: Step, facts: CheckFacts) -> StepResult:
    maximum = float(step.params["max_days_late"])
    if facts.days_late is None:
        failed = step.params["unknown"] != "pass"
        return _result(step, failed, "payment_behaviour_unknown", max_days_late=maximum)
    return _result(
        step,
        facts.days_late > maximum,
        "paying_too_late",
        days_late=round(facts.days_late, 1),
        max_days_late=maximum,
    )


_STAGE_ORDER = (Stage.QUOTATION, Stage.ORDER, Stage.DELIVERY, Stage.INVOICE)


def _blocks(step: Step, facts: CheckFacts) -> StepResult:
    """A credit block stops every stage; stop-shipping stops delivery onwards (by default), so
    quotations and orders can still be taken while nothing leaves the warehouse."""
    shipping_from = Stage(step.params["stop_shipping_from"])
    applies = [
        block
        for block in facts.blocks
        if block.kind != "stop_shipping"
        or _STAGE_ORDER.index(facts.stage) >= _STAGE_ORDER.index(shipping_from)
    ]
    return _result(
        step,
        bool(applies),
        "customer_blocked",
        blocks=[{"kind": b.kind, "reason": b.reason, "source": b.source} for b in applies],
    )


_EVALUATORS = {
    StepKind.STATIC_LIMIT: _static_limit,
    StepKind.MAX_ORDER_VALUE: _max_order_value,
    StepKind.DYNAMIC_LIMIT: _dynamic_limit,
    StepKind.OLDEST_OPEN_ITEM: _oldest_open_item,
    StepKind.OVERDUE_SHARE: _overdue_share,
    StepKind.DUNNING_LEVEL: _dunning_level,
    StepKind.PAYMENT_BEHAVIOUR: _payment_behaviour,
    StepKind.BLOCKS: _blocks,
}


def evaluate(steps: Sequence[Step], facts: CheckFacts) -> list[StepResult]:
    """Every step that runs at the facts' stage, in order (all of them: a hold lists every
    reason, not just the first)."""
    return [
        _EVALUATORS[step.kind](step, facts)
        for step in steps
        if step.stages is None or facts.stage in step.stages
    ]


def decide(results: Sequence[StepResult]) -> Decision:
    """Any reject → reject; any block → hold; otherwise approve (warnings travel as reasons)."""
    outcomes = {result.outcome for result in results}
    if StepOutcome.REJECT in outcomes:
        return Decision.REJECT
    if StepOutcome.BLOCK in outcomes:
        return Decision.HOLD
    return Decision.APPROVE


@dataclass(frozen=True, slots=True)
class Verdict:
    decision: Decision
    results: tuple[StepResult, ...]
    checked: bool
    """False when the rule set does not check at this stage (approved without steps)."""


def check(rule_set: RuleSet, risk_class: str, facts: CheckFacts) -> Verdict:
    if facts.stage not in rule_set.stages:
        return Verdict(Decision.APPROVE, (), checked=False)
    results = tuple(evaluate(rule_set.steps_for(risk_class), facts))
    return Verdict(decide(results), results, checked=True)
