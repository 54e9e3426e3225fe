"""Roles and the permissions each grants. The single source of the role × permission matrix."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RISK_MANAGER = "risk_manager"
    CREDIT_ANALYST = "credit_analyst"
    SALES = "sales"
    AUDITOR = "auditor"


class Permission(StrEnum):
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    FINANCIALS_READ = "financials:read"
    FINANCIALS_WRITE = "financials:write"
    RECEIVABLES_READ = "receivables:read"
    RECEIVABLES_WRITE = "receivables:write"
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    CONTRACTS_READ = "contracts:read"
    CONTRACTS_WRITE = "contracts:write"
    CREDIT_REPORTS_READ = "credit_reports:read"
    CREDIT_REPORTS_WRITE = "credit_reports:write"
    LEGAL_EVENTS_READ = "legal_events:read"
    LEGAL_EVENTS_WRITE = "legal_events:write"
    EVENTS_READ = "events:read"
    EVENTS_WRITE = "events:write"
    RISK_READ = "risk:read"
    RISK_ASSESS = "risk:assess"
    RISK_WRITE = "risk:write"
    EXPOSURE_READ = "exposure:read"
    EXPOSURE_WRITE = "exposure:write"
    COLLECTIONS_READ = "collections:read"
    COLLECTIONS_WRITE = "collections:write"
    PROMISES_WRITE = "promises:write"
    CREDIT_CHECKS_READ = "credit_checks:read"
    CREDIT_CHECKS_RUN = "credit_checks:run"
    CREDIT_CHECKS_DECIDE = "credit_checks:decide"
    CREDIT_CHECKS_CONFIGURE = "credit_checks:configure"
    LIMITS_READ = "limits:read"
    LIMITS_REQUEST = "limits:request"
    LIMITS_APPROVE = "limits:approve"
    LIMITS_WRITE = "limits:write"
    BLOCKS_WRITE = "blocks:write"
    MODELS_READ = "models:read"
    MODELS_WRITE = "models:write"
    MODELS_APPROVE = "models:approve"
    ALERTS_READ = "alerts:read"
    ALERTS_WRITE = "alerts:write"
    RULES_WRITE = "rules:write"
    REVIEWS_READ = "reviews:read"
    REVIEWS_WRITE = "reviews:write"
    NOTIFICATIONS_MANAGE = "notifications:manage"
    AUDIT_READ = "audit:read"
    # customers:all sees every customer; without it a user sees the customers they own and those
    # of their region (sales). pii:read sees personal data unmasked (every view is audited).
    # pipl:manage answers data subjects' requests (export, erase) under PIPL.
    CUSTOMERS_ALL = "customers:all"
    PII_READ = "pii:read"
    PIPL_MANAGE = "pipl:manage"
    USERS_MANAGE = "users:manage"


_READ = frozenset(
    p
    for p in Permission
    if p.value.endswith(":read") and p not in (Permission.AUDIT_READ, Permission.PII_READ)
) | {Permission.CUSTOMERS_ALL}
_DATA_WRITE = frozenset(
    {
        Permission.CUSTOMERS_WRITE,
        Permission.FINANCIALS_WRITE,
        Permission.RECEIVABLES_WRITE,
        Permission.ORDERS_WRITE,
        Permission.CONTRACTS_WRITE,
        Permission.CREDIT_REPORTS_WRITE,
        Permission.LEGAL_EVENTS_WRITE,
        # events:write posts typed events to the stream (POST /api/v1/events); ERPs use a token
        # of a credit_analyst service user, not sales, whose users must not feed risk signals.
        Permission.EVENTS_WRITE,
        # exposure:write records mitigants, invoice disputes and exchange rates.
        Permission.EXPOSURE_WRITE,
        # collections:write runs dunning, cancels notices and reviews promises to pay;
        # promises:write records and cancels promises to pay (sales may too).
        Permission.COLLECTIONS_WRITE,
        Permission.PROMISES_WRITE,
    }
)

_CREDIT_CHECKS = frozenset({Permission.CREDIT_CHECKS_RUN, Permission.CREDIT_CHECKS_DECIDE})
# limits:request asks for a limit; limits:approve decides requests (the policy's approval tier
# says which roles may decide which request); blocks:write sets and releases credit blocks;
# limits:write manages limit policies.
# alerts:read sees alerts; alerts:write works them (lifecycle, comments, actions, evaluation);
# rules:write manages early-warning rule sets.
_LIMITS = frozenset({Permission.LIMITS_REQUEST, Permission.LIMITS_APPROVE, Permission.BLOCKS_WRITE})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # risk:write scores customers and manages scorecards and grade scales; risk:assess answers
    # the qualitative questionnaire.
    # credit_checks:run asks for an order credit check (ERP tokens); credit_checks:decide releases
    # or rejects held orders; credit_checks:configure manages check rule sets and simulations.
    Role.RISK_MANAGER: _READ
    | _DATA_WRITE
    | _CREDIT_CHECKS
    | _LIMITS
    | {
        Permission.PII_READ,
        Permission.RISK_ASSESS,
        Permission.RISK_WRITE,
        Permission.CREDIT_CHECKS_CONFIGURE,
        Permission.LIMITS_WRITE,
        Permission.MODELS_WRITE,
        Permission.MODELS_APPROVE,
        Permission.ALERTS_WRITE,
        Permission.RULES_WRITE,
        Permission.REVIEWS_WRITE,
    },
    # models:write registers and validates models; models:approve approves, promotes and rolls
    # back (never the model's own author: maker-checker).
    Role.CREDIT_ANALYST: _READ
    | _DATA_WRITE
    | _CREDIT_CHECKS
    | _LIMITS
    | {
        Permission.PII_READ,
        Permission.RISK_ASSESS,
        Permission.MODELS_WRITE,
        Permission.ALERTS_WRITE,
        # reviews:write schedules, starts and completes periodic reviews; notifications:manage
        # (admin only) manages webhooks, dead letters and other users' email preferences.
        Permission.REVIEWS_WRITE,
    },
    Role.SALES: frozenset(
        {
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.RECEIVABLES_READ,
            Permission.CONTRACTS_READ,
            Permission.RISK_READ,
            Permission.EXPOSURE_READ,
            Permission.COLLECTIONS_READ,
            Permission.PROMISES_WRITE,
            Permission.CREDIT_CHECKS_READ,
            Permission.CREDIT_CHECKS_RUN,
            Permission.LIMITS_READ,
            Permission.LIMITS_REQUEST,
            Permission.ALERTS_READ,
        }
    ),
    Role.AUDITOR: _READ | {Permission.AUDIT_READ},
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
