"""Check rule sets as versioned records: import YAML (validated), export, activate, list — the
same life as scorecards (``fengkong.risk.configs``). Callers own the transaction.

Exactly one version is active; each check names the version that decided it. The shipped
``defaults/check_rules.yaml`` becomes version 1, active, the first time a check runs. Parsed rule
sets are cached by the text's SHA-256, so the hot path parses YAML once per process.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.credit_checks.models import CheckRuleSetVersion
from fengkong.credit_checks.rules import RuleSet, RuleSetError
from fengkong.credit_checks.status import RuleSetStatus
from fengkong.errors import NotFound, ValidationFailed
from fengkong.kit.time import utcnow


class RuleSetVersionNotFound(NotFound):
    code = "rule_set_version_not_found"


class InvalidRuleSet(ValidationFailed):
    code = "invalid_rule_set"


@dataclass(frozen=True, slots=True)
class ActiveRuleSet:
    row_id: int
    version: int
    rule_set: RuleSet


def shipped_yaml() -> str:
    return files("fengkong.credit_checks").joinpath("defaults/check_rules.yaml").read_text("utf-8")


@lru_cache(maxsize=32)
def _parsed(sha256: str, yaml_text: str) -> RuleSet:
    return RuleSet.from_yaml(yaml_text)


def parse(yaml_text: str) -> RuleSet:
    """The validated rule set, or ``InvalidRuleSet`` naming the class, step and field."""
    try:
        return _parsed(hashlib.sha256(yaml_text.encode()).hexdigest(), yaml_text)
    except RuleSetError as error:
        raise InvalidRuleSet(
            str(error), details=[{"field": "yaml", "message": str(error)}]
        ) from error


def list_versions(session: Session, actor: Actor) -> list[CheckRuleSetVersion]:
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    statement = select(CheckRuleSetVersion).order_by(CheckRuleSetVersion.version.desc())
    return list(session.scalars(statement))


def find_version(session: Session, version: int) -> CheckRuleSetVersion | None:
    return session.scalars(
        select(CheckRuleSetVersion).where(CheckRuleSetVersion.version == version)
    ).one_or_none()


def get_version(
    session: Session, actor: Actor, *, version: int | None = None
) -> CheckRuleSetVersion:
    """Version ``version``, or the active one when ``None``."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_READ)
    row = _active_row(session) if version is None else find_version(session, version)
    if row is None:
        which = "no check rule set is active yet" if version is None else f"version {version}"
        raise RuleSetVersionNotFound(f"no check rule set: {which}")
    return row


def import_version(
    session: Session,
    actor: Actor,
    *,
    yaml_text: str,
    note: str | None = None,
    activate: bool = False,
) -> CheckRuleSetVersion:
    """Validate and store ``yaml_text`` as the next version (a draft unless ``activate``);
    identical text returns the version already stored."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_CONFIGURE)
    rule_set = parse(yaml_text)
    digest = hashlib.sha256(yaml_text.encode()).hexdigest()
    row = session.scalars(
        select(CheckRuleSetVersion).where(CheckRuleSetVersion.sha256 == digest).limit(1)
    ).first()
    if row is None:
        latest = session.scalar(select(func.max(CheckRuleSetVersion.version))) or 0
        row = CheckRuleSetVersion(
            name=rule_set.name,
            version=latest + 1,
            yaml_text=yaml_text,
            sha256=digest,
            status=RuleSetStatus.DRAFT,
            created_by=actor.username,
            note=note,
        )
        session.add(row)
        session.flush()
    if activate:
        return activate_version(session, actor, version=row.version)
    return row


def activate_version(session: Session, actor: Actor, *, version: int) -> CheckRuleSetVersion:
    """Make ``version`` the rules new checks use; the active one is retired."""
    auth_service.ensure_permission(actor, Permission.CREDIT_CHECKS_CONFIGURE)
    row = get_version(session, actor, version=version)
    if row.status is RuleSetStatus.ACTIVE:
        return row
    active = select(CheckRuleSetVersion).where(CheckRuleSetVersion.status == RuleSetStatus.ACTIVE)
    for current in session.scalars(active):
        current.status = RuleSetStatus.RETIRED
    row.status = RuleSetStatus.ACTIVE
    row.activated_at = utcnow()
    session.flush()
    return row


def _active_row(session: Session) -> CheckRuleSetVersion | None:
    return session.scalars(
        select(CheckRuleSetVersion).where(CheckRuleSetVersion.status == RuleSetStatus.ACTIVE)
    ).first()


def ensure_active(session: Session) -> ActiveRuleSet:
    """The rules checks run with, storing the shipped default on first use. Any actor that may
    run a check may cause that first import: it is the documented default, not a choice.

    Reads the active version's id and digest only; the YAML is read and parsed once per process
    and digest (the check's hot path)."""
    found = session.execute(
        select(CheckRuleSetVersion.id, CheckRuleSetVersion.version, CheckRuleSetVersion.sha256)
        .where(CheckRuleSetVersion.status == RuleSetStatus.ACTIVE)
        .limit(1)
    ).first()
    if found is not None:
        row_id, version, digest = found
        cached = _by_digest.get(digest)
        if cached is None:
            text = session.scalar(
                select(CheckRuleSetVersion.yaml_text).where(CheckRuleSetVersion.id == row_id)
            )
            cached = _by_digest[digest] = parse(text or "")
        return ActiveRuleSet(row_id=row_id, version=version, rule_set=cached)
    if session.scalar(select(CheckRuleSetVersion.id).limit(1)) is not None:
        raise RuleSetVersionNotFound(
            "no check rule set is active; activate one of the stored versions"
        )
    row = import_version(
        session,
        Actor.system("credit_checks"),
        yaml_text=shipped_yaml(),
        note="shipped default",
        activate=True,
    )
    return ActiveRuleSet(row_id=row.id, version=row.version, rule_set=parse(row.yaml_text))


_by_digest: dict[str, RuleSet] = {}
