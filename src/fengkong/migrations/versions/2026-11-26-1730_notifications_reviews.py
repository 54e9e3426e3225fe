"""Notifications (email preferences, webhook endpoints, deliveries with retries and dead letters)
and periodic reviews (one open review per customer: a partial unique index).

Revision ID: 0011_notifications_reviews
Revises: 0010_event_stream
Create Date: 2026-11-26 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0011_notifications_reviews"
down_revision: str | None = "0010_event_stream"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "email",
                "webhook",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("target", sa.String(length=300), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("endpoint_id", sa.Integer(), nullable=True),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("digest_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                "dead",
                "digested",
                name="deliverystatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("digest_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_deliveries_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deliveries_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint(
            "channel", "target", "dedupe_key", name=op.f("uq_deliveries_channel_target_dedupe_key")
        ),
    )
    op.create_index(
        op.f("ix_deliveries_status_next_attempt_at"),
        "deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_deliveries_user_id_digest_on_status"),
        "deliveries",
        ["user_id", "digest_on", "status"],
        unique=False,
    )
    op.create_table(
        "notification_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "immediate",
                "daily_digest",
                "off",
                name="emailmode",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_subscriptions")),
        sa.UniqueConstraint(
            "user_id", "topic", name=op.f("uq_notification_subscriptions_user_id_topic")
        ),
    )
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "in_progress",
                "completed",
                "cancelled",
                name="reviewstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("cadence_months", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("started_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "grade_outcome",
            sa.Enum(
                "confirmed",
                "overridden",
                name="gradeoutcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("override_grade", sa.String(length=8), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column(
            "limit_outcome",
            sa.Enum(
                "kept",
                "changed",
                name="limitoutcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("limit_request_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=64), nullable=True),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("completed_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("scheduled_by", sa.String(length=64), nullable=False),
        sa.Column("overdue_notified_on", sa.Date(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "grade_outcome <> 'overridden' OR (override_grade IS NOT NULL AND override_reason IS NOT NULL)",
            name=op.f("ck_reviews_override_has_grade_and_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_reviews_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_reviews_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["limit_request_id"],
            ["limit_requests.id"],
            name=op.f("fk_reviews_limit_request_id_limit_requests"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    op.create_index(
        op.f("ix_reviews_assignee_id_status"), "reviews", ["assignee_id", "status"], unique=False
    )
    op.create_index(
        op.f("ix_reviews_customer_id_id"), "reviews", ["customer_id", "id"], unique=False
    )
    op.create_index(op.f("ix_reviews_status_due_on"), "reviews", ["status", "due_on"], unique=False)
    op.create_index(
        "uq_reviews_one_open_per_customer",
        "reviews",
        ["customer_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('scheduled', 'in_progress')"),
        sqlite_where=sa.text("status IN ('scheduled', 'in_progress')"),
    )


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("notification_subscriptions")
    op.drop_table("deliveries")
    op.drop_table("webhook_endpoints")
