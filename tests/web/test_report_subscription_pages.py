"""The report subscriptions page under the notification preferences: a user subscribes, pauses
and deletes their own; another user's is out of reach; an admin sees everyone's."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fengkong.reports.models import ReportSubscription
from tests.personas import Personas
from tests.web.conftest import SignedIn

PAGE = "/me/notifications/reports"
MONTHLY_PORTFOLIO = {
    "kind": "portfolio",
    "format": "pdf",
    "frequency": "monthly",
    "run_day": "31",
    "email": "bob@example.com",
    "locale": "en",
}


def _subscriptions(session: Session) -> list[ReportSubscription]:
    session.expire_all()
    return list(session.scalars(select(ReportSubscription).order_by(ReportSubscription.id)))


def test_a_user_subscribes_pauses_and_deletes_from_the_page(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    bob = signed_in(personas.bob_manager)
    assert 'href="/me/notifications/reports"' in bob.page("/me/notifications").text

    created = bob.post(PAGE, MONTHLY_PORTFOLIO)

    assert (created.status_code, created.headers["location"]) == (303, PAGE)
    [subscription] = _subscriptions(session)
    assert (subscription.user_id, subscription.run_day) == (personas.bob_manager.user.id, 31)
    page = bob.page(PAGE).text
    assert f'id="report-subscription-{subscription.id}"' in page
    assert "bob@example.com" in page
    bob.post(f"{PAGE}/{subscription.id}/active", {"active": "false"})
    assert not _subscriptions(session)[0].active
    bob.post(f"{PAGE}/{subscription.id}/delete")
    assert _subscriptions(session) == []


def test_an_invalid_or_forbidden_subscription_is_refused_with_a_message(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    sam = signed_in(personas.sam_sales)
    sam.post(PAGE, MONTHLY_PORTFOLIO)
    bob = signed_in(personas.bob_manager)
    bob.post(PAGE, {**MONTHLY_PORTFOLIO, "frequency": "weekly", "run_day": "9"})
    assert _subscriptions(session) == []
    assert "flash--error" in bob.page(PAGE).text


def test_only_an_admin_reaches_another_users_subscription(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    signed_in(personas.bob_manager).post(PAGE, MONTHLY_PORTFOLIO)
    [subscription] = _subscriptions(session)
    alice = signed_in(personas.alice_analyst)
    alice.post(f"{PAGE}/{subscription.id}/delete")
    assert f'id="report-subscription-{subscription.id}"' not in alice.page(PAGE).text
    admin = signed_in(personas.adam_admin)
    assert f'id="report-subscription-{subscription.id}"' in admin.page(PAGE).text
    admin.post(f"{PAGE}/{subscription.id}/active", {"active": "false"})
    assert [row.active for row in _subscriptions(session)] == [False]


def test_the_form_offers_every_field_the_subscription_takes(
    signed_in: SignedIn, personas: Personas
) -> None:
    page = signed_in(personas.bob_manager).page(PAGE).text
    fields = {name: f"sub-{name}" for name in MONTHLY_PORTFOLIO}
    fields |= {"run_day": "sub-day", "customer_id": "sub-customer"}
    for name, field_id in fields.items():
        assert f'<label class="field__label" for="{field_id}">' in page, name
        assert f'id="{field_id}" name="{name}"' in page, name
    assert '<option value="pdf">PDF</option>' in page
    assert '<option value="monthly">每月</option>' in page
    assert '<option value="zh_CN" selected>' in page
    preferences = signed_in(personas.bob_manager).page("/me/notifications").text
    assert 'name="email" type="email" maxlength="254" required' in preferences
