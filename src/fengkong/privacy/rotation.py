"""Key rotation: re-encrypt personal data under the current key, a batch at a time.

Each batch picks rows holding a value under any other key, decrypts with whichever key sealed it
and encrypts with the current one. Rows already under the current key are never picked, so a
rotation can be stopped and run again (resumable) and running it twice changes nothing
(idempotent). Old keys must stay in ``FENGKONG_DATA_KEYS`` until ``fengkong keys status`` shows
no value left under them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    Table,
    Text,
    column,
    func,
    not_,
    or_,
    select,
    table,
    update,
)

from fengkong.privacy.crypto import PREFIX, decrypt, encrypt
from fengkong.privacy.fields import PERSONAL_FIELDS, PersonalField, fields_of
from fengkong.privacy.keys import Keyring

ROTATION_BATCH = 500
TABLES: tuple[str, ...] = tuple(dict.fromkeys(field.table for field in PERSONAL_FIELDS))


def _raw(table_name: str) -> Table | Any:
    """The table with its personal columns as plain text: ciphertext in, ciphertext out."""
    return table(
        table_name,
        column("id", Integer()),
        *(column(field.column, Text()) for field in fields_of(table_name)),
    )


def _under(key_id: str) -> str:
    return f"{PREFIX}:{key_id}:%"


def rotate_batch(
    connection: Connection, keyring: Keyring, table_name: str, *, size: int = ROTATION_BATCH
) -> int:
    """Re-encrypt up to ``size`` rows of ``table_name`` under the current key; rows rewritten."""
    raw = _raw(table_name)
    fields = fields_of(table_name)
    stale = or_(
        *(
            raw.c[field.column].is_not(None)
            & not_(raw.c[field.column].like(_under(keyring.current_id)))
            for field in fields
        )
    )
    rows = connection.execute(select(raw).where(stale).order_by(raw.c.id).limit(size)).all()
    for row in rows:
        values = {
            field.column: _reencrypted(getattr(row, field.column), field, keyring)
            for field in fields
            if getattr(row, field.column) is not None
        }
        connection.execute(update(raw).where(raw.c.id == row.id).values(values))
    return len(rows)


def _reencrypted(stored: str, field: PersonalField, keyring: Keyring) -> str:
    if stored.startswith(f"{PREFIX}:{keyring.current_id}:"):
        return stored
    return encrypt(decrypt(stored, field.context, keyring), field.context, keyring)


def key_status(connection: Connection, keyring: Keyring) -> dict[str, Mapping[str, int]]:
    """Per ``table.column``: how many values each key id holds (``unknown``: under no key in the
    keyring — a key removed too early, or a value that is not ours)."""
    status: dict[str, Mapping[str, int]] = {}
    for field in PERSONAL_FIELDS:
        raw = _raw(field.table)
        value = raw.c[field.column]
        counts: dict[str, int] = {}
        for key_id in keyring.keys:
            counts[key_id] = int(
                connection.scalar(select(func.count()).where(value.like(_under(key_id)))) or 0
            )
        total = int(connection.scalar(select(func.count()).where(value.is_not(None))) or 0)
        counts["unknown"] = total - sum(counts.values())
        status[field.context] = counts
    return status
