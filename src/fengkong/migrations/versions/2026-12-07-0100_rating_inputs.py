"""Ratings carry their score's inputs hash and model version.

A stream job asks, for every customer it applies, whether the rescore changed anything: the
inputs hash and model of the score the rating points at. Read through a join, that was a random
page of ``risk_scores`` a customer — its rows are wide (the factors and reasons, ~3.8 KB), the
table far larger than the cache — and a twentieth of PostgreSQL's time in the stream. The rating
now keeps both (copied from its score, which only ``risk.service._update_ratings`` changes),
filled in here from the score each existing rating points at.

Revision ID: 0022_rating_inputs
Revises: 0021_audit_chain_sealing
Create Date: 2026-12-07 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_rating_inputs"
down_revision: str | None = "0021_audit_chain_sealing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BACKFILL = """
UPDATE customer_ratings SET
    inputs_hash = (
        SELECT risk_scores.inputs_hash FROM risk_scores
        WHERE risk_scores.id = customer_ratings.risk_score_id
    ),
    model_version_id = (
        SELECT risk_scores.model_version_id FROM risk_scores
        WHERE risk_scores.id = customer_ratings.risk_score_id
    )
"""


def upgrade() -> None:
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inputs_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("model_version_id", sa.Integer(), nullable=True))
    op.execute(_BACKFILL)
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.alter_column("inputs_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_ratings_model_version_id_model_versions"),
            "model_versions",
            ["model_version_id"],
            ["id"],
            ondelete="RESTRICT",
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_ratings", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customer_ratings_model_version_id_model_versions"), type_="foreignkey"
        )
        batch_op.drop_column("model_version_id")
        batch_op.drop_column("inputs_hash")
