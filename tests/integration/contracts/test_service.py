from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.contracts import service
from fengkong.contracts.status import ContractStatus
from tests import factories

ACTOR = Actor.system("test")


def test_in_force_goes_by_dates_while_status_is_a_filter_of_its_own(session: Session) -> None:
    customer = factories.customer()
    ended = factories.contract(
        customer_id=customer.id, starts_on=date(2024, 1, 1), ends_on=date(2024, 12, 31)
    )
    terminated = factories.contract(customer_id=customer.id, status=ContractStatus.TERMINATED)

    def ids(criteria: service.ContractFilter) -> set[int]:
        return {
            contract.id
            for contract in service.list_contracts(session, ACTOR, criteria=criteria).items
        }

    assert ids(service.ContractFilter(customer_id=customer.id, in_force_on=date(2026, 6, 1))) == {
        terminated.id
    }
    assert ids(service.ContractFilter(customer_id=customer.id, status=ContractStatus.ACTIVE)) == {
        ended.id
    }
