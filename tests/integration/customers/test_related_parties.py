from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers import related_parties, service
from fengkong.customers.schemas import RelatedPartyUpdate
from fengkong.customers.status import RelationType
from tests import factories

ACTOR = Actor.system("test")


def test_relabelling_a_link_onto_an_existing_one_is_a_duplicate(session: Session) -> None:
    parent = factories.related_party(relation_type=RelationType.PARENT)
    guarantor = factories.related_party(
        customer_id=parent.customer_id,
        related_customer_id=parent.related_customer_id,
        relation_type=RelationType.GUARANTOR,
    )
    with pytest.raises(related_parties.DuplicateRelatedParty):
        related_parties.update_related_party(
            session,
            ACTOR,
            related_party_id=guarantor.id,
            data=RelatedPartyUpdate(relation_type=RelationType.PARENT),
        )


def test_an_archived_customer_takes_no_new_records_until_restored(session: Session) -> None:
    customer = factories.customer()
    service.archive_customer(session, ACTOR, customer_id=customer.id)
    archived_at = customer.archived_at
    service.archive_customer(session, ACTOR, customer_id=customer.id)
    assert customer.archived_at == archived_at
    with pytest.raises(service.CustomerArchived):
        service.resolve_customer(session, customer_id=customer.id, customer_uscc=None)
    service.restore_customer(session, ACTOR, customer_id=customer.id, expected_version=2)
    assert (
        service.resolve_customer(session, customer_id=None, customer_uscc=customer.uscc) is customer
    )
