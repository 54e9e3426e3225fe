"""Limit policies as versioned records (``fengkong.config_versions``): import YAML (validated),
export, activate, list. Callers own the transaction; nothing commits.

The shipped ``defaults/limit_policy.yaml`` becomes version 1, active, the first time a write
needs a stored policy (``ensure_active``). Reads on the hot path (``active_policy``) fall back to
the shipped policy without writing.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import ActiveConfig, StoredConfig, VersionedConfigs
from fengkong.errors import NotFound, ValidationFailed
from fengkong.limits.models import LimitPolicyVersion
from fengkong.limits.policy import LimitPolicy, PolicyError


class PolicyVersionNotFound(NotFound):
    code = "limit_policy_version_not_found"


class InvalidPolicy(ValidationFailed):
    """The YAML does not describe a valid limit policy; the message says where."""

    code = "invalid_limit_policy"


ActivePolicy = ActiveConfig[LimitPolicy]


@cache
def shipped_yaml() -> str:
    """Read once per process: without a stored policy every credit check falls back to it."""
    return files("fengkong.limits").joinpath("defaults/limit_policy.yaml").read_text("utf-8")


def _parse(yaml_text: str) -> LimitPolicy:
    try:
        return LimitPolicy.from_yaml(yaml_text)
    except PolicyError as error:
        detail = {"field": "yaml", "message": str(error)}
        raise InvalidPolicy(str(error), details=[detail]) from error


policies: VersionedConfigs[LimitPolicyVersion, LimitPolicy] = VersionedConfigs(
    model=LimitPolicyVersion,
    label="limit policy",
    parse_text=_parse,
    name_of=lambda policy: policy.name,
    shipped_yaml=shipped_yaml,
    not_found=PolicyVersionNotFound,
    read=Permission.LIMITS_READ,
    write=Permission.LIMITS_WRITE,
)


def active_policy(session: Session) -> ActivePolicy:
    """The active policy for reading; the shipped one when none is stored. Never writes."""
    return policies.active(session)


def ensure_active(session: Session, actor: Actor) -> StoredConfig[LimitPolicy]:
    return policies.ensure_active(session, actor)
