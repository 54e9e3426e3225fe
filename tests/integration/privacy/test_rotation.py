"""Key rotation: values under an old key and the new one side by side all decrypt; a finished
rotation survives removing the old key; running it again changes nothing."""

from __future__ import annotations

import base64
import logging

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from fengkong.customers.models import Customer, CustomerContact
from fengkong.privacy import keys, rotation
from fengkong.privacy.crypto import UndecryptableValue
from fengkong.privacy.keys import Keyring, KeyringError, keyring_from_settings, parse_keys
from fengkong.settings import Settings, get_settings
from tests import factories

KEY_A = b"A" * 32
KEY_B = b"B" * 32
BLIND = b"I" * 32


def _ring(current: str, *ids: str) -> Keyring:
    known = {"key-a": KEY_A, "key-b": KEY_B}
    return Keyring(keys={i: known[i] for i in ids}, current_id=current, blind_index_key=BLIND)


def _key_ids(connection: Connection) -> list[str]:
    rows = connection.execute(
        text(
            "SELECT legal_representative FROM customers WHERE legal_representative IS NOT NULL"
            " UNION ALL SELECT phone FROM customer_contacts WHERE phone IS NOT NULL"
        )
    )
    return sorted(str(value).split(":")[1] for (value,) in rows)


def _read_all(session: Session) -> set[tuple[str | None, str | None]]:
    session.expire_all()
    customers = {(c.legal_representative, None) for c in session.query(Customer)}
    contacts = {(c.name, c.phone) for c in session.query(CustomerContact)}
    return customers | contacts


def test_rotation_with_old_and_new_keys_mixed_decrypts_everything(session: Session) -> None:
    with keys.using(_ring("key-a", "key-a")):
        for number in range(4):
            customer = factories.customer(legal_representative=f"张{number}")
            factories.contact(
                customer_id=customer.id, name=f"李{number}", phone=f"1390000000{number}"
            )
        session.flush()
        expected = _read_all(session)
    connection = session.connection()
    assert set(_key_ids(connection)) == {"key-a"}

    both = _ring("key-b", "key-a", "key-b")
    with keys.using(both):
        assert rotation.rotate_batch(connection, both, "customers", size=2) == 2
        assert rotation.rotate_batch(connection, both, "customer_contacts", size=1) == 1
        mixed = _key_ids(connection)
        assert "key-a" in mixed
        assert "key-b" in mixed
        assert _read_all(session) == expected
        status = rotation.key_status(connection, both)
        assert status["customers.legal_representative"] == {"key-a": 2, "key-b": 2, "unknown": 0}
        for table_name in rotation.TABLES:
            while rotation.rotate_batch(connection, both, table_name, size=3):
                pass
        assert set(_key_ids(connection)) == {"key-b"}
        assert rotation.rotate_batch(connection, both, "customers") == 0

    with keys.using(_ring("key-b", "key-b")):
        assert _read_all(session) == expected


def test_a_value_under_a_removed_key_is_reported_not_guessed(session: Session) -> None:
    with keys.using(_ring("key-a", "key-a")):
        factories.customer(legal_representative="张三")
        session.flush()
    only_b = _ring("key-b", "key-b")
    with keys.using(only_b):
        status = rotation.key_status(session.connection(), only_b)
        assert status["customers.legal_representative"]["unknown"] >= 1
        session.expire_all()
        with pytest.raises(UndecryptableValue, match="key-a"):
            session.query(Customer).all()


def test_keys_come_from_settings_and_development_keys_are_flagged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configured = keyring_from_settings(get_settings())
    assert configured.current_id == "t1"
    assert set(configured.keys) == {"t1", "t0"}
    assert not configured.derived
    with caplog.at_level(logging.WARNING, logger="fengkong.privacy.keys"):
        development = keyring_from_settings(
            Settings(data_keys="", data_key_id="", blind_index_key="", secret_key="s3cret")
        )
    assert development.derived
    assert "set FENGKONG_DATA_KEYS" in caplog.text
    assert development.current_id == keys.DEV_KEY_ID
    assert (
        development.current_key
        != keyring_from_settings(
            Settings(data_keys="", data_key_id="", blind_index_key="", secret_key="other")
        ).current_key
    )


@pytest.mark.parametrize(
    "data_keys",
    [
        "nokey",
        "k1:" + base64.b64encode(b"short").decode(),
        "k:1:" + base64.b64encode(KEY_A).decode(),
    ],
)
def test_malformed_keys_are_refused(data_keys: str) -> None:
    with pytest.raises(KeyringError):
        keyring_from_settings(
            Settings(
                data_keys=data_keys,
                data_key_id="k1",
                blind_index_key=base64.b64encode(BLIND).decode(),
            )
        )


def test_the_current_key_must_be_in_the_keyring() -> None:
    with pytest.raises(KeyringError, match="not in the keyring"):
        Keyring(
            keys=parse_keys("k1:" + base64.b64encode(KEY_A).decode()),
            current_id="k2",
            blind_index_key=BLIND,
        )
