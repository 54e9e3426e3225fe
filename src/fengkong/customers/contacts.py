"""A customer's contact people: who to call about the account. Their names, phones and emails
are personal data (encrypted, masked, audited when shown: docs/security.md)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import CustomerContact
from fengkong.customers.service import get_customer


def list_contacts(session: Session, actor: Actor, customer_id: int) -> list[CustomerContact]:
    """The customer's contacts, primary first; 404 for a customer the actor cannot see."""
    customer = get_customer(session, actor, customer_id)
    statement = (
        select(CustomerContact)
        .where(CustomerContact.customer_id == customer.id)
        .order_by(CustomerContact.is_primary.desc(), CustomerContact.id)
    )
    return list(session.scalars(statement))
