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
    RISK_READ = "risk:read"
    RISK_ASSESS = "risk:assess"
    RISK_WRITE = "risk:write"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"


_READ = frozenset(
    p for p in Permission if p.value.endswith(":read") and p is not Permission.AUDIT_READ
)
_DATA_WRITE = frozenset(
    {
        Permission.CUSTOMERS_WRITE,
        Permission.FINANCIALS_WRITE,
        Permission.RECEIVABLES_WRITE,
        Permission.ORDERS_WRITE,
        Permission.CONTRACTS_WRITE,
        Permission.CREDIT_REPORTS_WRITE,
        Permission.LEGAL_EVENTS_WRITE,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    # risk:write scores customers and manages scorecards and grade scales; risk:assess answers
    # the qualitative questionnaire.
    Role.RISK_MANAGER: _READ | _DATA_WRITE | {Permission.RISK_ASSESS, Permission.RISK_WRITE},
    Role.CREDIT_ANALYST: _READ | _DATA_WRITE | {Permission.RISK_ASSESS},
    Role.SALES: frozenset(
        {
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_WRITE,
            Permission.ORDERS_READ,
            Permission.ORDERS_WRITE,
            Permission.RECEIVABLES_READ,
            Permission.CONTRACTS_READ,
            Permission.RISK_READ,
        }
    ),
    Role.AUDITOR: _READ | {Permission.AUDIT_READ},
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]
