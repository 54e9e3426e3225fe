"""Every area's tables, imported in one place so that Alembic and the app see the whole schema."""

from fengkong.audit.models import AuditEntry
from fengkong.auth.models import ApiToken, User
from fengkong.connectors.models import CreditDataPull
from fengkong.contracts.models import Contract
from fengkong.credit_reports.models import CreditReport
from fengkong.customers.models import Customer, CustomerContact, RelatedParty
from fengkong.db import Base
from fengkong.demo.models import DemoProfile
from fengkong.events.models import Event
from fengkong.financials.models import FinancialStatement
from fengkong.idempotency.models import IdempotencyKey
from fengkong.imports.models import ImportRun
from fengkong.legal_events.models import LegalEvent
from fengkong.orders.models import Order
from fengkong.receivables.models import Invoice, Payment, PaymentAllocation
from fengkong.risk.models import (
    ConsumerPosition,
    CustomerRating,
    GradeScaleVersion,
    QualitativeAssessment,
    RiskScore,
    ScorecardVersion,
)

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEntry",
    "ConsumerPosition",
    "Contract",
    "CreditDataPull",
    "CreditReport",
    "Customer",
    "CustomerContact",
    "CustomerRating",
    "DemoProfile",
    "Event",
    "FinancialStatement",
    "GradeScaleVersion",
    "IdempotencyKey",
    "ImportRun",
    "Invoice",
    "LegalEvent",
    "Order",
    "Payment",
    "PaymentAllocation",
    "QualitativeAssessment",
    "RelatedParty",
    "RiskScore",
    "ScorecardVersion",
    "User",
    "metadata",
]
