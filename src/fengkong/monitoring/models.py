"""Tables of the monitoring area: stored rule sets, each customer's rule states (written only
when a level flips), alerts as cases with their comments and linked actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fengkong.config_versions import ConfigVersion
from fengkong.db import Base
from fengkong.events.spec import OutboxSpec
from fengkong.kit.columns import Timestamped, Versioned, enum_type
from fengkong.kit.time import utcnow
from fengkong.monitoring.rules import ActionCode, Severity
from fengkong.monitoring.status import ActionStatus, AlertStatus

ALERT_RAISED = "alert_raised"
ALERT_UPDATED = "alert_updated"


class RuleSetVersion(ConfigVersion, Base):
    """An early-warning rule set's YAML as imported: every alert names the version that raised
    it."""

    __tablename__ = "rule_set_versions"
    __table_args__ = (UniqueConstraint("version"),)


class RuleState(Base):
    """A rule's level for a customer, written only when it flips (0 → 1 or 1 → 0): ``since`` is
    when it took this level and ``last_values`` what the rule saw then. No row means clear."""

    __tablename__ = "rule_states"
    __table_args__ = (UniqueConstraint("customer_id", "rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column()
    since: Mapped[datetime] = mapped_column()
    last_values: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_evaluated_at: Mapped[datetime] = mapped_column()
    last_alert_at: Mapped[datetime | None] = mapped_column()
    """When this rule last raised an alert for this customer: the cool-down counts from it."""


class Alert(Timestamped, Versioned, Base):
    """A case opened when a rule fired for a customer; people work it to a resolution."""

    __tablename__ = "alerts"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(created=ALERT_RAISED, updated=ALERT_UPDATED)
    __table_args__ = (
        Index(None, "status", "id"),
        Index(None, "customer_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="RESTRICT"))
    rule_id: Mapped[str] = mapped_column(String(64))
    rule_set_version_id: Mapped[int] = mapped_column(
        ForeignKey("rule_set_versions.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(String(16))
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, length=16))
    title: Mapped[str] = mapped_column(String(200))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    recommended_actions: Mapped[list[str]] = mapped_column(JSON)
    status: Mapped[AlertStatus] = mapped_column(
        enum_type(AlertStatus, length=16), default=AlertStatus.NEW
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    condition_cleared_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by: Mapped[str | None] = mapped_column(String(64))
    resolution_note: Mapped[str | None] = mapped_column(Text)


class AlertComment(Base):
    __tablename__ = "alert_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertAttachment(Base):
    """A file attached to an alert: stored under the data directory by its SHA-256 (content
    addressed), checked against it when read back."""

    __tablename__ = "alert_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertAction(Timestamped, Base):
    """An action taken on a customer, from an alert or by hand: a limit cut proposed (a limit
    request), a credit block set, or a task recorded for people to do."""

    __tablename__ = "alert_actions"
    __outbox__: ClassVar[OutboxSpec] = OutboxSpec(
        created="monitoring_action_taken", updated="monitoring_action_updated"
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[ActionCode] = mapped_column(enum_type(ActionCode, length=32))
    status: Mapped[ActionStatus] = mapped_column(
        enum_type(ActionStatus, length=16), default=ActionStatus.OPEN
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    limit_request_id: Mapped[int | None] = mapped_column(
        ForeignKey("limit_requests.id", ondelete="SET NULL")
    )
    credit_block_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_blocks.id", ondelete="SET NULL")
    )
    due_on: Mapped[datetime | None] = mapped_column()
