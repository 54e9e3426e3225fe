"""Upgrading a database that holds personal data in plaintext encrypts it; downgrading decrypts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from fengkong.database import alembic_config, upgrade
from fengkong.privacy.crypto import blind_index, decrypt
from fengkong.privacy.fields import PersonalKind
from tests.conftest import BACKENDS, throwaway_database_url
from tests.factories import make_uscc

BEFORE = "0017_auth_hardening"
NOW = "2026-01-01 00:00:00"


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url(request.param, tmp_path) as url:
        yield url


def test_the_upgrade_encrypts_existing_plaintext_and_the_downgrade_restores_it(
    database_url: str,
) -> None:
    upgrade(database_url, BEFORE)
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO customers (id, uscc, name, legal_representative, status,"
                    " uscc_verification, source, source_ref, sourced_at, created_at, updated_at,"
                    " version) VALUES (1, :uscc, '甲公司', '张伟', 'active', 'unverified',"
                    " 'import', 'old', :now, :now, :now, 1)"
                ),
                {"uscc": make_uscc(7001), "now": NOW},
            )
            connection.execute(
                text(
                    "INSERT INTO customer_contacts (id, customer_id, name, phone, email,"
                    " is_primary, created_at, updated_at) VALUES (1, 1, '王芳', '13900001234',"
                    " NULL, :yes, :now, :now)"
                ),
                {"now": NOW, "yes": True},
            )
        upgrade(database_url)
        with engine.connect() as connection:
            representative, index = connection.execute(
                text("SELECT legal_representative, legal_representative_bidx FROM customers")
            ).one()
            name, phone, email, phone_index = connection.execute(
                text("SELECT name, phone, email, phone_bidx FROM customer_contacts")
            ).one()
        assert str(representative).startswith("fk1:t1:")
        assert decrypt(str(representative), "customers.legal_representative") == "张伟"
        assert index == blind_index(PersonalKind.NAME, "张伟")
        assert decrypt(str(name), "customer_contacts.name") == "王芳"
        assert decrypt(str(phone), "customer_contacts.phone") == "13900001234"
        assert email is None
        assert phone_index == blind_index(PersonalKind.PHONE, "13900001234")

        command.downgrade(alembic_config(database_url), BEFORE)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT legal_representative FROM customers")).one() == (
                "张伟",
            )
            assert connection.execute(text("SELECT name, phone FROM customer_contacts")).one() == (
                "王芳",
                "13900001234",
            )
    finally:
        engine.dispose()
