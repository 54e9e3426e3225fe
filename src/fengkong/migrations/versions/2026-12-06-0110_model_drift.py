"""Drift checks of champion models (PSI of the live score distribution against development).

``model_drift_checks`` holds one row per champion and day: the live scores counted, the PSI
against the model's development distribution (or the live snapshot taken as its reference), the
threshold in force, the verdict (stable, watch, drifted, baseline, too_few), the bins behind it
and when the owner was alerted (only on a crossing into drifted).

Revision ID: 0013_model_drift
Revises: 0012_model_scoring
Create Date: 2026-12-06 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0013_model_drift"
down_revision: str | None = "0012_model_scoring"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_drift_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("checked_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=64), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "stable",
                "watch",
                "drifted",
                "baseline",
                "too_few",
                name="driftstatus",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("variable", sa.String(length=8), nullable=False),
        sa.Column("n_scores", sa.Integer(), nullable=False),
        sa.Column("psi", sa.Float(), nullable=True),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("baseline_source", sa.String(length=16), nullable=True),
        sa.Column("bins", sa.JSON(), nullable=True),
        sa.Column("distribution", sa.JSON(), nullable=True),
        sa.Column("alerted_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_drift_checks_model_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_drift_checks")),
        sa.UniqueConstraint(
            "model_version_id",
            "checked_on",
            name=op.f("uq_model_drift_checks_model_version_id_checked_on"),
        ),
    )


def downgrade() -> None:
    op.drop_table("model_drift_checks")
