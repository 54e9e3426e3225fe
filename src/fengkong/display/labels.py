"""Display names for enum values. Each is a message id, translated where it is shown."""

from __future__ import annotations

from fengkong.auth.roles import Role
from fengkong.customers.status import CustomerStatus
from fengkong.i18n import N_

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: N_("Administrator"),
    Role.RISK_MANAGER: N_("Risk manager"),
    Role.CREDIT_ANALYST: N_("Credit analyst"),
    Role.SALES: N_("Sales"),
    Role.AUDITOR: N_("Auditor"),
}

CUSTOMER_STATUS_LABELS: dict[CustomerStatus, str] = {
    CustomerStatus.PROSPECT: N_("Prospect"),
    CustomerStatus.ACTIVE: N_("Active"),
    CustomerStatus.DORMANT: N_("Dormant"),
}
