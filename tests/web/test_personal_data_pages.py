"""The customer page shows personal data masked to roles without pii:read, in full (audited) to
those with it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from tests import factories
from tests.personas import Personas
from tests.web.conftest import SignedIn

ID_NUMBER = "110101199003071235"


def _views(session: Session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "pii_view")))


def test_the_customer_page_masks_personal_data_for_sales_and_audits_an_analysts_view(
    session: Session, personas: Personas, signed_in: SignedIn
) -> None:
    customer = factories.customer(
        legal_representative="张伟",
        legal_representative_id_number=ID_NUMBER,
        owner_id=personas.sam_sales.user.id,
    )
    factories.contact(customer_id=customer.id, name="王芳", phone="13812345678")
    sales_page = signed_in(personas.sam_sales).page(f"/customers/{customer.id}")
    assert sales_page.status_code == 200
    assert "110***********1235" in sales_page.text
    assert "张*" in sales_page.text
    assert ID_NUMBER not in sales_page.text
    assert "138****5678" in sales_page.text
    assert "13812345678" not in sales_page.text
    assert _views(session) == []
    analyst_page = signed_in(personas.alice_analyst).page(f"/customers/{customer.id}")
    assert ID_NUMBER in analyst_page.text
    assert "13812345678" in analyst_page.text
    [view] = _views(session)
    assert (view.actor_username, view.entity_id) == ("alice_analyst", str(customer.id))
    assert view.after is not None
    assert "customer_contacts.phone" in view.after["fields"]
