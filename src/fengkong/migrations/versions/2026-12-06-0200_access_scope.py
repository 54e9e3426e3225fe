"""Sales users' access scope: the region whose customers a user may see besides their own.

Revision ID: 0016_access_scope
Revises: 0015_portfolio_snapshots
Create Date: 2026-12-06 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_access_scope"
down_revision: str | None = "0015_portfolio_snapshots"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("region_code")
