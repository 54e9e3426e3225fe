"""The access scope on the session: what a sales user's reads return, whatever the query."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from fengkong.access import regions
from fengkong.access.scope import WHOLE_BOOK
from fengkong.auth import service as auth_service
from fengkong.auth.actor import Actor
from fengkong.customers import service as customers_service
from fengkong.customers.models import Customer
from fengkong.customers.schemas import CustomerCreate
from fengkong.errors import PermissionDenied, ValidationFailed
from fengkong.receivables.models import Invoice
from tests import factories
from tests.personas import Personas


@contextmanager
def acting_as(session: Session, actor: Actor) -> Iterator[Session]:
    previous = session.info.get("actor")
    session.info["actor"] = actor
    try:
        yield session
    finally:
        session.info["actor"] = previous


def _ids(customers: list[Customer]) -> set[int]:
    return {customer.id for customer in customers}


@pytest.fixture
def sam(personas: Personas) -> Actor:
    """Sam in sales without a region: his own customers only."""
    return replace(personas.sam_sales.actor, region_code=None)


def test_a_sales_user_reads_his_own_customers_and_not_another_owners(
    session: Session, personas: Personas, sam: Actor
) -> None:
    own = factories.customer_of(personas.sam_sales.user)
    theirs = factories.customer_of(personas.alice_analyst.user)
    nobodys = factories.customer()
    with acting_as(session, sam):
        listed = _ids(list(session.scalars(select(Customer))))
        counted = session.scalar(select(func.count()).select_from(Customer))
    assert own.id in listed
    assert theirs.id not in listed
    assert nobodys.id not in listed
    assert counted == len(listed)


def test_get_by_id_of_an_out_of_scope_customer_finds_nothing_even_when_already_loaded(
    session: Session, personas: Personas, sam: Actor
) -> None:
    theirs = factories.customer()  # in the session's identity map already
    own = factories.customer_of(personas.sam_sales.user)
    with acting_as(session, sam):
        assert session.get(Customer, theirs.id) is None
        assert session.get(Customer, own.id) is own
    assert session.get(Customer, theirs.id) is theirs


def test_the_region_prefix_admits_customers_of_the_region_and_nothing_of_another(
    session: Session, personas: Personas
) -> None:
    in_pudong = factories.customer(region_code="310115")
    factories.customer(region_code="320100")
    shanghai_sales = replace(personas.sam_sales.actor, region_code="31")
    pudong_sales = replace(personas.sam_sales.actor, region_code="310115")
    huangpu_sales = replace(personas.sam_sales.actor, region_code="310101")
    with acting_as(session, shanghai_sales):
        assert _ids(list(session.scalars(select(Customer)))) == {in_pudong.id}
    with acting_as(session, pudong_sales):
        assert _ids(list(session.scalars(select(Customer)))) == {in_pudong.id}
    with acting_as(session, huangpu_sales):
        assert _ids(list(session.scalars(select(Customer)))) == set()


def test_records_bound_to_a_customer_follow_its_scope(
    session: Session, personas: Personas, sam: Actor
) -> None:
    own_invoice = factories.invoice(customer_id=factories.customer_of(personas.sam_sales.user).id)
    their_invoice = factories.invoice(customer_id=factories.customer().id)
    with acting_as(session, sam):
        invoices = {invoice.id for invoice in session.scalars(select(Invoice))}
        joined = session.execute(
            select(Invoice.id, Customer.name).join(Customer, Customer.id == Invoice.customer_id)
        ).all()
        assert session.get(Invoice, their_invoice.id) is None
    assert invoices == {own_invoice.id}
    assert [row.id for row in joined] == [own_invoice.id]


def test_an_aliased_customer_is_scoped_too(
    session: Session, personas: Personas, sam: Actor
) -> None:
    factories.customer()
    own = factories.customer_of(personas.sam_sales.user)
    other = aliased(Customer)
    with acting_as(session, sam):
        assert list(session.scalars(select(other.id))) == [own.id]


def test_roles_that_see_the_whole_book_are_not_scoped(session: Session, personas: Personas) -> None:
    customers = {factories.customer().id, factories.customer_of(personas.sam_sales.user).id}
    for persona in (personas.adam_admin, personas.bob_manager, personas.ada_auditor):
        with acting_as(session, persona.actor):
            assert customers <= _ids(list(session.scalars(select(Customer))))


def test_the_whole_book_option_lifts_the_scope_for_one_existence_check(
    session: Session, personas: Personas, sam: Actor
) -> None:
    theirs = factories.customer()
    with acting_as(session, sam):
        statement = select(Customer.id).where(Customer.id == theirs.id)
        assert session.scalar(statement) is None
        assert session.scalar(statement.execution_options(**{WHOLE_BOOK: True})) == theirs.id


def test_a_sales_user_cannot_open_a_second_file_for_a_uscc_he_cannot_see(
    session: Session, personas: Personas, sam: Actor
) -> None:
    theirs = factories.customer()
    with (
        acting_as(session, sam),
        pytest.raises(customers_service.DuplicateUSCC),
    ):
        customers_service.create_customer(
            session, sam, CustomerCreate(uscc=theirs.uscc, name="重复的客户")
        )


def test_a_region_given_to_a_user_reaches_the_actor_and_is_audited(
    session: Session, personas: Personas
) -> None:
    system = Actor.system("test")
    user = regions.assign_region(session, system, username="sam_sales", region_code="3101")
    assert auth_service.actor_for(user).region_code == "3101"
    cleared = regions.assign_region(session, system, username="sam_sales", region_code=None)
    assert auth_service.actor_for(cleared).region_code is None


@pytest.mark.parametrize("code", ["3", "310", "31010a", "3101011", "%"])
def test_a_region_code_is_two_four_or_six_digits(
    session: Session, personas: Personas, code: str
) -> None:
    with pytest.raises(ValidationFailed):
        regions.assign_region(session, Actor.system("test"), username="sam_sales", region_code=code)


def test_only_a_user_manager_assigns_regions(session: Session, personas: Personas) -> None:
    with pytest.raises(PermissionDenied):
        regions.assign_region(
            session, personas.bob_manager.actor, username="sam_sales", region_code="31"
        )
