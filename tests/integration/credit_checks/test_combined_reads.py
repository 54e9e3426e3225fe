"""The check reads its facts in a few combined statements (docs/performance.md, issue 5): each
must answer what the owning area's own query answers, for customers that have the facts and
for customers that have none of them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from fengkong.collections import service as collections_service
from fengkong.collections.models import InvoiceDunning, PromiseToPay
from fengkong.collections.status import PromiseStatus
from fengkong.credit_checks import configs, repository, sources
from fengkong.credit_checks.models import CreditCheck
from fengkong.credit_checks.rules import BlockFact
from fengkong.credit_checks.status import Decision
from fengkong.kit.money import Money
from fengkong.limits import service as limits_service
from fengkong.limits.models import CreditBlock, CreditLimit
from fengkong.limits.status import BlockKind, BlockSource, BlockStatus, LimitKind, LimitStatus
from tests import factories
from tests.integration.credit_checks.conftest import DAY, World, run_check


def _limit(session: Session, customer_id: int, kind: LimitKind, yuan: str, **dates: date) -> None:
    session.add(
        CreditLimit(
            customer_id=customer_id,
            kind=kind,
            amount=Money.of(yuan, "CNY"),
            valid_from=dates.get("valid_from", date(2026, 1, 1)),
            valid_until=dates.get("valid_until"),
            status=LimitStatus.ACTIVE,
            granted_by="test",
        )
    )


def _block(session: Session, customer_id: int, kind: BlockKind, reason: str) -> None:
    session.add(
        CreditBlock(
            customer_id=customer_id,
            kind=kind,
            reason=reason,
            source=BlockSource.MANUAL,
            status=BlockStatus.ACTIVE,
            set_by="test",
        )
    )


def _rated_with_limits_and_graded_e_without(session: Session) -> tuple[int, int]:
    """A customer graded B with a permanent limit, a temporary one in force and one expired
    (¥120,000 in force), and one graded E without a limit."""
    rated = factories.customer().id
    _limit(session, rated, LimitKind.PERMANENT, "100000.00")
    _limit(session, rated, LimitKind.TEMPORARY, "20000.00", valid_until=DAY + timedelta(days=5))
    _limit(session, rated, LimitKind.TEMPORARY, "9000.00", valid_until=DAY - timedelta(days=1))
    factories.rate_customer(session, rated, grade="B", as_of=DAY)
    without_limit = factories.customer().id
    factories.rate_customer(session, without_limit, grade="E", as_of=DAY)
    return rated, without_limit


def test_the_limit_and_risk_class_agree_with_the_limits_area(session: Session) -> None:
    rated, without_limit = _rated_with_limits_and_graded_e_without(session)
    unknown = factories.customer().id
    session.flush()

    for customer_id in (rated, without_limit, unknown):
        read = sources.order_and_limit(session, "SO-NONE", customer_id, on=DAY)
        assert read.limit == sources.limit_in_force(session, customer_id, on=DAY)
        assert read.risk_class == limits_service.risk_class(session, customer_id)
    found = sources.order_and_limit(session, "SO-NONE", rated, on=DAY).limit
    assert found is not None
    assert found.amount_minor == 12_000_000
    assert sources.order_and_limit(session, "SO-NONE", without_limit, on=DAY).limit is None


def _latest_of(check: CreditCheck | None) -> repository.LatestCheck | None:
    """The columns of a stored check the order-state read must give back."""
    if check is None:
        return None
    return repository.LatestCheck(
        check.id,
        check.customer_id,
        check.request_sha256,
        check.decision,
        check.currency,
        check.amount_minor,
        check.stage,
        check.rule_set_version_id,
    )


def test_the_order_and_limit_read_agrees_with_the_order_state_and_the_limits_area(
    session: Session,
) -> None:
    rated, without_limit = _rated_with_limits_and_graded_e_without(session)
    configs.ensure_active(session)
    session.flush()
    # Checked (so the order has a latest check and an ``orders`` row) by the real areas' reads.
    checked = run_check(session, rated, "SO-LIMITS", "100.00").check

    for customer_id, order_number in (
        (rated, "SO-LIMITS"),
        (rated, "SO-NEW"),
        (without_limit, "SO-LIMITS"),
        (without_limit, "SO-NONE"),
    ):
        read = sources.order_and_limit(session, order_number, customer_id, on=DAY)
        found = limits_service.limit_in_force(session, customer_id, on=DAY)
        assert read.state.latest == _latest_of(repository.latest_check(session, order_number))
        assert read.state.order == repository.find_order(session, order_number)
        assert read.risk_class == limits_service.risk_class(session, customer_id)
        assert (read.limit is None) == (found is None)
        if found is not None and read.limit is not None:
            assert (read.limit.amount_minor, read.limit.limit_id, read.limit.kind) == (
                found.amount.minor_units,
                found.limit_id,
                str(found.kind),
            )
    read = sources.order_and_limit(session, "SO-LIMITS", rated, on=DAY)
    assert read.state.latest == _latest_of(checked)
    assert read.limit is not None
    assert read.limit.amount_minor == 12_000_000
    assert (
        read.risk_class != sources.order_and_limit(session, "X", without_limit, on=DAY).risk_class
    )


def test_the_standing_agrees_with_collections_limits_and_the_horizon_read(
    session: Session,
) -> None:
    customer_id = factories.customer().id
    overdue = factories.invoice(
        customer_id=customer_id,
        issue_date=DAY - timedelta(days=90),
        due_date=DAY - timedelta(days=60),
        amount=Money.of("5000.00", "CNY"),
    )
    factories.invoice(
        customer_id=customer_id,
        issue_date=DAY,
        due_date=DAY + timedelta(days=60),
        amount=Money.of("7000.00", "CNY"),
    )
    late = factories.order(
        customer_id=customer_id,
        requested_delivery_on=DAY + timedelta(days=45),
        amount=Money.of("3000.00", "CNY"),
    )
    factories.order(
        customer_id=customer_id,
        requested_delivery_on=DAY + timedelta(days=50),
        amount=Money.of("400.00", "CNY"),
    )
    session.add(InvoiceDunning(invoice_id=overdue.id, customer_id=customer_id, level=2))
    session.add(
        PromiseToPay(
            customer_id=customer_id,
            amount=Money.of("1200.00", "CNY"),
            promised_on=DAY,
            due_on=DAY + timedelta(days=3),
            status=PromiseStatus.OPEN,
            recorded_by="test",
        )
    )
    _block(session, customer_id, BlockKind.STOP_SHIPPING, "仓库盘点")
    _block(session, customer_id, BlockKind.CREDIT_BLOCK, "公司涉嫌欺诈")
    session.flush()
    horizon = DAY + timedelta(days=30)

    found = sources.standing(
        session,
        customer_id,
        on=DAY,
        currency="CNY",
        promised=True,
        dunning=True,
        blocks=True,
        horizons={30: horizon},
        except_order_id=late.id,
    )

    assert found.promised == collections_service.promised_amount(session, customer_id, on=DAY)
    assert found.promised == 120_000
    assert found.dunning_level == collections_service.dunning_level(session, customer_id) == 2
    assert found.blocks == tuple(
        BlockFact(kind=str(view.kind), reason=view.reason, source=str(view.source))
        for view in limits_service.active_blocks(session, customer_id)
    )
    assert [block.kind for block in found.blocks] == ["stop_shipping", "credit_block"]
    # The ¥7,000 invoice due after the horizon and the ¥400 order delivered after it; the
    # order being checked (¥3,000) is left out.
    assert found.beyond_horizon == {30: 740_000}


def test_a_customer_without_facts_has_an_empty_standing(session: Session) -> None:
    customer_id = factories.customer().id

    found = sources.standing(
        session,
        customer_id,
        on=DAY,
        currency="CNY",
        promised=True,
        dunning=True,
        blocks=True,
        horizons={30: DAY + timedelta(days=30), 60: DAY + timedelta(days=60)},
        except_order_id=None,
    )

    assert (found.promised, found.dunning_level, found.blocks) == (0, 0, ())
    assert found.beyond_horizon == {30: 0, 60: 0}


def test_the_order_state_names_the_latest_check_the_order_and_the_active_rule_set(
    session: Session, world: World
) -> None:
    customer_id = factories.customer().id
    world.limit(customer_id, "100000.00")

    def order_state(order_number: str) -> repository.OrderState:
        return sources.order_and_limit(session, order_number, customer_id, on=DAY).state

    assert order_state("SO-1") == repository.OrderState(None, None, None)

    first = run_check(session, customer_id, "SO-1", "100.00").check
    latest = run_check(session, customer_id, "SO-1", "200.00").check
    state = order_state("SO-1")
    active = configs.rule_sets.active_row(session)

    assert active is not None
    assert first.id < latest.id
    assert state.latest == _latest_of(latest)
    assert state.latest is not None
    assert (state.latest.amount_minor, state.latest.decision) == (20_000, Decision.APPROVE)
    assert state.order == repository.find_order(session, "SO-1")
    assert state.order is not None
    assert state.order.amount_minor == 20_000
    assert state.rule_set == repository.ActiveRuleSet(active.id, active.version, active.sha256)
    other = order_state("SO-2")
    assert (other.latest, other.order, other.rule_set) == (None, None, state.rule_set)
