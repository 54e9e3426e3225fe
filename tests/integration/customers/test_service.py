from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers import service
from fengkong.customers.schemas import CustomerCreate, CustomerUpdate
from fengkong.customers.status import CustomerStatus
from fengkong.errors import PreconditionFailed, ValidationFailed
from fengkong.kit.money import Money
from fengkong.kit.pagination import PageRequest
from tests import factories

ACTOR = Actor.system("test")


def test_a_created_customer_keeps_its_capital_exactly_and_belongs_to_its_creator(
    session: Session,
) -> None:
    owner = factories.user()
    actor = Actor(user_id=owner.id, username=owner.username, role=owner.role)
    customer = service.create_customer(
        session,
        actor,
        CustomerCreate.model_validate(
            {
                "uscc": factories.make_uscc(42),
                "name": "宁波海通物流有限公司",
                "industry_code": "g54",
                "region_code": "330200",
                "registered_capital": {"amount": "50000000.00", "currency": "cny"},
            }
        ),
    )
    assert customer.registered_capital == Money.of("50000000", "CNY")
    assert customer.industry_code == "G54"
    assert customer.owner_id == owner.id
    assert customer.status is CustomerStatus.ACTIVE


def test_a_second_customer_with_the_same_uscc_is_a_conflict(session: Session) -> None:
    existing = factories.customer()
    with pytest.raises(service.DuplicateUSCC):
        service.create_customer(
            session, ACTOR, CustomerCreate(uscc=existing.uscc, name="重复的公司")
        )


def test_search_matches_name_english_name_or_uscc_and_filters_combine(session: Session) -> None:
    wanted = factories.customer(
        name="深圳华星电子有限公司", industry_code="C39", region_code="440300"
    )
    factories.customer(name="深圳华星物流有限公司", industry_code="G54", region_code="440300")
    factories.customer(name="北京华星电子有限公司", industry_code="C39", region_code="110000")

    def names(criteria: service.CustomerFilter) -> list[str]:
        page = service.list_customers(session, ACTOR, criteria=criteria)
        return [customer.name for customer in page.items]

    Filter = service.CustomerFilter
    assert names(Filter(search="华星", industry_section="C", region_code="440000")) == [wanted.name]
    assert names(Filter(search=wanted.uscc[-8:])) == [wanted.name]
    assert len(names(Filter(search="华星"))) == 3
    assert names(Filter(search="100%")) == []


def test_pages_split_the_sorted_list_without_overlap(session: Session) -> None:
    for index in range(7):
        factories.customer(name=f"分页测试公司{index}", region_code="530000")
    criteria = service.CustomerFilter(region_code="530000")
    pages = [
        service.list_customers(
            session, ACTOR, criteria=criteria, page=PageRequest(page=number, page_size=3)
        )
        for number in (1, 2, 3)
    ]
    assert [page.total for page in pages] == [7, 7, 7]
    assert pages[0].pages == 3
    seen = [customer.name for page in pages for customer in page.items]
    assert seen == sorted(seen)
    assert len(set(seen)) == 7


def test_a_stale_version_is_refused_and_nothing_changes(session: Session) -> None:
    customer = factories.customer(name="原名有限公司")
    with pytest.raises(PreconditionFailed):
        service.update_customer(
            session,
            ACTOR,
            customer.id,
            CustomerUpdate(name="新名有限公司"),
            expected_version=customer.version + 1,
        )
    assert customer.name == "原名有限公司"
    updated = service.update_customer(
        session, ACTOR, customer.id, CustomerUpdate(name="新名有限公司"), expected_version=1
    )
    assert (updated.name, updated.version) == ("新名有限公司", 2)


def test_status_moves_only_along_allowed_transitions(session: Session) -> None:
    customer = factories.customer(status=CustomerStatus.PROSPECT)
    with pytest.raises(ValidationFailed, match="prospect to dormant"):
        service.update_customer(
            session, ACTOR, customer.id, CustomerUpdate(status=CustomerStatus.DORMANT)
        )
    service.update_customer(
        session, ACTOR, customer.id, CustomerUpdate(status=CustomerStatus.ACTIVE)
    )
    assert customer.status is CustomerStatus.ACTIVE


def test_an_unknown_customer_is_not_found(session: Session) -> None:
    with pytest.raises(service.CustomerNotFound):
        service.get_customer(session, ACTOR, 987654)
