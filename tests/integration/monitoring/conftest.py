"""Helpers for the monitoring tests: a fixed day, a controllable clock, overdue invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.kit.money import Money
from fengkong.monitoring import service
from fengkong.receivables.models import Invoice
from tests import factories

TODAY = date(2026, 6, 30)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")

ONLY_DPD = """
name: dpd only
sla_hours: {high: 24}
rules:
  - {id: dpd_over_30, kind: threshold, metric: days_past_due, value: 30, severity: high,
     title: "Days past due over 30", cooldown_days: 30, actions: [collection_task]}
"""


def cny(amount: str) -> Money:
    return Money.of(amount, "CNY")


def overdue_invoice(customer_id: int, *, days: int, amount: str = "5000.00") -> Invoice:
    due = TODAY - timedelta(days=days)
    return factories.invoice(
        customer_id=customer_id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=cny(amount),
    )


def use_rules(session: Session, yaml_text: str = ONLY_DPD) -> None:
    service.import_rule_set(session, SYSTEM, yaml_text=yaml_text, activate=True)


class Notifications:
    """Records what monitoring asked the notifications area to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def __call__(self, session: Session, actor: Actor, **fields: Any) -> None:
        self.sent.append(fields)

    def topics(self) -> list[str]:
        return [str(item["topic"]) for item in self.sent]


@pytest.fixture(autouse=True)
def notifications(monkeypatch: pytest.MonkeyPatch) -> Notifications:
    """Monitoring's calls to ``notifications.service.notify``, recorded instead of queued
    (delivery is the notifications area's, tested there)."""
    recorder = Notifications()
    monkeypatch.setattr(service, "notifier", lambda: recorder)
    return recorder
