"""The main navigation. A page appears in the menu only for actors allowed to open it.

A later feature adds its entry to ``NAV_ITEMS`` with the permission its route requires, so the menu
and the route's ``WebPermission`` say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fengkong.auth.actor import Actor
from fengkong.auth.roles import Permission
from fengkong.i18n import N_
from fengkong.imports.kinds import KINDS
from fengkong.web.settings_kinds import SETTINGS_PERMISSIONS


@dataclass(frozen=True, slots=True)
class NavItem:
    label: str
    path: str
    permission: Permission | frozenset[Permission] | None
    """What the page needs; a set: any one of them (the import page opens for each kind's
    writers). ``None``: any signed-in user."""
    description: str

    def opens_for(self, actor: Actor) -> bool:
        if self.permission is None:
            return True
        if isinstance(self.permission, Permission):
            return actor.can(self.permission)
        return any(actor.can(permission) for permission in self.permission)

    def is_current(self, path: str) -> bool:
        if self.path == "/":
            return path == "/"
        return path == self.path or path.startswith(self.path + "/")


NAV_ITEMS: tuple[NavItem, ...] = (
    NavItem(N_("Home"), "/", None, N_("Your start page.")),
    NavItem(
        N_("Customers"),
        "/customers",
        Permission.CUSTOMERS_READ,
        N_("Search customers by name or USCC, filter them and open a customer's profile."),
    ),
    NavItem(
        N_("Alerts"),
        "/alerts",
        Permission.ALERTS_READ,
        N_("Early-warning alerts: work each case, act on the customer, preview rules."),
    ),
    NavItem(
        N_("Approvals"),
        "/approvals",
        Permission.LIMITS_APPROVE,
        N_("Approve or reject credit-limit requests waiting for your role."),
    ),
    NavItem(
        N_("Credit holds"),
        "/credit-holds",
        Permission.CREDIT_CHECKS_READ,
        N_("Release held orders fully, partially or on prepayment, or reject them."),
    ),
    NavItem(
        N_("Credit blocks"),
        "/blocks",
        Permission.LIMITS_READ,
        N_("See customers on credit block or stop shipping and release blocks."),
    ),
    NavItem(
        N_("Collections"),
        "/collections",
        Permission.COLLECTIONS_READ,
        N_("Work the overdue customers, riskiest first; run dunning and record promises to pay."),
    ),
    NavItem(
        N_("Reviews"),
        "/reviews",
        Permission.REVIEWS_READ,
        N_("Periodic credit reviews by grade: start them, tick the checklist, record the outcome."),
    ),
    NavItem(
        N_("Import"),
        "/imports",
        frozenset(kind.write_permission for kind in KINDS.values()),
        N_("Load customers, statements, invoices and other records from CSV or Excel files."),
    ),
    NavItem(
        N_("Data quality"),
        "/data-quality",
        Permission.CUSTOMERS_READ,
        N_("See which customer files are incomplete, stale or unverified, worst first."),
    ),
    NavItem(
        N_("Models"),
        "/models",
        Permission.MODELS_READ,
        N_("Scoring models with their versions, validation reports, approval and champion."),
    ),
    NavItem(
        N_("Settings"),
        "/settings",
        SETTINGS_PERMISSIONS,
        N_("Scorecards, grade scales, limit policies and rule sets by version; webhooks."),
    ),
)


def visible_items(actor: Actor | None, items: Sequence[NavItem] = NAV_ITEMS) -> list[NavItem]:
    """The entries ``actor`` may open; nobody signed in sees none."""
    if actor is None:
        return []
    return [item for item in items if item.opens_for(actor)]
