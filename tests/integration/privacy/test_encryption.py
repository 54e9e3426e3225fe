"""Personal fields are ciphertext in the database, readable through the models, searchable only
by blind index, and kept out of the audit log and outbox events."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer, CustomerContact
from fengkong.customers.resident_id import validate_resident_id
from fengkong.demo import service as demo_service
from fengkong.events.models import Event
from fengkong.imports import service as import_service
from fengkong.imports.kinds import ImportKind
from fengkong.imports.problems import ImportFailed
from fengkong.privacy.crypto import UndecryptableValue, blind_index, decrypt
from fengkong.privacy.fields import PersonalKind
from fengkong.settings import get_settings
from tests import factories
from tests.factories import make_uscc
from tests.integration.imports.files import write_csv

ID_NUMBER = "110101199003071235"
PHONE = "13812345678"
EMAIL = "zhang.wei@example.com"
NAME = "张伟"


def _raw(session: Session, sql: str, **params: object) -> list[tuple[object, ...]]:
    """Rows as the database holds them, bypassing the models (what a dump would show)."""
    return [tuple(row) for row in session.execute(text(sql), params)]


def _customer_with_contact(session: Session) -> tuple[Customer, CustomerContact]:
    customer = factories.customer(
        legal_representative=NAME, legal_representative_id_number=ID_NUMBER
    )
    contact = factories.contact(customer_id=customer.id, name=NAME, phone=PHONE, email=EMAIL)
    return customer, contact


def test_personal_fields_are_unreadable_in_the_raw_tables(session: Session) -> None:
    customer, contact = _customer_with_contact(session)
    [stored] = _raw(
        session,
        "SELECT legal_representative, legal_representative_id_number FROM customers WHERE id = :id",
        id=customer.id,
    )
    [contact_row] = _raw(
        session, "SELECT name, phone, email FROM customer_contacts WHERE id = :id", id=contact.id
    )
    dump = json.dumps([stored, contact_row], ensure_ascii=False)
    for plain in (ID_NUMBER, PHONE, EMAIL, NAME, "1234", "example.com"):
        assert plain not in dump
    assert all(str(value).startswith("fk1:t1:") for value in (*stored, *contact_row))
    session.expire_all()
    reloaded = session.get(Customer, customer.id)
    assert reloaded is not None
    assert reloaded.legal_representative == NAME
    assert reloaded.legal_representative_id_number == ID_NUMBER
    assert session.get(CustomerContact, contact.id).phone == PHONE  # type: ignore[union-attr]


def test_equal_values_encrypt_differently_but_share_a_blind_index(session: Session) -> None:
    first = factories.customer(legal_representative=NAME)
    second = factories.customer(legal_representative=f" {NAME} ")
    rows = _raw(
        session,
        "SELECT legal_representative, legal_representative_bidx FROM customers"
        " WHERE id IN (:a, :b) ORDER BY id",
        a=first.id,
        b=second.id,
    )
    assert rows[0][0] != rows[1][0]
    assert rows[0][1] == rows[1][1] == blind_index(PersonalKind.NAME, NAME)
    found = session.scalars(
        select(Customer.id).where(
            Customer.legal_representative_bidx == blind_index(PersonalKind.NAME, NAME)
        )
    ).all()
    assert set(found) == {first.id, second.id}


def test_a_ciphertext_copied_to_another_column_does_not_decrypt(session: Session) -> None:
    customer, _ = _customer_with_contact(session)
    [(stored,)] = _raw(
        session, "SELECT legal_representative FROM customers WHERE id = :id", id=customer.id
    )
    assert decrypt(str(stored), "customers.legal_representative") == NAME
    with pytest.raises(UndecryptableValue):
        decrypt(str(stored), "customer_contacts.name")


def test_blind_indexes_follow_a_changed_value_and_a_blank_is_stored_as_null(
    session: Session,
) -> None:
    customer, contact = _customer_with_contact(session)
    contact.phone = "+86 139-0000-1111"
    customer.legal_representative = "  "
    session.flush()
    [(phone_index,)] = _raw(
        session, "SELECT phone_bidx FROM customer_contacts WHERE id = :id", id=contact.id
    )
    assert phone_index == blind_index(PersonalKind.PHONE, "13900001111")
    [(name, name_index)] = _raw(
        session,
        "SELECT legal_representative, legal_representative_bidx FROM customers WHERE id = :id",
        id=customer.id,
    )
    assert (name, name_index) == (None, None)


def test_audit_entries_and_outbox_events_never_hold_personal_data(session: Session) -> None:
    customer, contact = _customer_with_contact(session)
    customer.legal_representative = "李娜"
    contact.email = "li.na@example.com"
    session.flush()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.entity_type.in_(["customers", "customer_contacts"]))
    ).all()
    events = session.scalars(
        select(Event).where(Event.entity_type.in_(["customers", "customer_contacts"]))
    ).all()
    assert len(entries) >= 4
    assert len(events) >= 4
    written = json.dumps(
        [[entry.before, entry.after] for entry in entries] + [event.payload for event in events],
        ensure_ascii=False,
    )
    for plain in (ID_NUMBER, PHONE, EMAIL, NAME, "李娜", "li.na", "fk1:"):
        assert plain not in written
    updated = next(
        entry for entry in entries if entry.action == "update" and entry.entity_type == "customers"
    )
    assert updated.after == {"legal_representative": "***", "legal_representative_bidx": "***"}


def test_a_demo_load_leaves_no_plaintext(session: Session) -> None:
    demo_service.load_demo(
        session, Actor.system("test"), customers=8, seed=3, as_of=date(2026, 6, 30)
    )
    contacts = _raw(session, "SELECT name, phone, email, phone_bidx FROM customer_contacts")
    representatives = _raw(
        session,
        "SELECT legal_representative, legal_representative_bidx,"
        " legal_representative_id_number, legal_representative_id_number_bidx FROM customers"
        " WHERE legal_representative IS NOT NULL",
    )
    assert contacts
    assert representatives
    for _, _, id_number, id_index in representatives:
        assert str(id_number).startswith("fk1:")
        assert id_index is not None
    customers = session.scalars(select(Customer)).all()
    assert all(validate_resident_id(c.legal_representative_id_number or "") for c in customers)
    for name, phone, email, phone_index in contacts:
        assert str(name).startswith("fk1:")
        assert phone is None or (str(phone).startswith("fk1:") and phone_index is not None)
        assert email is None or str(email).startswith("fk1:")
    assert all(str(value).startswith("fk1:") and index for value, index, *_ in representatives)
    stored = session.scalars(select(CustomerContact).order_by(CustomerContact.id)).all()
    ciphertexts = {row[0] for row in contacts}
    assert len(ciphertexts) == len(contacts), "equal names must not share a ciphertext"
    assert all(contact.name and not contact.name.startswith("fk1:") for contact in stored)


def _import_customers(session: Session, tmp_path: Path, name: str, rows: list[list[str]]) -> int:
    path = write_csv(tmp_path / name, ["uscc", "name", "legal_representative", "address"], rows)
    result = import_service.import_file(
        session,
        Actor.system("test"),
        kind=ImportKind.CUSTOMERS,
        path=path,
        file_name=path.name,
        settings=get_settings().model_copy(update={"data_dir": tmp_path / "var"}),
    )
    return result.inserted * 1000 + result.updated


def test_an_import_encrypts_the_legal_representative_and_compares_by_blind_index(
    session: Session, tmp_path: Path
) -> None:
    uscc = make_uscc(9101)
    assert _import_customers(session, tmp_path, "a.csv", [[uscc, "甲公司", NAME, "上海"]]) == 1000
    [(stored, index)] = _raw(
        session,
        "SELECT legal_representative, legal_representative_bidx FROM customers WHERE uscc = :u",
        u=uscc,
    )
    assert str(stored).startswith("fk1:")
    assert NAME not in str(stored)
    assert index == blind_index(PersonalKind.NAME, NAME)
    # The same representative with another address: one update, the ciphertext left as it was.
    assert _import_customers(session, tmp_path, "b.csv", [[uscc, "甲公司", NAME, "北京"]]) == 1
    [(again,)] = _raw(session, "SELECT legal_representative FROM customers WHERE uscc = :u", u=uscc)
    assert again == stored
    # Only the representative changes: still one update, with the new value readable.
    assert _import_customers(session, tmp_path, "c.csv", [[uscc, "甲公司", "李娜", "北京"]]) == 1
    session.expire_all()
    customer = session.scalars(select(Customer).where(Customer.uscc == uscc)).one()
    assert customer.legal_representative == "李娜"
    assert customer.legal_representative_bidx == blind_index(PersonalKind.NAME, "李娜")


def test_an_import_takes_the_representatives_id_number_encrypted_and_masks_it_in_problems(
    session: Session, tmp_path: Path
) -> None:
    settings = get_settings().model_copy(update={"data_dir": tmp_path / "var"})
    header = ["统一社会信用代码", "客户名称", "法定代表人", "法定代表人身份证号码"]
    good, bad = make_uscc(9201), make_uscc(9202)
    lowercase_x = "11010119900307002x"

    def run(name: str, rows: list[list[str]]) -> import_service.ImportResult:
        path = write_csv(tmp_path / name, header, rows)
        return import_service.import_file(
            session,
            Actor.system("test"),
            kind=ImportKind.CUSTOMERS,
            path=path,
            file_name=path.name,
            settings=settings,
        )

    assert run("a.csv", [[good, "甲公司", NAME, f" {lowercase_x} "]]).inserted == 1
    [(stored, index)] = _raw(
        session,
        "SELECT legal_representative_id_number, legal_representative_id_number_bidx "
        "FROM customers WHERE uscc = :u",
        u=good,
    )
    assert str(stored).startswith("fk1:")
    assert lowercase_x.upper() not in str(stored)
    assert index == blind_index(PersonalKind.ID_NUMBER, lowercase_x.upper())
    session.expire_all()
    customer = session.scalars(select(Customer).where(Customer.uscc == good)).one()
    assert customer.legal_representative_id_number == lowercase_x.upper()

    valid, wrong_check_digit = "110101199003071233", "110101199003071239"
    with pytest.raises(ImportFailed) as refused:
        run("b.csv", [[bad, "乙公司", NAME, valid], [good, "甲公司", NAME, wrong_check_digit]])
    [problem] = refused.value.errors
    assert (problem.row, problem.column, problem.code) == (3, "法定代表人身份证号码", "resident_id")
    assert problem.value == "110***********1239"
    assert wrong_check_digit not in problem.message.render("en")
    assert session.scalars(select(Customer).where(Customer.uscc == bad)).first() is None
