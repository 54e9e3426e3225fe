"""Personal data through the API: masked without pii:read, audited when shown in full; PIPL
export and erasure by an admin, refused under a legal hold."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.customers.models import Customer, CustomerContact
from fengkong.kit.money import Money
from fengkong.privacy.crypto import blind_index
from fengkong.privacy.fields import ERASED, PersonalKind
from fengkong.risk.models import RiskScore
from tests import factories
from tests.personas import Personas

ID_NUMBER = "110101199003071235"
PHONE = "13812345678"
EMAIL = "zhang.wei@example.com"
NAME = "张伟"
CUSTOMERS = "/api/v1/customers"
PRIVACY = "/api/v1/privacy"


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def _represented(personas: Personas, **overrides: Any) -> Customer:
    return factories.customer(
        legal_representative=NAME,
        legal_representative_id_number=ID_NUMBER,
        owner_id=personas.sam_sales.user.id,
        **overrides,
    )


def test_a_reader_without_pii_read_sees_masked_values_and_nothing_is_logged(
    client: TestClient, session: Session, personas: Personas
) -> None:
    customer = _represented(personas)
    for persona in (personas.sam_sales, personas.ada_auditor):
        body = client.get(f"{CUSTOMERS}/{customer.id}", headers=persona.headers).json()
        assert body["legal_representative"] == "张*"
        assert body["legal_representative_id_number"] == "110***********1235"
        listed = client.get(CUSTOMERS, headers=persona.headers).json()["items"]
        assert [item["legal_representative_id_number"] for item in listed] == ["110***********1235"]
    assert _audit(session, "pii_view") == []


def test_a_reader_with_pii_read_sees_plaintext_and_each_response_is_audited_once(
    client: TestClient, session: Session, personas: Personas
) -> None:
    customer = _represented(personas)
    other = _represented(personas)
    headers = personas.alice_analyst.headers
    body = client.get(f"{CUSTOMERS}/{customer.id}", headers=headers).json()
    assert (body["legal_representative"], body["legal_representative_id_number"]) == (
        NAME,
        ID_NUMBER,
    )
    client.get(CUSTOMERS, headers=headers)
    [single, listing] = _audit(session, "pii_view")
    assert (single.actor_username, single.entity_id) == ("alice_analyst", str(customer.id))
    assert single.after == {
        "fields": ["customers.legal_representative", "customers.legal_representative_id_number"]
    }
    assert listing.entity_id == "*"
    assert listing.after is not None
    assert listing.after["customer_ids"] == sorted([customer.id, other.id])
    assert ID_NUMBER not in json.dumps([single.after, listing.after], ensure_ascii=False)


def test_contacts_are_masked_for_sales_and_shown_in_full_with_one_audit_entry(
    client: TestClient, session: Session, personas: Personas
) -> None:
    customer = _represented(personas)
    factories.contact(customer_id=customer.id, name="王芳", phone=PHONE, email=EMAIL)
    factories.contact(
        customer_id=customer.id, name="Li Na", phone=None, email=None, is_primary=False
    )
    url = f"{CUSTOMERS}/{customer.id}/contacts"
    masked = client.get(url, headers=personas.sam_sales.headers).json()
    assert [(c["name"], c["phone"], c["email"]) for c in masked] == [
        ("王*", "138****5678", "z***@example.com"),
        ("L*** Na", None, None),
    ]
    assert _audit(session, "pii_view") == []
    full = client.get(url, headers=personas.bob_manager.headers).json()
    assert full[0]["phone"] == PHONE
    [view] = _audit(session, "pii_view")
    assert view.after == {
        "fields": ["customer_contacts.email", "customer_contacts.name", "customer_contacts.phone"]
    }


def test_an_invalid_or_future_resident_id_is_refused(
    client: TestClient, personas: Personas
) -> None:
    customer = _represented(personas)
    headers = personas.alice_analyst.headers
    for bad in ("110101199003071234", "110101209912311233"):
        response = client.patch(
            f"{CUSTOMERS}/{customer.id}",
            headers=headers,
            json={"legal_representative_id_number": bad},
        )
        assert response.status_code == 422, bad


def test_an_export_holds_everything_about_the_person_with_reason_codes(
    client: TestClient, session: Session, personas: Personas
) -> None:
    represented = _represented(personas)
    elsewhere = factories.customer()
    factories.contact(customer_id=elsewhere.id, name=NAME, phone=PHONE, email=EMAIL)
    factories.rate_customer(session, represented.id, grade="BB", as_of=date(2026, 6, 30))
    score = session.scalars(select(RiskScore).where(RiskScore.customer_id == represented.id)).one()
    score.reasons = [{"code": "DPD_90", "feature": "days_past_due", "points": -40}]
    session.flush()
    response = client.post(
        f"{PRIVACY}/exports", headers=personas.adam_admin.headers, json={"name": NAME}
    )
    assert response.status_code == 200, response.text
    document = response.json()
    [as_representative] = document["legal_representative_of"]
    assert as_representative["legal_representative_id_number"] == ID_NUMBER
    [as_contact] = document["contact_of"]
    assert (as_contact["customer_id"], as_contact["phone"]) == (elsewhere.id, PHONE)
    decisions = {entry["customer_id"]: entry for entry in document["automated_decisions"]}
    assert set(decisions) == {represented.id, elsewhere.id}
    [exported] = decisions[represented.id]["risk_scores"]
    assert (exported["grade"], exported["reasons"]) == ("BB", score.reasons)
    [entry] = _audit(session, "pipl_export")
    assert entry.entity_id == document["request_id"]
    assert entry.after is not None
    assert entry.after["subject"] == blind_index(PersonalKind.NAME, NAME)
    assert NAME not in json.dumps(entry.after, ensure_ascii=False)


def test_pipl_requests_are_for_admins_and_need_exactly_one_identifier(
    client: TestClient, personas: Personas
) -> None:
    _represented(personas)
    for persona in (personas.bob_manager, personas.alice_analyst, personas.ada_auditor):
        refused = client.post(f"{PRIVACY}/exports", headers=persona.headers, json={"name": NAME})
        assert refused.status_code == 403
    admin = personas.adam_admin.headers
    both = client.post(f"{PRIVACY}/exports", headers=admin, json={"name": NAME, "phone": PHONE})
    assert both.status_code == 422
    unknown = client.post(f"{PRIVACY}/erasures", headers=admin, json={"email": "nobody@x.cn"})
    assert unknown.status_code == 404


def test_erasure_deletes_contacts_and_erases_the_representative_leaving_no_trace(
    client: TestClient, session: Session, personas: Personas
) -> None:
    represented = _represented(personas)
    contact = factories.contact(customer_id=represented.id, name="王芳", phone=PHONE, email=EMAIL)
    admin = personas.adam_admin.headers
    by_id = client.post(f"{PRIVACY}/erasures", headers=admin, json={"id_number": ID_NUMBER})
    assert by_id.status_code == 200, by_id.text
    assert by_id.json()["representatives_erased"] == [represented.id]
    by_phone = client.post(f"{PRIVACY}/erasures", headers=admin, json={"phone": PHONE})
    assert by_phone.json()["contacts_deleted"] == 1
    session.expire_all()
    assert session.get(CustomerContact, contact.id) is None
    erased = session.get(Customer, represented.id)
    assert erased is not None
    assert (erased.legal_representative, erased.legal_representative_id_number) == (ERASED, None)
    [(name_index, id_index)] = session.execute(
        text(
            "SELECT legal_representative_bidx, legal_representative_id_number_bidx"
            " FROM customers WHERE id = :id"
        ),
        {"id": represented.id},
    )
    assert (name_index, id_index) == (None, None)
    entries = _audit(session, "pipl_erase")
    assert len(entries) == 2
    assert PHONE not in json.dumps([entry.after for entry in entries])
    again = client.post(f"{PRIVACY}/erasures", headers=admin, json={"id_number": ID_NUMBER})
    assert again.status_code == 404


def test_a_legal_hold_or_open_receivables_keep_the_data_and_name_the_reason(
    client: TestClient, session: Session, personas: Personas
) -> None:
    held = _represented(personas)
    owing = _represented(personas)
    factories.invoice(customer_id=owing.id, amount=Money.of("100.00", "CNY"))
    hold = client.post(
        f"{PRIVACY}/legal-holds",
        headers=personas.bob_manager.headers,
        json={"customer_id": held.id, "reason": "诉讼保全 (2026)沪01民初1号"},
    )
    assert hold.status_code == 201, hold.text
    admin = personas.adam_admin.headers
    refused = client.post(f"{PRIVACY}/erasures", headers=admin, json={"id_number": ID_NUMBER})
    assert refused.status_code == 409
    message = refused.json()["error"]["message"]
    assert "诉讼保全" in message
    assert "open receivables" in message
    session.expire_all()
    assert session.get(Customer, held.id).legal_representative == NAME  # type: ignore[union-attr]
    released = client.post(
        f"{PRIVACY}/legal-holds/{hold.json()['id']}/release", headers=personas.bob_manager.headers
    )
    assert released.json()["released_by"] == "bob_manager"
    partial = client.post(f"{PRIVACY}/erasures", headers=admin, json={"id_number": ID_NUMBER})
    assert partial.status_code == 200
    assert partial.json()["representatives_erased"] == [held.id]
    assert partial.json()["held"] == {str(owing.id): ["open receivables"]}
    assert (
        client.get(f"{PRIVACY}/legal-holds", headers=personas.alice_analyst.headers).status_code
        == 403
    )
