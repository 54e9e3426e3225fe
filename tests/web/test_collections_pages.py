"""Collections in the UI: the worklist, recording a promise, the dunning run button, notices and
their letters, and who sees what."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from fengkong.collections import service
from fengkong.kit.money import Money
from fengkong.kit.time import business_today
from fengkong.settings import Settings
from tests import factories
from tests.personas import Personas
from tests.web.conftest import SignedIn


def overdue(session: Session, settings: Settings, days: int, amount: str) -> int:
    customer = factories.customer()
    due = business_today(settings.zone) - timedelta(days=days)
    factories.invoice(
        customer_id=customer.id,
        issue_date=due - timedelta(days=30),
        due_date=due,
        amount=Money.of(amount, "CNY"),
        outstanding=Money.of(amount, "CNY"),
        invoice_number=f"INV-WEB-{customer.id}",
    )
    return customer.id


def test_the_worklist_page_ranks_overdue_customers_and_the_run_issues_letters(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    small = overdue(session, settings, 20, "300.00")
    big = overdue(session, settings, 20, "70000.00")
    analyst = signed_in(personas.alice_analyst)
    page = analyst.page("/collections")
    assert page.status_code == 200
    assert 'href="/collections"' in page.text  # the menu entry
    assert page.text.index(f"/customers/{big}") < page.text.index(f"/customers/{small}")
    assert "¥70,000.00" in page.text
    assert 'action="/collections/dunning-run"' in page.text

    ran = analyst.post("/collections/dunning-run")
    assert ran.status_code == 303
    notices = analyst.page("/collections/notices")
    assert "DN-" in notices.text
    (notice_id,) = (
        notice.id
        for notice in service.list_notices(session, personas.alice_analyst.actor, customer_id=big)[
            1
        ]
    )
    letter = analyst.get(f"/collections/notices/{notice_id}/letter?lang=en")
    assert letter.status_code == 200
    assert "Second notice" in letter.text
    assert f"INV-WEB-{big}" in letter.text


def test_sales_records_a_promise_from_the_worklist_but_cannot_run_dunning(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    customer_id = overdue(session, settings, 5, "900.00")
    sales = signed_in(personas.sam_sales)
    page = sales.page("/collections")
    assert "记录付款承诺" in page.text  # pages are in Chinese by default
    assert 'action="/collections/dunning-run"' not in page.text
    due_on = (business_today(settings.zone) + timedelta(days=7)).isoformat()
    recorded = sales.post(
        "/collections/promises",
        {"customer_id": str(customer_id), "amount": "900.00", "currency": "CNY", "due_on": due_on},
    )
    assert recorded.status_code == 303
    promises = service.list_promises(session, personas.sam_sales.actor, customer_id=customer_id)
    assert [(p.amount, p.recorded_by) for p in promises] == [
        (Money.of("900.00", "CNY"), "sam_sales")
    ]
    assert sales.post("/collections/dunning-run").status_code == 403


def test_a_bad_promise_amount_comes_back_as_a_message_not_an_error(
    signed_in: SignedIn, personas: Personas, session: Session, settings: Settings
) -> None:
    customer_id = overdue(session, settings, 5, "900.00")
    analyst = signed_in(personas.alice_analyst)
    response = analyst.post(
        "/collections/promises",
        {"customer_id": str(customer_id), "amount": "-5", "due_on": "2030-01-01"},
    )
    assert response.status_code == 303
    assert (
        service.list_promises(session, personas.alice_analyst.actor, customer_id=customer_id) == []
    )
