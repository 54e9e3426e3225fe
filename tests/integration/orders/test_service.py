from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.errors import PreconditionFailed, ValidationFailed
from fengkong.orders import service
from fengkong.orders.schemas import OrderUpdate
from fengkong.orders.status import OrderStatus
from fengkong.records import RecordArchived
from tests import factories

ACTOR = Actor.system("test")


def test_an_invoiced_order_is_final_and_an_archived_one_frozen(session: Session) -> None:
    order = factories.order()
    service.update_order(
        session, ACTOR, order_id=order.id, data=OrderUpdate(status=OrderStatus.INVOICED)
    )
    with pytest.raises(ValidationFailed, match="invoiced to cancelled"):
        service.update_order(
            session, ACTOR, order_id=order.id, data=OrderUpdate(status=OrderStatus.CANCELLED)
        )
    with pytest.raises(PreconditionFailed):
        service.archive_order(session, ACTOR, order_id=order.id, expected_version=1)
    service.archive_order(session, ACTOR, order_id=order.id, expected_version=2)
    with pytest.raises(RecordArchived):
        service.update_order(
            session, ACTOR, order_id=order.id, data=OrderUpdate(order_number="SO-RENAMED")
        )
