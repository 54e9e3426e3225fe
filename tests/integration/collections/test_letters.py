from __future__ import annotations

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.collections import service
from fengkong.collections.letters import render_letter
from tests import factories
from tests.integration.collections.conftest import TODAY, overdue_invoice

SYSTEM = Actor.system("test")


def test_letters_in_both_languages_list_the_invoices_and_amounts(session: Session) -> None:
    customer = factories.customer(name="杭州示例贸易有限公司", name_en="Hangzhou Example Trading")
    first = overdue_invoice(customer.id, 31, "12345.67", invoice_number="INV-L-001")
    second = overdue_invoice(customer.id, 45, "1000.00", invoice_number="INV-L-002")
    notice_id = service.run_dunning(session, SYSTEM, today=TODAY).notice_ids[0]

    chinese = render_letter(service.letter(session, SYSTEM, notice_id=notice_id))
    assert "最后催款通知" in chinese
    assert "杭州示例贸易有限公司" in chinese
    assert first.invoice_number in chinese
    assert second.invoice_number in chinese
    assert "¥12,345.67" in chinese
    assert "¥13,345.67" in chinese
    assert "31天" in chinese
    assert "45天" in chinese
    assert "2026年6月30日" in chinese

    english = render_letter(service.letter(session, SYSTEM, notice_id=notice_id, language="en"))
    assert "Final notice" in english
    assert "Hangzhou Example Trading" in english
    assert "INV-L-001" in english
    assert "INV-L-002" in english
    assert "CN¥12,345.67" in english
    assert "CN¥13,345.67" in english
    assert "June 30, 2026" in english


def test_a_letter_escapes_what_came_from_outside(session: Session) -> None:
    customer = factories.customer(name="<script>alert(1)</script>公司")
    overdue_invoice(customer.id, 5, invoice_number="INV-<b>")
    notice_id = service.run_dunning(session, SYSTEM, today=TODAY).notice_ids[0]
    html = render_letter(service.letter(session, SYSTEM, notice_id=notice_id))
    assert "<script>alert" not in html
    assert "&lt;script&gt;" in html
    assert "INV-&lt;b&gt;" in html
