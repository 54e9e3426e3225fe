"""Credit limits in the UI: the customer page's limit section with the recommendation's
reasoning, the request form, the approvals queue, and the blocks page."""

from __future__ import annotations

from sqlalchemy.orm import Session

from fengkong.limits import service
from fengkong.limits.status import BlockKind, BlockStatus, RequestStatus
from tests.integration.limits.conftest import graded_customer
from tests.personas import Personas
from tests.web.conftest import SignedIn


def test_the_customer_page_shows_the_recommendation_with_its_reasoning_in_chinese(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    page = signed_in(personas.sam_sales).page(f"/customers/{customer.id}")
    assert page.status_code == 200
    assert 'id="limit"' in page.text
    assert "信用额度" in page.text
    assert "4,500,000.00 × 15% = 675,000.00" in page.text
    assert f'action="/customers/{customer.id}/limit-requests"' in page.text
    assert f'action="/customers/{customer.id}/blocks"' not in page.text  # sales cannot block


def test_sales_requests_and_an_analyst_approves_from_the_queue(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    sales = signed_in(personas.sam_sales)
    response = sales.post(
        f"/customers/{customer.id}/limit-requests",
        {"kind": "new", "amount": "300,000.00", "justification": "首单"},
    )
    assert response.status_code == 303
    [request] = service.list_requests(session, personas.sam_sales.actor, customer_id=customer.id)
    assert request.status is RequestStatus.SUBMITTED

    analyst = signed_in(personas.alice_analyst)
    queue = analyst.page("/approvals")
    assert f'action="/approvals/{request.id}/decision"' in queue.text
    assert "首单" in queue.text
    assert f'action="/approvals/{request.id}/decision"' not in sales.page("/approvals").text

    decided = analyst.post(f"/approvals/{request.id}/decision", {"decision": "approve"})
    assert (decided.status_code, decided.headers["location"]) == (303, "/approvals")
    session.refresh(request)
    detail = service.get_request(session, personas.ada_auditor.actor, request_id=request.id)
    assert detail.request.status is RequestStatus.APPROVED
    page = analyst.page(f"/customers/{customer.id}")
    assert "300,000.00" in page.text
    assert "<meter" in page.text


def test_a_rejection_without_a_comment_is_flashed_and_changes_nothing(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    sales = signed_in(personas.sam_sales)
    sales.post(
        f"/customers/{customer.id}/limit-requests",
        {"kind": "new", "amount": "1000", "justification": "x"},
    )
    [request] = service.list_requests(session, personas.sam_sales.actor, customer_id=customer.id)
    analyst = signed_in(personas.alice_analyst)
    analyst.post(f"/approvals/{request.id}/decision", {"decision": "reject"})
    session.refresh(request)
    assert request.status is RequestStatus.SUBMITTED
    assert "say why the request is rejected" in analyst.page("/approvals").text


def test_the_blocks_page_lists_blocks_and_releases_one_with_a_reason(
    signed_in: SignedIn, personas: Personas, session: Session
) -> None:
    customer = graded_customer(session, "B")
    block = service.set_block(
        session,
        personas.bob_manager.actor,
        customer_id=customer.id,
        kind=BlockKind.STOP_SHIPPING,
        reason="涉诉冻结",
    )
    auditor = signed_in(personas.ada_auditor)
    listing = auditor.page("/blocks")
    assert "涉诉冻结" in listing.text
    assert f'action="/blocks/{block.id}/release"' not in listing.text
    assert auditor.post(f"/blocks/{block.id}/release", {"reason": "x"}).status_code == 403

    analyst = signed_in(personas.alice_analyst)
    released = analyst.post(f"/blocks/{block.id}/release", {"reason": "已解除"})
    assert (released.status_code, released.headers["location"]) == (303, "/blocks")
    session.refresh(block)
    assert (block.status, block.release_reason) == (BlockStatus.RELEASED, "已解除")
