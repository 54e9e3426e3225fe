"""Limit policies as versioned records: import YAML (validated), export, activate, list — the same
life as scorecards (``fengkong.risk.configs``). Callers own the transaction; nothing commits.

The shipped ``defaults/limit_policy.yaml`` becomes version 1, active, the first time a write
needs a stored policy (``ensure_active``). Reads on the hot path (``active_policy``) fall back to
the shipped policy without writing. Parsed policies are cached by the text's SHA-256.
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
from fengkong.errors import NotFound, ValidationFailed
from fengkong.kit.time import utcnow
from fengkong.limits.models import LimitPolicyVersion
from fengkong.limits.policy import LimitPolicy, PolicyError
from fengkong.limits.status import PolicyStatus


class PolicyVersionNotFound(NotFound):
    code = "limit_policy_version_not_found"


class InvalidPolicy(ValidationFailed):
    """The YAML does not describe a valid limit policy; the message says where."""

    code = "invalid_limit_policy"


@dataclass(frozen=True, slots=True)
class ActivePolicy:
    """The policy in use and the stored version naming it (``None``: the shipped one, not yet
    stored)."""

    version_id: int | None
    version: int | None
    policy: LimitPolicy


def shipped_yaml() -> str:
    return files("fengkong.limits").joinpath("defaults/limit_policy.yaml").read_text("utf-8")


@lru_cache(maxsize=32)
def _parsed(sha256: str, yaml_text: str) -> LimitPolicy:
    return LimitPolicy.from_yaml(yaml_text)


def parse(yaml_text: str) -> LimitPolicy:
    """The validated policy, or ``InvalidPolicy`` naming the place and field."""
    digest = hashlib.sha256(yaml_text.encode()).hexdigest()
    try:
        policy = _parsed(digest, yaml_text)
    except PolicyError as error:
        detail = {"field": "yaml", "message": str(error)}
        raise InvalidPolicy(str(error), details=[detail]) from error
    _by_digest[digest] = policy
    return policy


def list_versions(session: Session, actor: Actor) -> list[LimitPolicyVersion]:
    """Every stored version, newest first."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    statement = select(LimitPolicyVersion).order_by(LimitPolicyVersion.version.desc())
    return list(session.scalars(statement))


def get_version(
    session: Session, actor: Actor, *, version: int | None = None
) -> LimitPolicyVersion:
    """Version ``version``, or the active one when ``None``."""
    auth_service.ensure_permission(actor, Permission.LIMITS_READ)
    if version is None:
        row = _active_row(session)
        if row is None:
            raise PolicyVersionNotFound("no limit policy is active yet")
        return row
    found = session.scalars(
        select(LimitPolicyVersion).where(LimitPolicyVersion.version == version)
    ).one_or_none()
    if found is None:
        raise PolicyVersionNotFound(
            f"no limit policy version {version}",
            details=[{"field": "version", "value": version, "message": "unknown version"}],
        )
    return found


def import_version(
    session: Session,
    actor: Actor,
    *,
    yaml_text: str,
    note: str | None = None,
    activate: bool = False,
) -> LimitPolicyVersion:
    """Validate and store ``yaml_text`` as the next version (a draft unless ``activate``).
    Text identical to a stored version stores nothing and returns that version."""
    auth_service.ensure_permission(actor, Permission.LIMITS_WRITE)
    policy = parse(yaml_text)
    digest = hashlib.sha256(yaml_text.encode()).hexdigest()
    row = session.scalars(
        select(LimitPolicyVersion)
        .where(LimitPolicyVersion.sha256 == digest)
        .order_by(LimitPolicyVersion.version.desc())
        .limit(1)
    ).one_or_none()
    if row is None:
        latest = session.scalar(select(func.max(LimitPolicyVersion.version))) or 0
        row = LimitPolicyVersion(
            name=policy.name,
            version=latest + 1,
            yaml_text=yaml_text,
            sha256=digest,
            status=PolicyStatus.DRAFT,
            created_by=actor.username,
            note=note,
        )
        session.add(row)
        session.flush()
    if activate:
        return activate_version(session, actor, version=row.version)
    return row


def activate_version(session: Session, actor: Actor, *, version: int) -> LimitPolicyVersion:
    """Make ``version`` the policy new recommendations, requests and block rules use; the
    previously active one is retired. Limits and requests keep naming their version."""
    auth_service.ensure_permission(actor, Permission.LIMITS_WRITE)
    row = get_version(session, actor, version=version)
    if row.status is PolicyStatus.ACTIVE:
        return row
    for active in session.scalars(
        select(LimitPolicyVersion).where(LimitPolicyVersion.status == PolicyStatus.ACTIVE)
    ):
        active.status = PolicyStatus.RETIRED
    session.flush()
    row.status = PolicyStatus.ACTIVE
    row.activated_at = utcnow()
    session.flush()
    return row


def _active_row(session: Session) -> LimitPolicyVersion | None:
    return session.scalars(
        select(LimitPolicyVersion)
        .where(LimitPolicyVersion.status == PolicyStatus.ACTIVE)
        .order_by(LimitPolicyVersion.version.desc())
        .limit(1)
    ).one_or_none()


def active_policy(session: Session) -> ActivePolicy:
    """The active policy for reading; the shipped one when none is stored. Never writes."""
    found = session.execute(
        select(LimitPolicyVersion.id, LimitPolicyVersion.version, LimitPolicyVersion.sha256)
        .where(LimitPolicyVersion.status == PolicyStatus.ACTIVE)
        .order_by(LimitPolicyVersion.version.desc())
        .limit(1)
    ).one_or_none()
    if found is None:
        return ActivePolicy(None, None, parse(shipped_yaml()))
    policy = _cached(found.sha256)
    if policy is None:
        text = session.scalar(
            select(LimitPolicyVersion.yaml_text).where(LimitPolicyVersion.id == found.id)
        )
        policy = parse(text or "")
    return ActivePolicy(found.id, found.version, policy)


def _cached(sha256: str) -> LimitPolicy | None:
    """A policy parsed before from text with this digest, without reading the text again."""
    return _by_digest.get(sha256)


_by_digest: dict[str, LimitPolicy] = {}


def ensure_active(session: Session, actor: Actor) -> ActivePolicy:
    """The active policy as a stored version, storing the shipped one as version 1 on first use
    (with the system's rights: storing the default is not the caller's policy change)."""
    row = _active_row(session)
    if row is None:
        if session.scalar(select(LimitPolicyVersion.id).limit(1)) is not None:
            raise PolicyVersionNotFound(
                "no limit policy is active; activate one of the stored versions"
            )
        row = import_version(
            session,
            Actor.system(actor.username),
            yaml_text=shipped_yaml(),
            note="shipped default",
            activate=True,
        )
    return ActivePolicy(row.id, row.version, parse(row.yaml_text))
