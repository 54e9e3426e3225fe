"""Periodic reviews in the UI: the list with overdue reviews first, starting and completing a
review from the page; and the notification-preferences page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.kit.time import business_today
from fengkong.notifications import service as notifications_service
from fengkong.notifications.status import EmailMode
from fengkong.reviews import service
from fengkong.reviews.status import ReviewStatus
from fengkong.settings import get_settings
from tests import factories
from tests.personas import Personas
from tests.web.conftest import SignedIn

SYSTEM = Actor.system("test")
ITEMS = ["financials_updated", "credit_report_pulled", "limit_reassessed", "visit_or_call_notes"]


def test_an_analyst_starts_and_completes_a_review_from_the_list(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    today = business_today(get_settings().zone)
    customer = factories.customer(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    service.schedule_reviews(session, SYSTEM, today=today, customer_ids=[customer.id])
    [review] = service.list_reviews(session, SYSTEM, today=today, customer_id=customer.id)
    web = signed_in(personas.alice_analyst)

    page = web.page("/reviews")
    assert page.status_code == 200
    assert "定期复审" in page.text
    assert f'id="review-{review.id}"' in page.text
    assert f'action="/reviews/{review.id}/complete"' in page.text

    assert web.post(f"/reviews/{review.id}/start", {}).status_code == 303
    assert review.status is ReviewStatus.IN_PROGRESS
    form: dict[str, Any] = {
        "csrf_token": web.csrf_token(),
        "grade_outcome": "confirmed",
        "limit_outcome": "kept",
        "tick": ITEMS,
        "notes": "电话回访",
    }
    response = web.http.post(f"/reviews/{review.id}/complete", data=form, follow_redirects=False)
    assert response.status_code == 303
    completed = service.get_review(session, SYSTEM, review_id=review.id)
    assert completed.status is ReviewStatus.COMPLETED
    assert completed.notes == "电话回访"
    assert "下次复审日期为" in web.page("/reviews").text


def test_sales_cannot_open_the_reviews_page_and_the_auditor_sees_no_forms(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    today = business_today(get_settings().zone)
    customer = factories.customer(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    service.schedule_reviews(session, SYSTEM, today=today, customer_ids=[customer.id])
    assert signed_in(personas.sam_sales).get("/reviews").status_code == 403
    page = signed_in(personas.ada_auditor).page("/reviews")
    assert page.status_code == 200
    assert "/complete" not in page.text


def test_every_user_sets_their_own_email_preference_on_the_notifications_page(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.sam_sales)
    assert 'href="/me/notifications"' in web.page("/").text
    saved = web.post(
        "/me/notifications", {"topic": "*", "mode": "daily_digest", "email": "sam@example.com"}
    )
    assert saved.status_code == 303
    page = web.page("/me/notifications")
    assert "sam@example.com" in page.text
    assert "每日摘要" in page.text
    [row] = notifications_service.list_subscriptions(
        session, personas.sam_sales.actor, user_id=personas.sam_sales.user.id
    )
    assert row.mode is EmailMode.DAILY_DIGEST
    assert web.post("/me/notifications/delete", {"topic": "*"}).status_code == 303
    assert (
        notifications_service.list_subscriptions(
            session, personas.sam_sales.actor, user_id=personas.sam_sales.user.id
        )
        == []
    )
