"""Every area's tables, imported in one place so that Alembic and the app see the whole schema."""

from fengkong.audit.models import AuditEntry
from fengkong.auth.models import ApiToken, User
from fengkong.collections.models import (
    DunningNotice,
    DunningNoticeItem,
    InvoiceDunning,
    PromiseToPay,
)
from fengkong.connectors.models import CreditDataPull
from fengkong.contracts.models import Contract
from fengkong.credit_checks.models import (
    CheckRuleSetVersion,
    CreditAccount,
    CreditCheck,
    CreditHold,
)
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import (
    Customer,
    CustomerContact,
    CustomerInteraction,
    RelatedParty,
)
from fengkong.db import Base
from fengkong.demo.models import DemoProfile
from fengkong.events.models import Event
from fengkong.exposure.models import ExposureSnapshot, FxRate, InvoiceDispute, Mitigant
from fengkong.financials.models import FinancialStatement
from fengkong.idempotency.models import IdempotencyKey
from fengkong.imports.models import ImportRun
from fengkong.jobs.models import CustomerStreamPosition, StreamBatch
from fengkong.legal_events.models import LegalEvent
from fengkong.limits.models import (
    CreditBlock,
    CreditLimit,
    LimitPolicyVersion,
    LimitRequest,
    LimitRequestComment,
    LimitRequestDecision,
)
from fengkong.models.models import ModelDecision, ModelDriftCheck, ModelVersion
from fengkong.monitoring.models import (
    Alert,
    AlertAction,
    AlertAttachment,
    AlertComment,
    RuleSetVersion,
    RuleState,
)
from fengkong.notifications.models import (
    Delivery,
    DeliveryAttachment,
    NotificationSubscription,
    WebhookEndpoint,
)
from fengkong.orders.models import Order
from fengkong.portfolio.models import StoredFigures
from fengkong.privacy.models import LegalHold
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.reports.models import ReportSubscription
from fengkong.reviews.models import Review
from fengkong.risk.models import (
    ConsumerPosition,
    CustomerRating,
    GradeScaleVersion,
    QualitativeAssessment,
    RiskScore,
    ScorecardVersion,
    ShadowScore,
)

metadata = Base.metadata

__all__ = [
    "Alert",
    "AlertAction",
    "AlertAttachment",
    "AlertComment",
    "ApiToken",
    "AuditEntry",
    "CheckRuleSetVersion",
    "ConsumerPosition",
    "Contract",
    "CreditAccount",
    "CreditBlock",
    "CreditCheck",
    "CreditDataPull",
    "CreditHold",
    "CreditLimit",
    "CreditReport",
    "Customer",
    "CustomerContact",
    "CustomerInteraction",
    "CustomerRating",
    "CustomerStreamPosition",
    "Delivery",
    "DeliveryAttachment",
    "DemoProfile",
    "DunningNotice",
    "DunningNoticeItem",
    "Event",
    "ExposureSnapshot",
    "FinancialStatement",
    "FxRate",
    "GradeScaleVersion",
    "IdempotencyKey",
    "ImportRun",
    "Invoice",
    "InvoiceDispute",
    "InvoiceDunning",
    "LegalEvent",
    "LegalHold",
    "LimitPolicyVersion",
    "LimitRequest",
    "LimitRequestComment",
    "LimitRequestDecision",
    "Mitigant",
    "ModelDecision",
    "ModelDriftCheck",
    "ModelVersion",
    "NotificationSubscription",
    "Order",
    "Payment",
    "PaymentAllocation",
    "PromiseToPay",
    "QualitativeAssessment",
    "RelatedParty",
    "ReportSubscription",
    "Review",
    "RiskScore",
    "RuleSetVersion",
    "RuleState",
    "ScorecardVersion",
    "ShadowScore",
    "StoredFigures",
    "StreamBatch",
    "User",
    "WebhookEndpoint",
    "metadata",
]
