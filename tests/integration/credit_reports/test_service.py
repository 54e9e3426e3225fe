from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.credit_reports import service
from fengkong.credit_reports.schemas import CreditReportCreate
from fengkong.errors import ValidationFailed
from tests import factories

ACTOR = Actor.system("test")


def test_a_report_by_uscc_is_filed_once_per_agency_and_date(session: Session) -> None:
    customer = factories.customer()
    data = CreditReportCreate(
        customer_uscc=customer.uscc, agency="东方金诚", rating="AA", report_date=date(2026, 1, 2)
    )
    report = service.create_credit_report(session, ACTOR, data=data)
    assert (report.customer_id, report.verified) == (customer.id, False)
    with pytest.raises(service.DuplicateCreditReport):
        service.create_credit_report(session, ACTOR, data=data)
    with pytest.raises(ValidationFailed):
        service.create_credit_report(
            session,
            ACTOR,
            data=data.model_copy(update={"agency": "其他", "valid_until": date(2025, 1, 1)}),
        )
