from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.kit.money import Money
from fengkong.legal_events import service
from fengkong.legal_events.kinds import LegalEventType
from fengkong.legal_events.schemas import LegalEventUpdate
from tests import factories

ACTOR = Actor.system("test")


def test_an_event_keeps_its_natural_key_unique_when_corrected(session: Session) -> None:
    first = factories.legal_event(case_number="(2026)京01民初1号")
    second = factories.legal_event(
        customer_id=first.customer_id,
        case_number="(2026)京01民初2号",
        amount=Money.of("100", "CNY"),
    )
    with pytest.raises(service.DuplicateLegalEvent):
        service.update_legal_event(
            session,
            ACTOR,
            legal_event_id=second.id,
            data=LegalEventUpdate(case_number=first.case_number),
        )
    service.update_legal_event(
        session,
        ACTOR,
        legal_event_id=second.id,
        data=LegalEventUpdate(event_type=LegalEventType.JUDGMENT, amount=None),
    )
    assert (second.event_type, second.amount, second.currency) == (
        LegalEventType.JUDGMENT,
        None,
        None,
    )
    assert second.occurred_on == date(2026, 2, 14)
