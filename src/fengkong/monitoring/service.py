"""Early warning: evaluate the active rule set over customers, record level flips, raise alerts
on 0 → 1 flips (respecting each rule's cool-down), and work alerts as cases with comments and
linked actions. Callers own the transaction; nothing commits.

Only flips write: re-evaluating unchanged data reads the stored states, finds every level as it
was, and writes nothing (no state row, no alert, no audit entry). A 1 → 0 flip records the
clear on the state and notes "condition cleared" on the customer's open alert of that rule; it
never resolves the alert — that stays for a person.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from fengkong import hot_statements, recorders
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.models import User
from fengkong.auth.roles import Permission, Role
from fengkong.config_versions import StoredConfig, VersionedConfigs
from fengkong.customers import service as customers_service
from fengkong.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from fengkong.i18n import N_, Message
from fengkong.kit.id_sets import IdsParameter, id_sets
from fengkong.kit.jsonable import to_jsonable
from fengkong.kit.money import Money
from fengkong.ledger_rows import LedgerRows
from fengkong.limits import service as limits_service
from fengkong.limits.status import BlockKind, RequestKind
from fengkong.monitoring import facts as facts_loader
from fengkong.monitoring.models import (
    Alert,
    AlertAction,
    AlertAttachment,
    AlertComment,
    RuleSetVersion,
    RuleState,
)
from fengkong.monitoring.rules import (
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    ActionCode,
    Rule,
    RuleError,
    RuleSet,
    Severity,
    due_hours,
    explain,
    level_check,
    parse_rule_set,
    parse_single_rule,
)
from fengkong.monitoring.status import (
    OPEN_STATUSES,
    ActionStatus,
    AlertStatus,
    can_move,
)
from fengkong.records import field_error
from fengkong.reviews import service as reviews_service
from fengkong.risk.service import Rating
from fengkong.settings import get_settings

_ALERT_RAISED = N_("[%(severity)s] %(title)s")
_ALERT_OVERDUE = N_("[overdue, %(severity)s] %(title)s")
_ALERT_BODY = N_("%(title)s (customer %(customer_id)s, severity %(severity)s)")
_RAISED_TOPIC = "alert.raised"

PREVIEW_LISTED = 50
MAX_NOTE = 5_000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class RuleSetVersionNotFound(NotFound):
    code = "rule_set_version_not_found"


class InvalidRuleSet(ValidationFailed):
    code = "invalid_rule_set"


class AlertNotFound(NotFound):
    code = "alert_not_found"


class AlertTransitionRefused(Conflict):
    code = "alert_transition_refused"


class InvalidAlertInput(ValidationFailed):
    code = "invalid_alert_input"


class AttachmentNotFound(NotFound):
    code = "alert_attachment_not_found"


class AttachmentDamaged(Conflict):
    """The stored file no longer matches the SHA-256 recorded at upload."""

    code = "alert_attachment_damaged"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


# --- rule sets --------------------------------------------------------------------------------


def shipped_yaml() -> str:
    return files("fengkong.monitoring").joinpath("defaults/rules.yaml").read_text("utf-8")


def _parse(yaml_text: str) -> RuleSet:
    try:
        return parse_rule_set(yaml_text)
    except RuleError as error:
        raise InvalidRuleSet(
            str(error), details=[{"field": "yaml", "message": str(error)}]
        ) from error


rule_sets: VersionedConfigs[RuleSetVersion, RuleSet] = VersionedConfigs(
    model=RuleSetVersion,
    label="rule set",
    parse_text=_parse,
    name_of=lambda rule_set: rule_set.name,
    shipped_yaml=shipped_yaml,
    not_found=RuleSetVersionNotFound,
    read=Permission.ALERTS_READ,
    write=Permission.RULES_WRITE,
)


def list_rule_sets(session: Session, actor: Actor) -> list[RuleSetVersion]:
    return rule_sets.list_versions(session, actor)


def get_rule_set(session: Session, actor: Actor, *, version: int | None = None) -> RuleSetVersion:
    return rule_sets.get_version(session, actor, version=version)


def import_rule_set(
    session: Session,
    actor: Actor,
    *,
    yaml_text: str,
    note: str | None = None,
    activate: bool = False,
) -> RuleSetVersion:
    return rule_sets.import_version(
        session, actor, yaml_text=yaml_text, note=note, activate=activate
    )


def activate_rule_set(session: Session, actor: Actor, *, version: int) -> RuleSetVersion:
    return rule_sets.activate_version(session, actor, version=version)


def active_rules(session: Session) -> RuleSet:
    """The active rule set for reading (the shipped one when none is stored); never writes."""
    return rule_sets.active(session).config


# --- evaluation -------------------------------------------------------------------------------


@dataclass(slots=True)
class EvaluationSummary:
    """What an evaluation did. ``raised`` alert ids; ``suppressed`` fired flips inside a
    cool-down (recorded on the state, no alert); ``cleared`` 1 → 0 flips."""

    as_of: date
    rule_set_version: int
    customers: int = 0
    fired: int = 0
    raised: list[int] = field(default_factory=list)
    suppressed: int = 0
    cleared: int = 0


@dataclass(frozen=True, slots=True)
class PreviewResult:
    rule_id: str
    as_of: date
    evaluated: int
    fired: int
    customer_ids: tuple[int, ...]


def _states(session: Session, customer_ids: Sequence[int]) -> dict[tuple[int, str], Any]:
    """The customers' stored rule states as named tuples (``id``, ``level``, ``last_alert_at``):
    most never flip in an evaluation, and only those that do are loaded as objects (``_flip``).
    A statement built once a process, run through ``hot_statements`` (a stream job reads a few
    states a customer)."""
    states = hot_statements.records_by_ids(
        session, _states_statement, customer_ids, {}, chunk=facts_loader.CHUNK
    )
    return {(s.customer_id, s.rule_id): s for s in states}


@cache
def _states_statement(ids: IdsParameter) -> Select[int, str, int, int, datetime | None]:
    return select(
        RuleState.customer_id,
        RuleState.rule_id,
        RuleState.id,
        RuleState.level,
        RuleState.last_alert_at,
    ).where(ids.among(RuleState.customer_id))


def _flip(session: Session, flips: dict[int, dict[str, Any]]) -> None:
    """Write the new level and what the rule saw to each flipped state (state id → values),
    through the session, so that each change is audited."""
    for part in id_sets(session, sorted(flips), chunk=facts_loader.CHUNK):
        for state in session.scalars(select(RuleState).where(part.among(RuleState.id))):
            for attribute, value in flips[state.id].items():
                setattr(state, attribute, value)


def _open_alerts(session: Session, customer_id: int, rule_id: str) -> list[Alert]:
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.customer_id == customer_id)
            .where(Alert.rule_id == rule_id)
            .where(Alert.status.in_(list(OPEN_STATUSES)))
        )
    )


def _risk_manager_ids(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(User.id)
            .where(User.role.in_([Role.RISK_MANAGER]))
            .where(User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def _notifications(name: str) -> Callable[..., Any] | None:
    """``notifications.service.<name>`` when that area provides it (looked up at call time, so
    monitoring works before and without it)."""
    try:
        module = importlib.import_module("fengkong.notifications.service")
    except ModuleNotFoundError:
        return None
    found = getattr(module, name, None)
    return found if callable(found) else None


def notifier() -> Callable[..., Any] | None:
    """``notifications.service.notify``, when that area provides it."""
    return _notifications("notify")


def _notify(
    session: Session,
    actor: Actor,
    *,
    topic: str,
    alert: Alert | _RaisedAlert,
    subject: str,
    recipients: Sequence[int] | None,
    now: datetime,
    reaching: Any = None,
) -> bool:
    """Queue a notification in the caller's transaction; returns whether one was queued (the
    alert's own record stands either way). ``reaching``: the notifications area's audience of
    ``topic`` and ``recipients``, when the caller looked it up once for several alerts."""
    notify = notifier()
    if notify is None:
        return False
    severity = Message(SEVERITY_LABELS[alert.severity])
    notify(
        session,
        actor,
        topic=topic,
        subject=Message(subject, {"severity": severity, "title": alert.title}),
        body=Message(
            _ALERT_BODY,
            {"title": alert.title, "customer_id": alert.customer_id, "severity": severity},
        ),
        recipients=recipients,
        payload={
            "alert_id": alert.id,
            "customer_id": alert.customer_id,
            "rule_id": alert.rule_id,
            "severity": alert.severity.value,
            "values": alert.values,
            "due_at": alert.due_at.isoformat(),
        },
        dedupe_key=f"{topic}:{alert.id}",
        now=now,
        reaching=reaching,
    )
    return True


def _new_alert(
    *,
    rule: Rule,
    rule_set: StoredConfig[RuleSet],
    customer_id: int,
    values: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """A new alert's columns."""
    return {
        "customer_id": customer_id,
        "rule_id": rule.id,
        "rule_set_version_id": rule_set.row_id,
        "kind": rule.kind.value,
        "severity": rule.severity,
        "title": rule.title,
        "values": values,
        "recommended_actions": [action.value for action in rule.actions],
        "status": AlertStatus.NEW,
        "raised_at": now,
        "due_at": now + timedelta(hours=due_hours(rule_set.config, rule.severity)),
    }


@dataclass(frozen=True, slots=True)
class _RaisedAlert:
    """What the notification of a new alert says, without the ORM object (building one per
    alert cost as much as inserting it)."""

    id: int
    customer_id: int
    rule_id: str
    severity: Severity
    title: str
    values: dict[str, Any]
    due_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> _RaisedAlert:
        return cls(**{name: row[name] for name in cls.__slots__})


def _raise_alerts(
    session: Session, actor: Actor, alerts: Sequence[dict[str, Any]], now: datetime
) -> list[_RaisedAlert]:
    """Insert the evaluation's new alerts at once and notify the risk managers of each.

    Set-based because a first evaluation raises a few alerts a customer: one insert, one look-up
    of the risk managers and of the topic's audience (their subscriptions, the webhooks) per
    evaluation rather than per alert. The insert is Core (``recorders.insert_many_created``,
    audited and announced as a flush would): through the ORM this flush was about a quarter of
    the stream consumer's time."""
    if not alerts:
        return []
    rows = recorders.insert_many_created(session, Alert, alerts)
    recorders.record_created(session, [(Alert, row) for row in rows])
    raised = [_RaisedAlert.of(row) for row in rows]
    if notifier() is None:
        return raised
    recipients = _risk_manager_ids(session)
    lookup = _notifications("audience")
    reaching = (
        lookup(session, topic=_RAISED_TOPIC, recipients=recipients) if lookup is not None else None
    )
    for alert in raised:
        _notify(
            session,
            actor,
            topic=_RAISED_TOPIC,
            alert=alert,
            subject=_ALERT_RAISED,
            recipients=recipients,
            now=now,
            reaching=reaching,
        )
    return raised


def evaluate_customers(
    session: Session,
    actor: Actor,
    *,
    customer_ids: Sequence[int] | None,
    as_of: date,
    now: datetime | None = None,
    rows: LedgerRows | None = None,
    ratings: Mapping[int, Rating] | None = None,
) -> EvaluationSummary:
    """Evaluate the active rule set for ``customer_ids`` (None = every customer not archived)
    as of ``as_of``; record flips and raise alerts on 0 → 1 outside the rule's cool-down.
    Idempotent: unchanged data writes nothing. ``rows``: a stream job's shared read of the
    customers' ledgers, which their facts are then taken from; ``ratings``: their ratings as
    the job's scoring left them (``ScoringSummary.ratings``), their grades then not read."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    moment = _now(now)
    stored = rule_sets.ensure_active(session, actor)
    profiles = facts_loader.customer_profiles_of(session, customer_ids, rows)
    ids = sorted(profiles)
    summary = EvaluationSummary(as_of=as_of, rule_set_version=stored.version, customers=len(ids))
    if not ids:
        return summary
    facts = facts_loader.load_facts(
        session,
        ids,
        as_of=as_of,
        every=customer_ids is None,
        profiles=profiles,
        shared=rows,
        ratings=ratings,
    )
    states = _states(session, ids)
    new_states: list[dict[str, Any]] = []
    flips: dict[int, dict[str, Any]] = {}
    alerts: list[dict[str, Any]] = []
    checks = [(rule, level_check(rule)) for rule in stored.config.rules]
    for cid in ids:
        customer_facts = facts[cid]
        for rule, check in checks:
            now_level = check(customer_facts)
            state = states.get((cid, rule.id))
            previous = state.level if state is not None else 0
            if now_level == previous:
                continue
            values = to_jsonable(explain(rule, customer_facts))
            last_alert_at = state.last_alert_at if state is not None else None
            raising = False
            if now_level == 1:
                summary.fired += 1
                if last_alert_at is not None and moment < last_alert_at + timedelta(
                    days=rule.cooldown_days
                ):
                    summary.suppressed += 1
                else:
                    last_alert_at, raising = moment, True
            else:
                summary.cleared += 1
                for alert in _open_alerts(session, cid, rule.id):
                    if alert.condition_cleared_at is None:
                        alert.condition_cleared_at = moment
            flipped = {
                "level": now_level,
                "since": moment,
                "last_values": values,
                "last_evaluated_at": moment,
                "last_alert_at": last_alert_at,
            }
            if state is None:
                new_states.append({"customer_id": cid, "rule_id": rule.id, **flipped})
            else:
                flips[state.id] = flipped
            if raising:
                alerts.append(
                    _new_alert(
                        rule=rule, rule_set=stored, customer_id=cid, values=values, now=moment
                    )
                )
    _flip(session, flips)
    # First evaluations create most rows (a few states and alerts a customer): Core inserts,
    # recorded as a flush would record them, states before alerts.
    created = recorders.insert_many_created(session, RuleState, new_states)
    recorders.record_created(session, [(RuleState, row) for row in created])
    raised = _raise_alerts(session, actor, alerts, moment)
    summary.raised.extend(alert.id for alert in raised)
    session.flush()
    return summary


def preview_rule(session: Session, actor: Actor, *, rule_yaml: str, as_of: date) -> PreviewResult:
    """How many customers (and which, the first 50) ``rule_yaml`` would fire for on ``as_of``.
    Reads only."""
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    try:
        rule = parse_single_rule(rule_yaml)
    except RuleError as error:
        raise InvalidRuleSet(
            str(error), details=[{"field": "rule_yaml", "message": str(error)}]
        ) from error
    profiles = facts_loader.customer_profiles_of(session, None)
    ids = sorted(profiles)
    facts = facts_loader.load_facts(session, ids, as_of=as_of, every=True, profiles=profiles)
    check = level_check(rule)
    fired = [cid for cid in ids if check(facts[cid]) == 1]
    return PreviewResult(rule.id, as_of, len(ids), len(fired), tuple(fired[:PREVIEW_LISTED]))


# --- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertFilter:
    status: AlertStatus | None = None
    severity: Severity | None = None
    rule_id: str | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    overdue: bool = False
    open_only: bool = False


@dataclass(frozen=True, slots=True)
class AlertDetail:
    alert: Alert
    comments: list[AlertComment]
    actions: list[AlertAction]
    attachments: list[AlertAttachment] = field(default_factory=list)


def list_alerts(
    session: Session,
    actor: Actor,
    *,
    criteria: AlertFilter | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[Alert]:
    """Alerts matching ``criteria``, newest first."""
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    found = criteria or AlertFilter()
    statement = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if found.status is not None:
        statement = statement.where(Alert.status == found.status)
    if found.open_only:
        statement = statement.where(Alert.status.in_(list(OPEN_STATUSES)))
    if found.severity is not None:
        statement = statement.where(Alert.severity == found.severity)
    if found.rule_id:
        statement = statement.where(Alert.rule_id == found.rule_id)
    if found.assignee_id is not None:
        statement = statement.where(Alert.assignee_id == found.assignee_id)
    if found.customer_id is not None:
        statement = statement.where(Alert.customer_id == found.customer_id)
    if found.overdue:
        statement = statement.where(Alert.status.in_(list(OPEN_STATUSES))).where(
            Alert.due_at < _now(now)
        )
    return list(session.scalars(statement))


def _alert(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(
            f"no alert {alert_id}", details=[field_error("alert_id", alert_id, "unknown alert")]
        )
    return alert


def get_alert(session: Session, actor: Actor, *, alert_id: int) -> AlertDetail:
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    alert = _alert(session, alert_id)
    comments = list(
        session.scalars(
            select(AlertComment).where(AlertComment.alert_id == alert_id).order_by(AlertComment.id)
        )
    )
    actions = list(
        session.scalars(
            select(AlertAction).where(AlertAction.alert_id == alert_id).order_by(AlertAction.id)
        )
    )
    attachments = list(
        session.scalars(
            select(AlertAttachment)
            .where(AlertAttachment.alert_id == alert_id)
            .order_by(AlertAttachment.id)
        )
    )
    return AlertDetail(alert, comments, actions, attachments)


def _note(text: str | None, field_name: str, *, required: bool) -> str | None:
    value = (text or "").strip()
    if required and not value:
        raise InvalidAlertInput(
            f"{field_name} is required", details=[field_error(field_name, text, "required")]
        )
    if len(value) > MAX_NOTE:
        raise InvalidAlertInput(
            f"keep {field_name} under {MAX_NOTE} characters",
            details=[field_error(field_name, len(value), "too long")],
        )
    return value or None


def _move(
    session: Session,
    actor: Actor,
    alert_id: int,
    target: AlertStatus,
    *,
    note: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Alert:
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    alert = _alert(session, alert_id)
    if expected_version is not None and alert.version != expected_version:
        raise PreconditionFailed(
            f"alert {alert_id} changed meanwhile",
            details=[field_error("expected_version", expected_version, "stale")],
        )
    if not can_move(alert.status, target):
        raise AlertTransitionRefused(
            f"an alert {alert.status.value} cannot become {target.value}",
            details=[field_error("status", alert.status.value, f"cannot become {target.value}")],
        )
    closing = target in (AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE)
    text = _note(note, "note", required=closing)
    alert.status = target
    if closing:
        alert.resolution_note = text
        alert.closed_at = _now(now)
        alert.closed_by = actor.username
    if (
        alert.assignee_id is None
        and actor.user_id is not None
        and target is not AlertStatus.ACKNOWLEDGED
    ):
        alert.assignee_id = actor.user_id
    session.flush()
    return alert


def acknowledge(
    session: Session,
    actor: Actor,
    *,
    alert_id: int,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Alert:
    return _move(
        session,
        actor,
        alert_id,
        AlertStatus.ACKNOWLEDGED,
        expected_version=expected_version,
        now=now,
    )


def start(
    session: Session,
    actor: Actor,
    *,
    alert_id: int,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Alert:
    return _move(
        session,
        actor,
        alert_id,
        AlertStatus.IN_PROGRESS,
        expected_version=expected_version,
        now=now,
    )


def resolve(
    session: Session, actor: Actor, *, alert_id: int, note: str, now: datetime | None = None
) -> Alert:
    return _move(session, actor, alert_id, AlertStatus.RESOLVED, note=note, now=now)


def mark_false_positive(
    session: Session, actor: Actor, *, alert_id: int, note: str, now: datetime | None = None
) -> Alert:
    return _move(session, actor, alert_id, AlertStatus.FALSE_POSITIVE, note=note, now=now)


def assign(session: Session, actor: Actor, *, alert_id: int, assignee_id: int | None) -> Alert:
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    alert = _alert(session, alert_id)
    if alert.status not in OPEN_STATUSES:
        raise AlertTransitionRefused(
            "a closed alert is not reassigned",
            details=[field_error("status", alert.status.value, "closed")],
        )
    if assignee_id is not None:
        user = session.get(User, assignee_id)
        if user is None or not user.is_active:
            raise InvalidAlertInput(
                f"no active user {assignee_id}",
                details=[field_error("assignee_id", assignee_id, "unknown user")],
            )
    alert.assignee_id = assignee_id
    session.flush()
    return alert


def comment(session: Session, actor: Actor, *, alert_id: int, body: str) -> AlertComment:
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    _alert(session, alert_id)
    text = _note(body, "body", required=True)
    row = AlertComment(alert_id=alert_id, author=actor.username, author_id=actor.user_id, body=text)
    session.add(row)
    session.flush()
    return row


_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")


def _safe_filename(name: str) -> str:
    """The base name as the uploader gave it, without path parts or control characters."""
    base = _UNSAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return base[:255] or "attachment"


def attachment_path(directory: Path, sha256: str) -> Path:
    """Where a file is kept: content addressed under ``<data_dir>/alert-attachments``."""
    return directory / "alert-attachments" / sha256[:2] / sha256


def add_attachment(
    session: Session,
    actor: Actor,
    *,
    alert_id: int,
    filename: str,
    content: bytes,
    directory: Path,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
) -> AlertAttachment:
    """Keep ``content`` with the alert: the file goes under ``directory`` by its SHA-256 (the same
    content is stored once), the row names it. A file written for a transaction that then rolls
    back stays on disk unreferenced (harmless: content addressed)."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    _alert(session, alert_id)
    if not content:
        raise InvalidAlertInput("the file is empty", details=[field_error("file", 0, "empty")])
    if len(content) > max_bytes:
        raise InvalidAlertInput(
            f"attachments are limited to {max_bytes:,} bytes",
            details=[field_error("file", len(content), f"larger than {max_bytes} bytes")],
        )
    digest = hashlib.sha256(content).hexdigest()
    target = attachment_path(directory, digest)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(content)
        partial.replace(target)
    row = AlertAttachment(
        alert_id=alert_id,
        filename=_safe_filename(filename),
        size_bytes=len(content),
        sha256=digest,
        uploaded_by=actor.username,
        uploaded_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    return row


def read_attachment(
    session: Session, actor: Actor, *, attachment_id: int, directory: Path
) -> tuple[AlertAttachment, bytes]:
    """The attachment and its content, checked against the recorded SHA-256."""
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    row = session.get(AlertAttachment, attachment_id)
    if row is None:
        raise AttachmentNotFound(
            f"no attachment {attachment_id}",
            details=[field_error("attachment_id", attachment_id, "unknown attachment")],
        )
    target = attachment_path(directory, row.sha256)
    try:
        content = target.read_bytes()
    except FileNotFoundError:
        raise AttachmentDamaged(
            f"the file of attachment {attachment_id} is missing",
            details=[field_error("attachment_id", attachment_id, "file missing")],
        ) from None
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise AttachmentDamaged(
            f"the file of attachment {attachment_id} does not match its SHA-256",
            details=[field_error("attachment_id", attachment_id, "checksum mismatch")],
        )
    return row, content


BULK_ACTIONS = ("acknowledge", "start", "resolve", "false_positive")


@dataclass(slots=True)
class BulkResult:
    done: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def bulk_update(
    session: Session,
    actor: Actor,
    *,
    alert_ids: Sequence[int],
    action: str,
    note: str | None = None,
    now: datetime | None = None,
) -> BulkResult:
    """Apply one lifecycle action to many alerts; each refusal is reported, the rest done."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    targets = {
        "acknowledge": AlertStatus.ACKNOWLEDGED,
        "start": AlertStatus.IN_PROGRESS,
        "resolve": AlertStatus.RESOLVED,
        "false_positive": AlertStatus.FALSE_POSITIVE,
    }
    target = targets.get(action)
    if target is None:
        raise InvalidAlertInput(
            f"action is one of {', '.join(BULK_ACTIONS)}",
            details=[field_error("action", action, "unknown action")],
        )
    if len(alert_ids) > 500:
        raise InvalidAlertInput(
            "at most 500 alerts at a time",
            details=[field_error("alert_ids", len(alert_ids), "too many")],
        )
    result = BulkResult()
    for alert_id in dict.fromkeys(alert_ids):
        try:
            with session.begin_nested():
                _move(session, actor, alert_id, target, note=note, now=now)
            result.done.append(alert_id)
        except (AlertNotFound, AlertTransitionRefused, InvalidAlertInput) as error:
            result.refused[alert_id] = error.message
    return result


# --- actions ----------------------------------------------------------------------------------

TASK_DAYS: dict[ActionCode, int] = {
    ActionCode.REQUIRE_GUARANTEE: 14,
    ActionCode.PREPAYMENT_ONLY: 1,
    ActionCode.COLLECTION_TASK: 7,
    ActionCode.EARLY_REVIEW: 30,
}


def take_action(
    session: Session,
    actor: Actor,
    *,
    code: ActionCode,
    alert_id: int | None = None,
    customer_id: int | None = None,
    note: str | None = None,
    amount: Money | None = None,
    now: datetime | None = None,
) -> AlertAction:
    """Act on a customer, from an alert or by hand. ``propose_limit_cut`` files a decrease
    request into the limit workflow (``amount`` is the proposed limit); ``credit_block`` sets a
    credit block; the others are recorded as tasks with a due date."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    moment = _now(now)
    if alert_id is not None:
        alert = _alert(session, alert_id)
        if customer_id is not None and customer_id != alert.customer_id:
            raise InvalidAlertInput(
                "the customer is not the alert's",
                details=[field_error("customer_id", customer_id, "not the alert's customer")],
            )
        customer_id = alert.customer_id
    if customer_id is None:
        raise InvalidAlertInput(
            "name an alert or a customer",
            details=[field_error("customer_id", None, "required without alert_id")],
        )
    customers_service.get_customer(session, actor, customer_id)  # a 404, not a broken link
    text = _note(
        note, "note", required=code in (ActionCode.PROPOSE_LIMIT_CUT, ActionCode.CREDIT_BLOCK)
    )
    reason = text or ""
    if alert_id is not None:
        reason = f"alert {alert_id}: {reason}"
    action = AlertAction(
        alert_id=alert_id,
        customer_id=customer_id,
        code=code,
        note=text,
        created_by=actor.username,
        status=ActionStatus.OPEN,
    )
    if code is ActionCode.PROPOSE_LIMIT_CUT:
        if amount is None:
            raise InvalidAlertInput(
                "a limit cut needs the proposed amount",
                details=[field_error("amount", None, "required for propose_limit_cut")],
            )
        request = limits_service.request_limit(
            session,
            actor,
            customer_id=customer_id,
            kind=RequestKind.DECREASE,
            amount=amount,
            justification=reason,
            today=moment.date(),
        )
        action.limit_request_id = request.id
    elif code is ActionCode.CREDIT_BLOCK:
        block = limits_service.set_block(
            session,
            actor,
            customer_id=customer_id,
            kind=BlockKind.CREDIT_BLOCK,
            reason=reason[:500],
        )
        action.credit_block_id = block.id
        action.status = ActionStatus.DONE
    elif code is ActionCode.EARLY_REVIEW:
        review = reviews_service.bring_review_forward(
            session,
            actor,
            customer_id=customer_id,
            due_on=moment.date() + timedelta(days=TASK_DAYS[code]),
            reason=reason or "early review",
        )
        action.due_on = datetime.combine(review.due_on, moment.timetz())
        action.note = f"{text}\nreview {review.id}" if text else f"review {review.id}"
    else:
        action.due_on = moment + timedelta(days=TASK_DAYS[code])
    session.add(action)
    session.flush()
    return action


class ActionNotFound(NotFound):
    code = "alert_action_not_found"


def close_action(
    session: Session,
    actor: Actor,
    *,
    action_id: int,
    status: ActionStatus,
    note: str | None = None,
) -> AlertAction:
    """Mark an open task done or cancelled (a note is appended to the action's)."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    action = session.get(AlertAction, action_id)
    if action is None:
        raise ActionNotFound(
            f"no action {action_id}",
            details=[field_error("action_id", action_id, "unknown action")],
        )
    if status is ActionStatus.OPEN:
        raise InvalidAlertInput(
            "an action closes as done or cancelled",
            details=[field_error("status", status.value, "done or cancelled")],
        )
    if action.status is not ActionStatus.OPEN:
        raise AlertTransitionRefused(
            f"action {action_id} is already {action.status.value}",
            details=[field_error("status", action.status.value, "already closed")],
        )
    text = _note(note, "note", required=False)
    action.status = status
    if text:
        action.note = f"{action.note}\n{text}" if action.note else text
    session.flush()
    return action


def list_actions(
    session: Session,
    actor: Actor,
    *,
    customer_id: int | None = None,
    status: ActionStatus | None = None,
    limit: int = 500,
) -> list[AlertAction]:
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    statement = select(AlertAction).order_by(AlertAction.id.desc()).limit(limit)
    if customer_id is not None:
        statement = statement.where(AlertAction.customer_id == customer_id)
    if status is not None:
        statement = statement.where(AlertAction.status == status)
    return list(session.scalars(statement))


# --- escalation -------------------------------------------------------------------------------


@dataclass(slots=True)
class EscalationSummary:
    escalated: list[int] = field(default_factory=list)
    notified: bool = False


def escalate_overdue_alerts(
    session: Session, actor: Actor, *, now: datetime | None = None
) -> EscalationSummary:
    """Mark open alerts past their due time as escalated (once each) and notify the risk
    managers through the notifications area when it is there."""
    auth_service.ensure_permission(actor, Permission.ALERTS_WRITE)
    moment = _now(now)
    overdue = list(
        session.scalars(
            select(Alert)
            .where(Alert.status.in_(list(OPEN_STATUSES)))
            .where(Alert.escalated_at.is_(None))
            .where(Alert.due_at < moment)
            .order_by(Alert.id)
        )
    )
    summary = EscalationSummary()
    managers = _risk_manager_ids(session) if overdue else []
    for alert in overdue:
        alert.escalated_at = moment
        summary.escalated.append(alert.id)
    session.flush()
    for alert in overdue:
        summary.notified = (
            _notify(
                session,
                actor,
                topic="alert.escalated",
                alert=alert,
                subject=_ALERT_OVERDUE,
                recipients=managers,
                now=moment,
            )
            or summary.notified
        )
    return summary


def open_alert_count(session: Session) -> int:
    return int(
        session.scalar(select(func.count(Alert.id)).where(Alert.status.in_(list(OPEN_STATUSES))))
        or 0
    )


@dataclass(frozen=True, slots=True)
class OpenAlerts:
    count: int
    worst: Severity


def open_alerts_by_customer(
    session: Session, actor: Actor, customer_ids: Collection[int]
) -> dict[int, OpenAlerts]:
    """How many open alerts each of a page of customers has, and the worst severity among them
    (customers with none are left out): one grouped query for a list's page."""
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    if not customer_ids:
        return {}
    rows = session.execute(
        select(Alert.customer_id, Alert.severity, func.count(Alert.id))
        .where(Alert.customer_id.in_(list(customer_ids)))
        .where(Alert.status.in_(list(OPEN_STATUSES)))
        .group_by(Alert.customer_id, Alert.severity)
    ).all()
    found: dict[int, OpenAlerts] = {}
    for customer_id, severity, count in rows:
        held = found.get(customer_id)
        worst = severity
        if held is not None and SEVERITY_ORDER[held.worst] > SEVERITY_ORDER[severity]:
            worst = held.worst
        found[customer_id] = OpenAlerts((held.count if held else 0) + count, worst)
    return found


# --- the portfolio's alerts (the dashboard) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class WeekOfAlerts:
    starts_on: date
    """The Monday the week starts, where the business is."""
    by_severity: dict[Severity, int]

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass(frozen=True, slots=True)
class AlertSummary:
    open_by_severity: dict[Severity, int]
    """Open alerts (new, acknowledged, in progress), least severe first."""
    overdue: int
    """Open alerts past their due time."""
    weeks: tuple[WeekOfAlerts, ...]
    """Alerts raised per week, oldest week first, the current (partial) week last."""

    @property
    def open(self) -> int:
        return sum(self.open_by_severity.values())


def _week_starts(today: date, weeks: int) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks)]


def alert_summary(
    session: Session, actor: Actor, *, today: date, weeks: int = 12, now: datetime | None = None
) -> AlertSummary:
    """Open alerts by severity (and how many are overdue), and the alerts raised in each of the
    last ``weeks`` weeks (Monday to Sunday where the business is) by severity: two aggregate
    queries, the weeks bucketed in SQL by comparing ``raised_at`` with their edges."""
    auth_service.ensure_permission(actor, Permission.ALERTS_READ)
    moment = _now(now)
    severities = sorted(Severity, key=SEVERITY_ORDER.__getitem__)
    open_by_severity = dict.fromkeys(severities, 0)
    overdue = 0
    for severity, count, late in session.execute(
        select(Alert.severity, func.count(), func.sum(case((Alert.due_at < moment, 1), else_=0)))
        .where(Alert.status.in_(list(OPEN_STATUSES)))
        .group_by(Alert.severity)
    ):
        open_by_severity[Severity(severity)] = count
        overdue += int(late or 0)
    zone = get_settings().zone
    starts = _week_starts(today, weeks)
    edges = [datetime.combine(day, time(), zone) for day in starts]
    week = case(
        *((Alert.raised_at >= edge, index) for index, edge in reversed(list(enumerate(edges)))),
        else_=-1,
    )
    raised = [dict.fromkeys(severities, 0) for _ in starts]
    for index, severity, count in session.execute(
        select(week, Alert.severity, func.count())
        .where(Alert.raised_at >= edges[0])
        .group_by(week, Alert.severity)
    ):
        raised[index][Severity(severity)] = count
    return AlertSummary(
        open_by_severity=open_by_severity,
        overdue=overdue,
        weeks=tuple(
            WeekOfAlerts(starts_on=day, by_severity=counts)
            for day, counts in zip(starts, raised, strict=True)
        ),
    )
