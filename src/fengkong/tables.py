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

metadata = Base.metadata

__all__ = [
    "ApiToken",
    "AuditEntry",
    "Contract",
    "CreditDataPull",
    "CreditReport",
    "Customer",
    "CustomerContact",
    "DemoProfile",
    "Event",
    "FinancialStatement",
    "IdempotencyKey",
    "ImportRun",
    "Invoice",
    "LegalEvent",
    "Order",
    "Payment",
    "PaymentAllocation",
    "RelatedParty",
    "User",
    "metadata",
]
