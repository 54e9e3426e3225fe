"""Check rule sets as versioned records (``fengkong.config_versions``): import YAML (validated),
export, activate, list. Callers own the transaction.

Exactly one version is active; each check names the version that decided it. The shipped
``defaults/check_rules.yaml`` becomes version 1, active, the first time a check runs.
"""

from __future__ import annotations

from importlib.resources import files

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import StoredConfig, VersionedConfigs
from fengkong.credit_checks.models import CheckRuleSetVersion
from fengkong.credit_checks.rules import RuleSet, RuleSetError
from fengkong.errors import NotFound, ValidationFailed


class RuleSetVersionNotFound(NotFound):
    code = "rule_set_version_not_found"


class InvalidRuleSet(ValidationFailed):
    code = "invalid_rule_set"


def shipped_yaml() -> str:
    return files("fengkong.credit_checks").joinpath("defaults/check_rules.yaml").read_text("utf-8")


def _parse(yaml_text: str) -> RuleSet:
    try:
        return RuleSet.from_yaml(yaml_text)
    except RuleSetError as error:
        raise InvalidRuleSet(
            str(error), details=[{"field": "yaml", "message": str(error)}]
        ) from error


rule_sets: VersionedConfigs[CheckRuleSetVersion, RuleSet] = VersionedConfigs(
    model=CheckRuleSetVersion,
    label="check rule set",
    parse_text=_parse,
    name_of=lambda rule_set: rule_set.name,
    shipped_yaml=shipped_yaml,
    not_found=RuleSetVersionNotFound,
    read=Permission.CREDIT_CHECKS_READ,
    write=Permission.CREDIT_CHECKS_CONFIGURE,
)


def ensure_active(session: Session) -> StoredConfig[RuleSet]:
    """The rules checks run with, storing the shipped default on first use: any actor that may
    run a check may cause that first import, as it is the documented default, not a choice."""
    return rule_sets.ensure_active(session, Actor.system("credit_checks"))
