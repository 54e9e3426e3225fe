"""The versioned configurations the settings pages manage, one entry per kind.

Each entry names the area's ``VersionedConfigs`` store, which holds the read and write
permissions the area's API routes check, so the pages, the menu and the API agree on who may see
and change what. A new kind of configuration is one more entry here; the pages are generic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.config_versions import VersionedConfigs
from fengkong.credit_checks import configs as credit_check_configs
from fengkong.i18n import N_
from fengkong.limits import configs as limit_configs
from fengkong.monitoring import service as monitoring_service
from fengkong.risk import configs as risk_configs
from fengkong.risk.configs import ConfigKind


@dataclass(frozen=True, slots=True)
class SettingsKind:
    slug: str
    """The URL segment: ``/settings/<slug>``."""
    title: str
    description: str
    effect: str
    """What activating a version changes, said on the confirmation."""
    store: VersionedConfigs[Any, Any]
    related_path: str | None = None
    related_label: str | None = None

    @property
    def read(self) -> Permission:
        return self.store.read

    @property
    def write(self) -> Permission:
        return self.store.write

    def readable_by(self, actor: Actor) -> bool:
        return actor.can(self.store.read)

    def writable_by(self, actor: Actor) -> bool:
        return actor.can(self.store.write)


SETTINGS_KINDS: dict[str, SettingsKind] = {
    kind.slug: kind
    for kind in (
        SettingsKind(
            slug="scorecard",
            title=N_("Scorecard"),
            description=N_("The expert scorecard: its factors, bins, points and weights."),
            effect=N_("Scores computed from now on use it; stored scores keep their version."),
            store=risk_configs.versions_of(ConfigKind.SCORECARD),
        ),
        SettingsKind(
            slug="grade-scale",
            title=N_("Grade scale"),
            description=N_("The master scale: score cut-offs, grades, risk levels and PDs."),
            effect=N_("Scores graded from now on use it; stored grades keep their version."),
            store=risk_configs.versions_of(ConfigKind.GRADE_SCALE),
        ),
        SettingsKind(
            slug="limit-policy",
            title=N_("Limit policy"),
            description=N_("How credit limits are recommended and who approves which amount."),
            effect=N_("New limit recommendations and requests use it at once."),
            store=limit_configs.policies,
        ),
        SettingsKind(
            slug="credit-check-rules",
            title=N_("Credit-check rule set"),
            description=N_(
                "The order credit check: stages and rules that approve, hold or reject."
            ),
            effect=N_("Every order checked from now on is decided by it, at once."),
            store=credit_check_configs.rule_sets,
        ),
        SettingsKind(
            slug="early-warning-rules",
            title=N_("Early-warning rule set"),
            description=N_("The rules that raise alerts: conditions, severities and cool-downs."),
            effect=N_("The next evaluation of every customer uses it, at once."),
            store=monitoring_service.rule_sets,
            related_path="/rules",
            related_label=N_("Rules and preview"),
        ),
    )
}

SETTINGS_PERMISSIONS: frozenset[Permission] = frozenset(
    {kind.read for kind in SETTINGS_KINDS.values()} | {Permission.NOTIFICATIONS_MANAGE}
)
"""Any one of these opens the settings pages: reading a configuration, or managing webhooks."""


def readable_kinds(actor: Actor) -> list[SettingsKind]:
    return [kind for kind in SETTINGS_KINDS.values() if kind.readable_by(actor)]
