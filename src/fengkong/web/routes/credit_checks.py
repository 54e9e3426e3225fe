"""Credit holds in the UI: the queue of held orders with the release / partial / prepayment /
reject form, and a credit check's page listing each step's result."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from fengkong.api.deps import DbSession
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.credit_checks import configs, service, simulation
from fengkong.credit_checks.messages import message
from fengkong.credit_checks.models import CreditCheck, CreditHold
from fengkong.credit_checks.status import (
    REJECT_REASONS,
    RELEASE_REASONS,
    Decision,
    DecisionReason,
    HoldStatus,
    ReleaseKind,
    StepOutcome,
)
from fengkong.errors import DomainError
from fengkong.i18n import N_, translations
from fengkong.kit.money import Money, MoneyError
from fengkong.reports.exports import (
    MAX_EXPORT_ROWS,
    ColumnKind,
    ExportColumn,
    ExportTable,
    local_time,
)
from fengkong.web import sessions
from fengkong.web.deps import app_settings, request_locale, requires
from fengkong.web.exports import export_format, export_response
from fengkong.web.templating import render

router = APIRouter(include_in_schema=False)

MAX_FLASH_LENGTH = 400

DECISION_LABELS: dict[Decision, str] = {
    Decision.APPROVE: N_("Approved"),
    Decision.HOLD: N_("Held"),
    Decision.REJECT: N_("Rejected"),
}
OUTCOME_LABELS: dict[StepOutcome, str] = {
    StepOutcome.PASS: N_("Pass"),
    StepOutcome.WARN: N_("Warning"),
    StepOutcome.BLOCK: N_("Block"),
    StepOutcome.REJECT: N_("Reject"),
}
HOLD_STATUS_LABELS: dict[HoldStatus, str] = {
    HoldStatus.OPEN: N_("Open"),
    HoldStatus.RELEASED: N_("Released"),
    HoldStatus.REJECTED: N_("Rejected"),
    HoldStatus.SUPERSEDED: N_("Superseded by a new check"),
}
RELEASE_KIND_LABELS: dict[ReleaseKind, str] = {
    ReleaseKind.FULL: N_("Release in full"),
    ReleaseKind.PARTIAL: N_("Release partially (approved amount)"),
    ReleaseKind.PREPAYMENT: N_("Release on prepayment (prepaid amount)"),
}
STEP_LABELS: dict[str, str] = {
    "static_limit": N_("Credit limit"),
    "max_order_value": N_("Maximum order value"),
    "dynamic_limit": N_("Limit within horizon"),
    "oldest_open_item": N_("Oldest open item"),
    "overdue_share": N_("Overdue share"),
    "dunning_level": N_("Dunning level"),
    "payment_behaviour": N_("Payment behaviour"),
    "blocks": N_("Blocks"),
}
_RELEASED = N_("Hold %(id)s released.")
_REJECTED = N_("Hold %(id)s rejected.")
_BAD_AMOUNT = N_("Enter the amount as a number, e.g. 50000.00.")

LABELS: dict[str, Any] = {
    "decisions": DECISION_LABELS,
    "outcomes": OUTCOME_LABELS,
    "hold_statuses": HOLD_STATUS_LABELS,
    "release_kinds": RELEASE_KIND_LABELS,
    "steps": STEP_LABELS,
    "release_reasons": [r for r in DecisionReason if r in RELEASE_REASONS],
    "reject_reasons": [r for r in DecisionReason if r in REJECT_REASONS],
}


def _money(minor: int | None, currency: str) -> Money | None:
    return None if minor is None else Money.from_minor_units(minor, currency)


@dataclass(frozen=True, slots=True)
class HoldRow:
    hold: CreditHold
    amount: Money
    approved: Money | None
    prepayment: Money | None
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class StepRow:
    step: str
    outcome: StepOutcome
    message: str


def _reason_texts(check: CreditCheck, locale: Any, *, failing_only: bool) -> list[StepRow]:
    rows = []
    for reason in check.reasons:
        outcome = StepOutcome(reason["outcome"])
        if failing_only and outcome is StepOutcome.PASS:
            continue
        text = message(reason["code"], reason.get("values") or {}, check.currency).render(locale)
        rows.append(StepRow(reason["step"], outcome, text))
    return rows


@router.get("/credit-holds")
def holds_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_READ)],
    status: HoldStatus = HoldStatus.OPEN,
) -> Response:
    locale = request_locale(request)
    rows = []
    for hold in service.list_holds(session, actor, status=status):
        check = service.get_check(session, actor, check_id=hold.credit_check_id).check
        rows.append(
            HoldRow(
                hold=hold,
                amount=Money.from_minor_units(hold.amount_minor, hold.currency),
                approved=_money(hold.approved_minor, hold.currency),
                prepayment=_money(hold.prepayment_minor, hold.currency),
                reasons=[row.message for row in _reason_texts(check, locale, failing_only=True)],
            )
        )
    return render(
        request,
        "credit_checks/holds.html",
        {
            "rows": rows,
            "status": status,
            "statuses": list(HoldStatus),
            "labels": LABELS,
            "can_decide": actor.can(Permission.CREDIT_CHECKS_DECIDE),
            "can_configure": actor.can(Permission.CREDIT_CHECKS_CONFIGURE),
            "export_query": str(request.query_params),
        },
    )


@router.get("/credit-holds/export.{fmt}")
def export_holds(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_READ)],
    fmt: str,
    status: HoldStatus = HoldStatus.OPEN,
) -> Response:
    """The holds of the chosen status, as the queue lists them, as Excel or CSV."""
    chosen = export_format(fmt)
    gettext = translations(request_locale(request)).gettext
    zone = app_settings(request).zone
    table: ExportTable[CreditHold] = ExportTable(
        N_("Credit holds"),
        [
            ExportColumn(N_("Hold"), attrgetter("id"), ColumnKind.NUMBER),
            ExportColumn(N_("Customer"), attrgetter("customer_id"), ColumnKind.NUMBER),
            ExportColumn(N_("Order"), attrgetter("order_number")),
            ExportColumn(N_("Currency"), attrgetter("currency")),
            ExportColumn(
                N_("Amount"),
                lambda h: Money.from_minor_units(h.amount_minor, h.currency).amount,
                ColumnKind.MONEY,
            ),
            ExportColumn(N_("Status"), lambda h: gettext(HOLD_STATUS_LABELS[h.status])),
            ExportColumn(N_("Requested by"), attrgetter("requested_by")),
            ExportColumn(
                N_("Opened"), lambda h: local_time(h.opened_at, zone), ColumnKind.DATETIME
            ),
            ExportColumn(N_("Decided by"), attrgetter("decided_by")),
            ExportColumn(N_("Comment"), attrgetter("comment")),
        ],
    )
    rows = service.list_holds(session, actor, status=status, limit=MAX_EXPORT_ROWS)
    return export_response(
        request, session, actor, entity_type="credit_holds", table=table, rows=rows, fmt=chosen
    )


@router.get("/credit-checks/{check_id:int}")
def check_page(
    request: Request,
    check_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_READ)],
) -> Response:
    view = service.get_check(session, actor, check_id=check_id)
    check = view.check
    return render(
        request,
        "credit_checks/detail.html",
        {
            "check": check,
            "hold": view.hold,
            "rule_set_version": view.rule_set_version,
            "amount": Money.from_minor_units(check.amount_minor, check.currency),
            "exposure_before": Money.from_minor_units(check.exposure_before_minor, check.currency),
            "exposure_after": Money.from_minor_units(check.exposure_after_minor, check.currency),
            "limit": _money(check.limit_minor, check.currency),
            "available": _money(check.available_credit_minor, check.currency),
            "steps": _reason_texts(check, request_locale(request), failing_only=False),
            "labels": LABELS,
        },
    )


def _flash_error(request: Request, error: DomainError) -> None:
    sessions.flash(request, "error", error.message[:MAX_FLASH_LENGTH])


def _amount(text: str, currency: str) -> Money | None:
    cleaned = text.strip().replace(",", "")
    if not cleaned:
        return None
    return Money(Decimal(cleaned), currency)


@router.post("/credit-holds/{hold_id:int}/release")
def release(
    request: Request,
    hold_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_DECIDE)],
    kind: Annotated[ReleaseKind, Form()] = ReleaseKind.FULL,
    reason_code: Annotated[DecisionReason, Form()] = DecisionReason.OTHER,
    comment: Annotated[str, Form(max_length=2000)] = "",
    amount: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    gettext = translations(request_locale(request)).gettext
    hold = service.get_hold(session, actor, hold_id=hold_id)
    try:
        money = _amount(amount, hold.currency)
    except (ArithmeticError, MoneyError, ValueError):
        sessions.flash(request, "error", gettext(_BAD_AMOUNT))
        return RedirectResponse("/credit-holds", status_code=303)
    try:
        with session.begin_nested():
            service.release_hold(
                session,
                actor,
                hold_id=hold_id,
                kind=kind,
                reason=reason_code,
                comment=comment,
                approved_amount=money if kind is ReleaseKind.PARTIAL else None,
                prepayment=money if kind is ReleaseKind.PREPAYMENT else None,
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        sessions.flash(request, "success", gettext(_RELEASED) % {"id": hold_id})
    return RedirectResponse("/credit-holds", status_code=303)


@router.post("/credit-holds/{hold_id:int}/reject")
def reject(
    request: Request,
    hold_id: int,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_DECIDE)],
    reject_reason: Annotated[DecisionReason, Form()] = DecisionReason.OTHER,
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    gettext = translations(request_locale(request)).gettext
    try:
        with session.begin_nested():
            service.reject_hold(
                session, actor, hold_id=hold_id, reason=reject_reason, comment=comment
            )
    except DomainError as error:
        _flash_error(request, error)
    else:
        sessions.flash(request, "success", gettext(_REJECTED) % {"id": hold_id})
    return RedirectResponse("/credit-holds", status_code=303)


# --- policy simulation ----------------------------------------------------------------------

_SIMULATION_FAILED = N_("The simulation could not run: %(problem)s")


def _simulation_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    result: simulation.SimulationResult | None = None,
    problem: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    versions = configs.rule_sets.list_versions(session, actor)
    return render(
        request,
        "credit_checks/simulation.html",
        {
            "versions": versions,
            "result": result,
            "problem": problem,
            "form": form or {"version": "", "yaml": "", "months": "12"},
            "money": lambda minor, currency: Money.from_minor_units(minor, currency),
        },
    )


@router.get("/credit-checks/simulation")
def simulation_form(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_CONFIGURE)],
) -> Response:
    return _simulation_page(request, session, actor)


@router.post("/credit-checks/simulation")
def simulate(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, requires(Permission.CREDIT_CHECKS_CONFIGURE)],
    version: Annotated[str, Form(max_length=10)] = "",
    yaml: Annotated[str, Form(max_length=200_000)] = "",
    months: Annotated[int, Form(ge=1, le=36)] = 12,
) -> Response:
    """Replay the last months under a stored draft or pasted YAML, next to the active rules."""
    form = {"version": version, "yaml": yaml, "months": str(months)}
    gettext = translations(request_locale(request)).gettext
    try:
        result = simulation.simulate(
            session,
            actor,
            version=int(version) if version.strip() and not yaml.strip() else None,
            yaml_text=yaml if yaml.strip() else None,
            months=months,
        )
    except DomainError as error:
        problem = gettext(_SIMULATION_FAILED) % {"problem": error.message[:MAX_FLASH_LENGTH]}
        return _simulation_page(request, session, actor, problem=problem, form=form)
    return _simulation_page(request, session, actor, result=result, form=form)
