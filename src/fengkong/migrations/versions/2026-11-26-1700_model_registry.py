"""Model registry: model versions, states and decisions.

``model_versions`` holds every model (expert scorecards too) with its artefact as text, its
training-data hash, features, parameters, metrics and report; one champion per name (a partial
unique index). ``model_decisions`` is each version's history: who moved it from which state to
which, and why.

Revision ID: 0008_model_registry
Revises: 0007_credit_checks
Create Date: 2026-11-26 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fengkong.db

revision: str = "0008_model_registry"
down_revision: str | None = "0007_credit_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = ("draft", "validated", "approved", "champion", "retired", "rejected")
_ONE_CHAMPION = "state = 'champion'"


def _state() -> sa.Enum:
    return sa.Enum(
        *_STATES, name="modelstate", native_enum=False, create_constraint=True, length=16
    )


def upgrade() -> None:
    op.create_table(
        "model_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "expert",
                "scorecard",
                "gbm",
                name="modelkind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("state", _state(), nullable=False),
        sa.Column("artefact", sa.Text(), nullable=False),
        sa.Column("artefact_metadata", sa.JSON(), nullable=True),
        sa.Column("artefact_sha256", sa.String(length=64), nullable=False),
        sa.Column("data_hash", sa.String(length=80), nullable=True),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("report_html", sa.Text(), nullable=True),
        sa.Column("scorecard_version_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("validated_by", sa.String(length=64), nullable=True),
        sa.Column("validated_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("promoted_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("retired_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_model_versions_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_model_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["scorecard_version_id"],
            ["scorecard_versions.id"],
            name=op.f("fk_model_versions_scorecard_version_id_scorecard_versions"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_model_versions_name_version")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_versions_state_name"), ["state", "name"], unique=False
        )
        batch_op.create_index(
            "uq_model_versions_one_champion",
            ["name"],
            unique=True,
            postgresql_where=sa.text(_ONE_CHAMPION),
            sqlite_where=sa.text(_ONE_CHAMPION),
        )

    op.create_table(
        "model_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "register",
                "validate",
                "approve",
                "reject",
                "promote",
                "retire",
                "rollback",
                name="modelaction",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", _state(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_model_decisions_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_model_decisions_model_version_id_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_decisions")),
    )
    with op.batch_alter_table("model_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_decisions_model_version_id"), ["model_version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("model_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_decisions_model_version_id"))
    op.drop_table("model_decisions")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_model_versions_one_champion",
            postgresql_where=sa.text(_ONE_CHAMPION),
            sqlite_where=sa.text(_ONE_CHAMPION),
        )
        batch_op.drop_index(batch_op.f("ix_model_versions_state_name"))
    op.drop_table("model_versions")
