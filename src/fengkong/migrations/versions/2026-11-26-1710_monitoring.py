"""Monitoring: rule sets, rule states, alerts as cases, actions.

``rule_set_versions`` stores early-warning rule sets (YAML, one active; the shipped set is
stored as version 1 on first evaluation, not here). ``rule_states`` keeps each customer's level
per rule, written only when it flips; ``alerts`` are the cases those flips open, with
``alert_comments``, ``alert_attachments`` (files stored under the data directory by SHA-256)
and ``alert_actions`` (limit cuts, blocks and recorded tasks).

Revision ID: 0009_monitoring
Revises: 0008_model_registry
Create Date: 2026-11-26 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0009_monitoring"
down_revision: str | None = "0008_model_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rule_set_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("yaml_text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "active",
                "retired",
                name="configstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_rule_set_versions_version")),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("rule_set_version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "low",
                "medium",
                "high",
                "critical",
                name="severity",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("recommended_actions", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "acknowledged",
                "in_progress",
                "resolved",
                "false_positive",
                name="alertstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("raised_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("condition_cleared_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_alerts_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_alerts_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["rule_set_version_id"],
            ["rule_set_versions.id"],
            name=op.f("fk_alerts_rule_set_version_id_rule_set_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_customer_id_rule_id"), "alerts", ["customer_id", "rule_id"], unique=False
    )
    op.create_index(op.f("ix_alerts_status_id"), "alerts", ["status", "id"], unique=False)
    op.create_table(
        "rule_states",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("since", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_values", sa.JSON(), nullable=False),
        sa.Column("last_evaluated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_alert_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_rule_states_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_states")),
        sa.UniqueConstraint(
            "customer_id", "rule_id", name=op.f("uq_rule_states_customer_id_rule_id")
        ),
    )
    op.create_table(
        "alert_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "code",
            sa.Enum(
                "propose_limit_cut",
                "credit_block",
                "prepayment_only",
                "require_guarantee",
                "collection_task",
                "early_review",
                name="actioncode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "done",
                "cancelled",
                name="actionstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("limit_request_id", sa.Integer(), nullable=True),
        sa.Column("credit_block_id", sa.Integer(), nullable=True),
        sa.Column("due_on", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_actions_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["credit_block_id"],
            ["credit_blocks.id"],
            name=op.f("fk_alert_actions_credit_block_id_credit_blocks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_alert_actions_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["limit_request_id"],
            ["limit_requests.id"],
            name=op.f("fk_alert_actions_limit_request_id_limit_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_actions")),
    )
    op.create_index(op.f("ix_alert_actions_alert_id"), "alert_actions", ["alert_id"], unique=False)
    op.create_index(
        op.f("ix_alert_actions_customer_id"), "alert_actions", ["customer_id"], unique=False
    )
    op.create_table(
        "alert_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_comments_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_alert_comments_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_comments")),
    )
    op.create_index(
        op.f("ix_alert_comments_alert_id"), "alert_comments", ["alert_id"], unique=False
    )

    op.create_table(
        "alert_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_attachments_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_alert_attachments_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_attachments")),
    )
    op.create_index(
        op.f("ix_alert_attachments_alert_id"), "alert_attachments", ["alert_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_alert_attachments_alert_id"), table_name="alert_attachments")
    op.drop_table("alert_attachments")
    op.drop_index(op.f("ix_alert_comments_alert_id"), table_name="alert_comments")
    op.drop_table("alert_comments")
    op.drop_index(op.f("ix_alert_actions_customer_id"), table_name="alert_actions")
    op.drop_index(op.f("ix_alert_actions_alert_id"), table_name="alert_actions")
    op.drop_table("alert_actions")
    op.drop_table("rule_states")
    op.drop_index(op.f("ix_alerts_status_id"), table_name="alerts")
    op.drop_index(op.f("ix_alerts_customer_id_rule_id"), table_name="alerts")
    op.drop_table("alerts")
    op.drop_table("rule_set_versions")
