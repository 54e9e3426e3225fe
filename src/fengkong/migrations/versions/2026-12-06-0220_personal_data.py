"""Personal data encrypted at rest: legal representative name and ID number, contact phone and email, with blind indexes; legal holds for PIPL erasure.

Revision ID: 0018_personal_data
Revises: 0017_auth_hardening
Create Date: 2026-12-06 02:20:00

Existing plaintext is encrypted here with the keyring from settings, so an upgrade never leaves
personal data readable in the database; the downgrade decrypts it again.
"""

from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import fengkong.db
from fengkong.privacy.crypto import PREFIX, blind_index, decrypt, encrypt

revision: str = "0018_personal_data"
down_revision: str | None = "0017_auth_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table, column, kind of personal data, blind-index column: as in fengkong.privacy.fields today.
_FIELDS = (
    ("customers", "legal_representative", "name", "legal_representative_bidx"),
    (
        "customers",
        "legal_representative_id_number",
        "id_number",
        "legal_representative_id_number_bidx",
    ),
    ("customer_contacts", "name", "name", "name_bidx"),
    ("customer_contacts", "phone", "phone", "phone_bidx"),
    ("customer_contacts", "email", "email", "email_bidx"),
)
_WIDENED = (("name", 100), ("phone", 40), ("email", 254))
"""customer_contacts columns widened to hold ciphertext (no table references contacts)."""
_BATCH = 1000


def _rewrite(
    table_name: str, convert: Callable[[str, str, str], str | None], *, hashes: bool
) -> None:
    """Rewrite every personal value of ``table_name`` in batches by id."""
    fields = [field for field in _FIELDS if field[0] == table_name]
    columns: list[sa.ColumnClause[Any]] = [sa.column("id", sa.Integer())]
    for _, column, _, index in fields:
        columns.append(sa.column(column, sa.Text()))
        if hashes:
            columns.append(sa.column(index, sa.String()))
    table = sa.table(table_name, *columns)
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(table).where(table.c.id > last_id).order_by(table.c.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            values: dict[str, str | None] = {}
            for _, column, kind, index in fields:
                value = getattr(row, column)
                if value is None:
                    continue
                values[column] = convert(value, f"{table_name}.{column}", kind)
                if hashes:
                    values[index] = blind_index(kind, value)
            if values:
                connection.execute(sa.update(table).where(table.c.id == row.id).values(values))
        last_id = rows[-1].id


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"


def _encrypted(value: str, context: str, _kind: str) -> str:
    return value if value.startswith(f"{PREFIX}:") else encrypt(value, context)


def _decrypted(value: str, context: str, _kind: str) -> str:
    return decrypt(value, context) if value.startswith(f"{PREFIX}:") else value


def upgrade() -> None:
    # Plain (not batch) operations on customers: a batch would recreate the table on SQLite, and
    # dropping the old one cascade-deletes every row that references a customer. SQLite keeps
    # the VARCHAR(100), whose length it does not enforce (fengkong.privacy.crypto.EncryptedText).
    if not _sqlite():
        op.alter_column(
            "customers",
            "legal_representative",
            existing_type=sa.String(length=100),
            type_=sa.Text(),
        )
    for column, type_ in (
        ("legal_representative_bidx", sa.String(length=64)),
        ("legal_representative_id_number", sa.Text()),
        ("legal_representative_id_number_bidx", sa.String(length=64)),
    ):
        op.add_column("customers", sa.Column(column, type_, nullable=True))
    op.create_index(
        op.f("ix_customers_legal_representative_bidx"), "customers", ["legal_representative_bidx"]
    )
    op.create_index(
        op.f("ix_customers_legal_representative_id_number_bidx"),
        "customers",
        ["legal_representative_id_number_bidx"],
    )
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        for column, length in _WIDENED:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=length),
                type_=sa.Text(),
                existing_nullable=column != "name",
            )
        for index in ("name_bidx", "phone_bidx", "email_bidx"):
            batch_op.add_column(sa.Column(index, sa.String(length=64), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_customer_contacts_{index}"), [index])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", fengkong.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.String(length=64), nullable=True),
        sa.Column("released_at", fengkong.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_legal_holds_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_holds_customer_id_released_at"), ["customer_id", "released_at"]
        )
    _rewrite("customers", _encrypted, hashes=True)
    _rewrite("customer_contacts", _encrypted, hashes=True)


def downgrade() -> None:
    _rewrite("customers", _decrypted, hashes=False)
    _rewrite("customer_contacts", _decrypted, hashes=False)
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_holds_customer_id_released_at"))
    op.drop_table("legal_holds")
    with op.batch_alter_table("customer_contacts", schema=None) as batch_op:
        for index in ("email_bidx", "phone_bidx", "name_bidx"):
            batch_op.drop_index(batch_op.f(f"ix_customer_contacts_{index}"))
            batch_op.drop_column(index)
        for column, length in _WIDENED:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sa.String(length=length),
                existing_nullable=column != "name",
            )
    # Plain (not batch) operations: a batch would recreate customers on SQLite, and dropping the
    # old table would cascade-delete every row that references a customer.
    op.drop_index(op.f("ix_customers_legal_representative_id_number_bidx"), table_name="customers")
    op.drop_index(op.f("ix_customers_legal_representative_bidx"), table_name="customers")
    for column in (
        "legal_representative_id_number_bidx",
        "legal_representative_id_number",
        "legal_representative_bidx",
    ):
        op.drop_column("customers", column)
    if not _sqlite():
        op.alter_column(
            "customers",
            "legal_representative",
            existing_type=sa.Text(),
            type_=sa.String(length=100),
        )
