"""Settings in the UI: every versioned configuration through the same pages (versions, one
version with its difference from the one in force, import, activate, download), and the webhook
and dead-letter pages."""

from __future__ import annotations

import re

import pytest
from httpx2 import Response
from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.config_versions import ConfigStatus
from fengkong.monitoring import service as monitoring_service
from fengkong.notifications import service as notifications_service
from fengkong.notifications.models import Delivery
from fengkong.notifications.status import DeliveryStatus
from fengkong.web.settings_kinds import SETTINGS_KINDS, SettingsKind
from tests.personas import Personas
from tests.web.conftest import SignedIn, WebClient, csrf_token_in

SYSTEM = Actor.system("test")
BROKEN_YAML = "name: broken\nrules:\n  - id: x\n   kind: [\n"


def renamed(kind: SettingsKind, name: str) -> str:
    """The shipped YAML of ``kind`` under another name: a valid new version."""
    return re.sub(r"(?m)^name: .*$", f"name: {name}", kind.store.shipped_yaml(), count=1)


def versions(session: Session, kind: SettingsKind) -> list[tuple[int, ConfigStatus]]:
    return [(row.version, row.status) for row in kind.store.list_versions(session, SYSTEM)]


def token(web: WebClient) -> str:
    """The session's CSRF token, read off a settings page (lighter than the dashboard)."""
    return csrf_token_in(web.page("/settings").text)


def send(web: WebClient, url: str, data: dict[str, str] | None = None) -> Response:
    """Post a form as the settings pages do, with this session's CSRF token."""
    return web.post_raw(url, {"csrf_token": token(web), **(data or {})})


def import_form(web: WebClient, yaml_text: str, note: str = "") -> dict[str, str]:
    return {"csrf_token": token(web), "yaml_text": yaml_text, "note": note}


def test_each_kind_lists_its_versions_and_shows_one_in_chinese_and_english(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    chinese = signed_in(personas.ada_auditor)
    english = signed_in(personas.bob_manager)
    send(english, "/locale", {"locale": "en", "next": "/"})
    for slug, kind in SETTINGS_KINDS.items():
        kind.store.ensure_active_row(session, SYSTEM)
        listing = chinese.page(f"/settings/{slug}")
        assert listing.status_code == 200, slug
        assert '<html lang="zh-CN">' in listing.text
        assert "生效中" in listing.text
        assert f'href="/settings/{slug}/1"' in listing.text
        detail = chinese.page(f"/settings/{slug}/1")
        assert detail.status_code == 200, slug
        assert "存储的 YAML 原文" in detail.text
        page = english.page(f"/settings/{slug}/1")
        assert page.status_code == 200, slug
        assert '<html lang="en">' in page.text
        assert "In force" in page.text
        assert "YAML as stored" in page.text
        assert "This is the first version" in page.text


def test_the_yaml_is_shown_escaped_and_downloads_exactly_as_stored(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["limit-policy"]
    text = kind.store.shipped_yaml() + "# <script>alert(1)</script> & more\n"
    kind.store.import_version(session, SYSTEM, yaml_text=text)
    web = signed_in(personas.ada_auditor)
    page = web.page("/settings/limit-policy/1")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page.text
    assert "<script>alert(1)" not in page.text
    download = web.get("/settings/limit-policy/1/yaml")
    assert download.status_code == 200
    assert download.text == text
    assert 'filename="limit-policy-v1.yaml"' in download.headers["content-disposition"]


def test_the_index_lists_the_kinds_with_the_version_in_force_and_webhooks_for_admins_only(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    scale = SETTINGS_KINDS["grade-scale"]
    scale.store.ensure_active_row(session, SYSTEM)
    manager = signed_in(personas.bob_manager).page("/settings")
    assert manager.status_code == 200
    for slug in SETTINGS_KINDS:
        assert f'href="/settings/{slug}"' in manager.text
    assert 'href="/settings/grade-scale/1"' in manager.text
    assert "尚未存储" in manager.text  # the other kinds run on their shipped default
    assert 'href="/rules"' in manager.text
    assert 'href="/settings/webhooks"' not in manager.text
    assert 'href="/settings/webhooks"' in signed_in(personas.adam_admin).page("/settings").text


def test_only_writers_see_the_import_and_activate_buttons(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["credit-check-rules"]
    kind.store.ensure_active_row(session, SYSTEM)
    kind.store.import_version(session, SYSTEM, yaml_text=renamed(kind, "tighter"))
    manager = signed_in(personas.bob_manager)
    assert (
        'href="/settings/credit-check-rules/new"'
        in manager.page("/settings/credit-check-rules").text
    )
    assert (
        'action="/settings/credit-check-rules/2/activate"'
        in manager.page("/settings/credit-check-rules/2").text
    )
    sales = signed_in(personas.sam_sales)
    assert (
        'href="/settings/credit-check-rules/new"'
        not in sales.page("/settings/credit-check-rules").text
    )
    assert "/activate" not in sales.page("/settings/credit-check-rules/2").text
    assert sales.get("/settings/credit-check-rules/new").status_code == 403


def test_a_draft_shows_its_difference_from_the_version_in_force(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["grade-scale"]
    kind.store.ensure_active_row(session, SYSTEM)
    kind.store.import_version(session, SYSTEM, yaml_text=renamed(kind, "stricter-scale"))
    page = signed_in(personas.bob_manager).page("/settings/grade-scale/2")
    assert 'config-diff__line--remove">-name: fengkong-master-scale</span>' in page.text
    assert 'config-diff__line--add">+name: stricter-scale</span>' in page.text
    assert "版本 1" in page.text


def test_a_broken_yaml_is_shown_with_the_parsers_message_and_nothing_is_stored(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.bob_manager)
    response = web.post_raw("/settings/early-warning-rules/new", import_form(web, BROKEN_YAML))
    assert response.status_code == 422
    assert "未保存任何内容" in response.text
    assert "第 4 行，第 4 列" in response.text
    assert "not valid YAML" in response.text
    assert "kind: [" in response.text  # the text sent comes back to be corrected
    assert versions(session, SETTINGS_KINDS["early-warning-rules"]) == []


def test_a_yaml_naming_an_unknown_field_is_refused_with_the_field(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["limit-policy"]
    web = signed_in(personas.bob_manager)
    text = kind.store.shipped_yaml() + "surprise: 1\n"
    response = web.post_raw("/settings/limit-policy/new", import_form(web, text))
    assert response.status_code == 422
    assert "unknown field surprise" in response.text
    assert versions(session, kind) == []


def test_a_valid_import_stores_a_draft_after_the_shipped_default(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["scorecard"]
    web = signed_in(personas.bob_manager)
    text = renamed(kind, "expert-2027")
    sent = import_form(web, text.replace("\n", "\r\n"), note="new weights")
    response = web.post_raw("/settings/scorecard/new", sent)
    assert (response.status_code, response.headers["location"]) == (303, "/settings/scorecard/2")
    assert versions(session, kind) == [(2, ConfigStatus.DRAFT), (1, ConfigStatus.ACTIVE)]
    draft = kind.store.get_version(session, SYSTEM, version=2)
    assert (draft.yaml_text, draft.created_by, draft.note) == (text, "bob_manager", "new weights")
    page = web.page("/settings/scorecard/2")
    assert "已存储为草稿" in page.text
    again = web.post_raw("/settings/scorecard/new", import_form(web, text))
    assert again.headers["location"] == "/settings/scorecard/2"
    assert len(versions(session, kind)) == 2


def test_a_file_is_imported_instead_of_the_text(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["credit-check-rules"]
    web = signed_in(personas.bob_manager)
    text = renamed(kind, "from-a-file")
    response = web.http.post(
        "/settings/credit-check-rules/new",
        data=import_form(web, "ignored: when a file is chosen"),
        files={"upload": ("rules.yaml", text.encode(), "application/yaml")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert kind.store.get_version(session, SYSTEM, version=2).yaml_text == text


def test_the_import_form_starts_from_the_version_in_force(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["grade-scale"]
    form = signed_in(personas.bob_manager).page("/settings/grade-scale/new")
    assert form.status_code == 200
    assert "name: fengkong-master-scale" in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert versions(session, kind) == []  # looking at the form stores nothing


def test_a_permitted_role_activates_a_rule_set_which_takes_effect_at_once(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["early-warning-rules"]
    kind.store.ensure_active_row(session, SYSTEM)
    kind.store.import_version(session, SYSTEM, yaml_text=renamed(kind, "stricter warnings"))
    web = signed_in(personas.bob_manager)
    response = send(web, "/settings/early-warning-rules/2/activate")
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/settings/early-warning-rules/2",
    )
    assert versions(session, kind) == [(2, ConfigStatus.ACTIVE), (1, ConfigStatus.RETIRED)]
    assert monitoring_service.active_rules(session).name == "stricter warnings"
    listing = web.page("/settings/early-warning-rules")
    row = re.search(r'<tr id="version-2">.*?</tr>', listing.text, re.DOTALL)
    assert row is not None
    assert "bob_manager" in row.group(0)


@pytest.mark.parametrize(
    ("slug", "persona"), [("scorecard", "alice_analyst"), ("limit-policy", "ada_auditor")]
)
def test_a_role_without_the_write_permission_is_refused_and_nothing_changes(
    signed_in: SignedIn, personas: Personas, session: Session, slug: str, persona: str
) -> None:
    kind = SETTINGS_KINDS[slug]
    kind.store.ensure_active_row(session, SYSTEM)
    kind.store.import_version(session, SYSTEM, yaml_text=renamed(kind, "not-yet"))
    web = signed_in(getattr(personas, persona))
    assert send(web, f"/settings/{slug}/2/activate").status_code == 403
    refused = web.post_raw(f"/settings/{slug}/new", import_form(web, renamed(kind, "x")))
    assert refused.status_code == 403
    assert versions(session, kind) == [(2, ConfigStatus.DRAFT), (1, ConfigStatus.ACTIVE)]


def test_a_form_without_its_csrf_token_is_refused_and_nothing_changes(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    kind = SETTINGS_KINDS["limit-policy"]
    kind.store.ensure_active_row(session, SYSTEM)
    kind.store.import_version(session, SYSTEM, yaml_text=renamed(kind, "draft"))
    web = signed_in(personas.bob_manager)
    assert web.post_raw("/settings/limit-policy/2/activate", {}).status_code == 403
    forged = web.post_raw(
        "/settings/limit-policy/new", {"csrf_token": "forged", "yaml_text": renamed(kind, "y")}
    )
    assert forged.status_code == 403
    assert versions(session, kind) == [(2, ConfigStatus.DRAFT), (1, ConfigStatus.ACTIVE)]


def test_an_unknown_kind_or_version_is_not_found(signed_in: SignedIn, personas: Personas) -> None:
    web = signed_in(personas.bob_manager)
    assert web.get("/settings/interest-rates").status_code == 404
    assert web.get("/settings/scorecard/7").status_code == 404


def test_an_admin_adds_a_webhook_and_sees_its_secret_only_once(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.adam_admin)
    created = web.http.post(
        "/settings/webhooks",
        data={
            "csrf_token": token(web),
            "name": "ERP",
            "url": "https://erp.example.com/hooks",
            "topics": ["alert.raised", "alert.escalated"],
            "other_topics": "review.overdue, alert.raised",
        },
        follow_redirects=False,
    )
    assert created.status_code == 200, created.text
    (endpoint,) = notifications_service.list_webhooks(session, personas.adam_admin.actor)
    assert endpoint.topics == ["alert.escalated", "alert.raised", "review.overdue"]
    assert endpoint.secret in created.text
    later = web.page("/settings/webhooks")
    assert "https://erp.example.com/hooks" in later.text
    assert endpoint.secret not in later.text


def test_a_refused_webhook_url_comes_back_with_the_reason(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    web = signed_in(personas.adam_admin)
    refused = send(web, "/settings/webhooks", {"name": "bad", "url": "ftp://x", "topics": "*"})
    assert refused.status_code == 400
    assert "an http or https URL is required" in refused.text
    assert 'value="ftp://x"' in refused.text
    assert notifications_service.list_webhooks(session, personas.adam_admin.actor) == []


def test_an_admin_switches_a_webhook_off_and_sees_its_last_delivery(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    endpoint, _ = notifications_service.create_webhook(
        session, SYSTEM, name="ERP", url="https://erp.example.com/h", topics=["*"]
    )
    _dead_letter(session, endpoint.id)
    web = signed_in(personas.adam_admin)
    page = web.page("/settings/webhooks")
    assert "badge--delivery-dead" in page.text
    assert "HTTP 503 from the receiver" in page.text
    response = send(web, f"/settings/webhooks/{endpoint.id}/active", {"active": "false"})
    assert response.status_code == 303
    session.refresh(endpoint)
    assert endpoint.active is False


def _dead_letter(session: Session, endpoint_id: int) -> Delivery:
    notifications_service.notify(
        session,
        SYSTEM,
        topic="alert.raised",
        subject="Alert 7 raised",
        body="b",
        recipients=None,
        payload={},
        dedupe_key="alert-7",
    )
    delivery = session.query(Delivery).filter_by(endpoint_id=endpoint_id).one()
    delivery.status = DeliveryStatus.DEAD
    delivery.attempts = 6
    delivery.last_error = "HTTP 503 from the receiver"
    session.flush()
    return delivery


def test_an_admin_sends_a_dead_letter_again_and_others_may_not(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    endpoint, _ = notifications_service.create_webhook(
        session, SYSTEM, name="ERP", url="https://erp.example.com/h", topics=["*"]
    )
    delivery = _dead_letter(session, endpoint.id)
    manager = signed_in(personas.bob_manager)
    assert manager.get("/settings/deliveries").status_code == 403
    assert send(manager, f"/settings/deliveries/{delivery.id}/retry").status_code == 403
    web = signed_in(personas.adam_admin)
    page = web.page("/settings/deliveries")
    assert f'action="/settings/deliveries/{delivery.id}/retry"' in page.text
    assert "Alert 7 raised" in page.text
    response = send(web, f"/settings/deliveries/{delivery.id}/retry")
    assert (response.status_code, response.headers["location"]) == (303, "/settings/deliveries")
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 0)
    after = web.page("/settings/deliveries")
    assert "已重新排队" in after.text
    assert f'action="/settings/deliveries/{delivery.id}/retry"' not in after.text
