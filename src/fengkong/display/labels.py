"""Display names for enum values. Each is a message id, translated where it is shown."""

from __future__ import annotations

from fengkong.auth.roles import Role
from fengkong.customers.status import CustomerStatus, RelationType
from fengkong.i18n import N_
from fengkong.monitoring.rules import ActionCode
from fengkong.monitoring.status import ActionStatus, AlertStatus

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

# The other party's role, seen from the customer being shown. A link reads "<related> is the
# <type> of <customer>": when the shown customer is the link's customer, the other party has the
# link's role; when it is the related side, the other party has the opposite one.
RELATED_PARTY_ROLE_LABELS: dict[tuple[RelationType, bool], str] = {
    (RelationType.PARENT, True): N_("Parent company"),
    (RelationType.SUBSIDIARY, True): N_("Subsidiary"),
    (RelationType.SAME_LEGAL_REPRESENTATIVE, True): N_("Same legal representative"),
    (RelationType.GUARANTOR, True): N_("Guarantor"),
    (RelationType.PARENT, False): N_("Subsidiary"),
    (RelationType.SUBSIDIARY, False): N_("Parent company"),
    (RelationType.SAME_LEGAL_REPRESENTATIVE, False): N_("Same legal representative"),
    (RelationType.GUARANTOR, False): N_("Guaranteed by this customer"),
}

ALERT_STATUS_LABELS: dict[AlertStatus, str] = {
    AlertStatus.NEW: N_("New"),
    AlertStatus.ACKNOWLEDGED: N_("Acknowledged"),
    AlertStatus.IN_PROGRESS: N_("In progress"),
    AlertStatus.RESOLVED: N_("Resolved"),
    AlertStatus.FALSE_POSITIVE: N_("False positive"),
}

ALERT_ACTION_LABELS: dict[ActionCode, str] = {
    ActionCode.PROPOSE_LIMIT_CUT: N_("Propose a limit cut"),
    ActionCode.CREDIT_BLOCK: N_("Set a credit block"),
    ActionCode.PREPAYMENT_ONLY: N_("Prepayment only"),
    ActionCode.REQUIRE_GUARANTEE: N_("Require a guarantee"),
    ActionCode.COLLECTION_TASK: N_("Open a collection task"),
    ActionCode.EARLY_REVIEW: N_("Schedule an early review"),
}

ACTION_STATUS_LABELS: dict[ActionStatus, str] = {
    ActionStatus.OPEN: N_("Open"),
    ActionStatus.DONE: N_("Done"),
    ActionStatus.CANCELLED: N_("Cancelled"),
}
