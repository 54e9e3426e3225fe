"""Helpers for the customer tests: early-warning alerts as monitoring would raise them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.monitoring import service as monitoring_service
from fengkong.monitoring.models import Alert
from fengkong.monitoring.rules import Severity
from fengkong.monitoring.status import AlertStatus

SYSTEM = Actor.system("test")
RULES = """
name: customer tests
sla_hours: {high: 24}
rules:
  - {id: dpd_over_30, kind: threshold, metric: days_past_due, value: 30, severity: high,
     title: "Days past due over 30", cooldown_days: 30, actions: [collection_task]}
"""


def raise_alert(
    session: Session, customer: Customer, severity: Severity, status: AlertStatus
) -> Alert:
    """An alert row as monitoring would raise it, without running the rules."""
    rule_set = monitoring_service.get_rule_set(session, SYSTEM)
    alert = Alert(
        customer_id=customer.id,
        rule_id="dpd_over_30",
        rule_set_version_id=rule_set.id,
        kind="threshold",
        severity=severity,
        title="Days past due over 30",
        values={},
        recommended_actions=[],
        status=status,
        due_at=datetime(2026, 7, 1, tzinfo=UTC),
    )
    session.add(alert)
    session.flush()
    return alert


def use_rules(session: Session) -> None:
    """Activate a one-rule set, for alerts to name a rule set version."""
    monitoring_service.import_rule_set(session, SYSTEM, yaml_text=RULES, activate=True)
