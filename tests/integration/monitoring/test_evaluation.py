"""Rules evaluated against the database: alerts only on flips, cool-down, clears, preview."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fengkong.audit.models import AuditEntry
from fengkong.errors import PermissionDenied
from fengkong.events.models import Event
from fengkong.legal_events.kinds import LegalEventType
from fengkong.monitoring import facts, service
from fengkong.monitoring.models import ALERT_RAISED, Alert, RuleState
from fengkong.monitoring.rules import CustomerFacts
from fengkong.monitoring.status import AlertStatus
from fengkong.receivables.status import InvoiceStatus
from fengkong.recorders import actor_of
from fengkong.reviews.models import Review
from fengkong.reviews.status import ReviewStatus
from fengkong.risk.service import Rating
from tests import factories
from tests.integration.monitoring.conftest import (
    NOW,
    TODAY,
    Notifications,
    overdue_invoice,
    use_rules,
)
from tests.personas import Personas
from tests.recorded import audit_entries_of, events_of, sealed_chain
from tests.sql_statements import statements_sent


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_alert_is_raised_once_when_a_rule_flips_and_re_evaluation_writes_nothing(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    actor = personas.alice_analyst.actor
    late = factories.customer()
    fine = factories.customer()
    overdue_invoice(late.id, days=45)
    overdue_invoice(fine.id, days=5)
    first = service.evaluate_customers(
        session, actor, customer_ids=[late.id, fine.id], as_of=TODAY, now=NOW
    )
    assert (first.customers, first.fired, len(first.raised)) == (2, 1, 1)
    alert = session.get(Alert, first.raised[0])
    assert alert is not None
    assert (alert.customer_id, alert.rule_id, alert.status) == (
        late.id,
        "dpd_over_30",
        AlertStatus.NEW,
    )
    assert alert.values == {"value": 45, "threshold": 30}
    assert alert.due_at == NOW + timedelta(hours=24)
    assert alert.recommended_actions == ["collection_task"]

    counts = (_count(session, RuleState), _count(session, AuditEntry), _count(session, Event))
    again = service.evaluate_customers(
        session, actor, customer_ids=[late.id, fine.id], as_of=TODAY, now=NOW + timedelta(hours=1)
    )
    assert (again.fired, again.raised, again.cleared) == (0, [], 0)
    assert (
        _count(session, RuleState),
        _count(session, AuditEntry),
        _count(session, Event),
    ) == counts
    assert _count(session, Alert) == 1


def _statements(session: Session, work: Callable[[], object]) -> int:
    """How many SQL statements ``work`` sends."""
    return len(statements_sent(session, work))


def test_alerts_raised_together_are_each_stored_and_notified_in_statements_that_do_not_grow(
    session: Session, personas: Personas, notifications: Notifications
) -> None:
    use_rules(session)
    actor = personas.alice_analyst.actor
    late = [factories.customer() for _ in range(6)]
    for customer in late:
        overdue_invoice(customer.id, days=45)
    session.flush()
    summaries: list[service.EvaluationSummary] = []

    def evaluate(customers: list[int]) -> None:
        summaries.append(
            service.evaluate_customers(session, actor, customer_ids=customers, as_of=TODAY, now=NOW)
        )

    two = _statements(session, lambda: evaluate([c.id for c in late[:2]]))
    four = _statements(session, lambda: evaluate([c.id for c in late[2:]]))
    # One insert of states, one of alerts and one audience look-up an evaluation, not one an
    # alert. SQLite's RETURNING cannot be matched to many rows: there they go in one by one.
    per_alert = 2 if session.get_bind().dialect.name == "sqlite" else 0
    assert four - two == 2 * per_alert
    raised = [alert_id for summary in summaries for alert_id in summary.raised]
    alerts = [session.get(Alert, alert_id) for alert_id in raised]
    assert [a.customer_id for a in alerts if a is not None] == [c.id for c in late]
    assert [item["payload"]["alert_id"] for item in notifications.sent] == raised
    assert {item["dedupe_key"] for item in notifications.sent} == {
        f"alert.raised:{alert_id}" for alert_id in raised
    }
    managers = [personas.bob_manager.user.id]
    assert all(item["recipients"] == managers for item in notifications.sent)
    assert all(item["reaching"].user_ids == tuple(managers) for item in notifications.sent)


def test_a_first_evaluation_audits_each_new_state_and_alert_and_announces_each_alert(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    late = [factories.customer() for _ in range(3)]
    for customer in late:
        overdue_invoice(customer.id, days=45)
    summary = service.evaluate_customers(
        session,
        personas.alice_analyst.actor,
        customer_ids=[c.id for c in late],
        as_of=TODAY,
        now=NOW,
    )

    states = session.scalars(select(RuleState).order_by(RuleState.id)).all()
    assert [(state.customer_id, state.level) for state in states] == [(c.id, 1) for c in late]
    for state in states:
        (entry,) = audit_entries_of(session, "rule_states", state.id)
        assert (entry.action, entry.actor_username) == ("create", actor_of(session).username)
        assert entry.after is not None
        assert (entry.after["rule_id"], entry.after["last_values"]) == (
            "dpd_over_30",
            {"value": 45, "threshold": 30},
        )
        assert entry.after["last_alert_at"] == NOW.isoformat()
    assert len(summary.raised) == len(late)
    for alert_id in summary.raised:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        assert (alert.version, alert.status) == (1, AlertStatus.NEW)
        (entry,) = audit_entries_of(session, "alerts", alert_id)
        assert entry.after is not None
        assert (entry.after["id"], entry.after["customer_id"]) == (alert_id, alert.customer_id)
        (event,) = events_of(session, "alerts", alert_id)
        assert (event.event_type, event.customer_id) == (ALERT_RAISED, alert.customer_id)
        assert event.payload["id"] == alert_id
        assert event.payload["values"] == {"value": 45, "threshold": 30}
    assert sealed_chain(session).intact


def test_a_clear_is_recorded_on_the_state_and_noted_on_the_open_alert_without_resolving_it(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    actor = personas.alice_analyst.actor
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, days=45)
    raised = service.evaluate_customers(
        session, actor, customer_ids=[customer.id], as_of=TODAY, now=NOW
    ).raised
    invoice.outstanding = invoice.amount * 0
    invoice.status = InvoiceStatus.PAID
    factories.allocation(
        payment_id=factories.payment(
            customer_id=customer.id, paid_on=TODAY, amount=invoice.amount
        ).id,
        invoice_id=invoice.id,
        amount_minor=invoice.amount.minor_units,
    )
    session.flush()
    later = NOW + timedelta(days=1)
    summary = service.evaluate_customers(
        session, actor, customer_ids=[customer.id], as_of=TODAY, now=later
    )
    assert (summary.cleared, summary.raised) == (1, [])
    state = session.scalars(select(RuleState).where(RuleState.customer_id == customer.id)).one()
    assert (state.level, state.since) == (0, later)
    created, cleared = audit_entries_of(session, "rule_states", state.id)
    assert (created.action, cleared.action) == ("create", "update")
    assert cleared.before is not None
    assert cleared.after is not None
    assert (cleared.before["level"], cleared.after["level"]) == (1, 0)
    alert = session.get(Alert, raised[0])
    assert alert is not None
    assert alert.status is AlertStatus.NEW
    assert alert.condition_cleared_at == later


def test_a_rule_firing_again_inside_its_cool_down_raises_no_second_alert(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    actor = personas.alice_analyst.actor
    customer = factories.customer()
    invoice = overdue_invoice(customer.id, days=45)

    def flip(level_on: bool, at_day: int) -> service.EvaluationSummary:
        invoice.status = InvoiceStatus.OPEN if level_on else InvoiceStatus.WRITTEN_OFF
        session.flush()
        return service.evaluate_customers(
            session,
            actor,
            customer_ids=[customer.id],
            as_of=TODAY,
            now=NOW + timedelta(days=at_day),
        )

    assert len(flip(True, 0).raised) == 1
    assert flip(False, 5).cleared == 1
    inside = flip(True, 10)
    assert (inside.fired, inside.suppressed, inside.raised) == (1, 1, [])
    assert flip(False, 20).cleared == 1
    after = flip(True, 31)
    assert len(after.raised) == 1
    assert _count(session, Alert) == 2


def test_the_shipped_rules_raise_event_staleness_and_contagion_alerts(
    session: Session, personas: Personas
) -> None:
    actor = personas.bob_manager.actor
    customer = factories.customer()
    parent = factories.customer()
    factories.related_party(customer_id=customer.id, related_customer_id=parent.id)
    factories.rate_customer(session, parent.id, grade="E", as_of=TODAY)
    factories.legal_event(
        customer_id=customer.id,
        event_type=LegalEventType.DISHONEST_DEBTOR,
        occurred_on=TODAY - timedelta(days=3),
    )
    summary = service.evaluate_customers(
        session, actor, customer_ids=[customer.id], as_of=TODAY, now=NOW
    )
    rules = set(session.scalars(select(Alert.rule_id).where(Alert.id.in_(summary.raised))).all())
    assert {"dishonest_debtor", "stale_statement", "related_party_distress"} <= rules
    assert summary.rule_set_version == 1


def test_evaluating_everyone_skips_archived_customers_and_needs_alerts_write(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    active = factories.customer()
    archived = factories.customer()
    overdue_invoice(active.id, days=40)
    overdue_invoice(archived.id, days=40)
    archived.archived_at = NOW
    session.flush()
    with pytest.raises(PermissionDenied):
        service.evaluate_customers(
            session, personas.sam_sales.actor, customer_ids=None, as_of=TODAY, now=NOW
        )
    summary = service.evaluate_customers(
        session, personas.alice_analyst.actor, customer_ids=None, as_of=TODAY, now=NOW
    )
    customers = set(session.scalars(select(Alert.customer_id)).all())
    assert customers == {active.id}
    assert summary.customers >= 1


def test_a_preview_counts_and_lists_the_customers_a_rule_would_fire_for_without_writing(
    session: Session, personas: Personas
) -> None:
    late = [factories.customer() for _ in range(3)]
    for customer in late:
        overdue_invoice(customer.id, days=70)
    overdue_invoice(factories.customer().id, days=10)
    before = _count(session, AuditEntry)
    preview = service.preview_rule(
        session,
        personas.sam_sales.actor,
        rule_yaml="{id: dpd_60, kind: threshold, metric: days_past_due, value: 60, "
        "severity: high, title: over 60}",
        as_of=TODAY,
    )
    assert preview.fired == 3
    assert set(preview.customer_ids) == {customer.id for customer in late}
    assert _count(session, AuditEntry) == before
    with pytest.raises(service.InvalidRuleSet) as refused:
        service.preview_rule(
            session, personas.sam_sales.actor, rule_yaml="{id: x1, kind: nope}", as_of=TODAY
        )
    assert refused.value.details[0]["field"] == "rule_yaml"


def test_rule_sets_are_versioned_and_only_rule_writers_import_them(
    session: Session, personas: Personas
) -> None:
    with pytest.raises(PermissionDenied):
        service.import_rule_set(
            session, personas.alice_analyst.actor, yaml_text=service.shipped_yaml()
        )
    manager = personas.bob_manager.actor
    first = service.import_rule_set(
        session, manager, yaml_text=service.shipped_yaml(), activate=True
    )
    from tests.integration.monitoring.conftest import ONLY_DPD

    second = service.import_rule_set(session, manager, yaml_text=ONLY_DPD)
    assert (first.version, second.version, second.status.value) == (1, 2, "draft")
    assert len(service.active_rules(session).rules) == 21
    service.activate_rule_set(session, manager, version=2)
    assert [rule.id for rule in service.active_rules(session).rules] == ["dpd_over_30"]
    with pytest.raises(service.InvalidRuleSet):
        service.import_rule_set(session, manager, yaml_text="name: x\nrules: []")


def test_an_overdue_periodic_review_raises_the_review_rule_and_completing_it_clears(
    session: Session, personas: Personas
) -> None:
    use_rules(
        session,
        "name: reviews\nrules:\n  - {id: review_overdue, kind: staleness, metric: review_overdue,"
        " days: 0, severity: medium, title: Review overdue}\n",
    )
    actor = personas.alice_analyst.actor
    customer = factories.customer()
    review = Review(
        customer_id=customer.id,
        due_on=TODAY - timedelta(days=10),
        status=ReviewStatus.SCHEDULED,
        cadence_months=12,
        checklist=[],
        scheduled_by="test",
    )
    session.add(review)
    session.flush()
    raised = service.evaluate_customers(
        session, actor, customer_ids=[customer.id], as_of=TODAY, now=NOW
    ).raised
    alert = session.get(Alert, raised[0])
    assert alert is not None
    assert alert.values == {"review_due_on": "2026-06-20", "days_late": 10}
    review.status = ReviewStatus.COMPLETED
    session.flush()
    cleared = service.evaluate_customers(
        session, actor, customer_ids=[customer.id], as_of=TODAY, now=NOW + timedelta(hours=1)
    )
    assert cleared.cleared == 1


def test_related_parties_are_read_from_either_side_in_one_statement(session: Session) -> None:
    subsidiary, parent, guarantor, stranger = (factories.customer() for _ in range(4))
    factories.related_party(customer_id=subsidiary.id, related_customer_id=parent.id)
    factories.related_party(customer_id=guarantor.id, related_customer_id=subsidiary.id)
    factories.related_party(customer_id=stranger.id, related_customer_id=guarantor.id)
    found: dict[int, CustomerFacts] = {}

    def load() -> None:
        found.update(facts.load_facts(session, [subsidiary.id, parent.id], as_of=TODAY))

    sent = statements_sent(session, load)

    assert sum("FROM related_parties" in statement for statement in sent) == 1
    assert [r.customer_id for r in found[subsidiary.id].related] == sorted(
        [parent.id, guarantor.id]
    )
    assert [r.customer_id for r in found[parent.id].related] == [subsidiary.id]


def test_an_evaluation_reads_its_customers_and_their_profiles_in_one_statement(
    session: Session, personas: Personas
) -> None:
    use_rules(session)
    kept = [factories.customer(industry_code="F51", region_code="310000") for _ in range(2)]
    archived = factories.customer(archived_at=NOW)
    asked = [c.id for c in kept] + [archived.id]
    found: list[service.EvaluationSummary] = []

    def evaluate() -> None:
        found.append(
            service.evaluate_customers(
                session, personas.alice_analyst.actor, customer_ids=asked, as_of=TODAY, now=NOW
            )
        )

    sent = statements_sent(session, evaluate)

    assert sum("\nFROM customers" in statement for statement in sent) == 1
    assert found[0].customers == 2


def test_grades_handed_over_by_a_scoring_run_are_used_and_the_rest_read(
    session: Session,
) -> None:
    """A stream job's scoring hands the grades it left to the rules: those are taken as given
    (no rating read for them), a related party outside the job still has its grade read."""
    customer, parent = factories.customer(), factories.customer()
    factories.related_party(customer_id=customer.id, related_customer_id=parent.id)
    factories.rate_customer(session, customer.id, grade="B", as_of=TODAY)
    factories.rate_customer(session, parent.id, grade="E", as_of=TODAY)
    found: dict[int, CustomerFacts] = {}

    def load(ratings: dict[int, Rating]) -> None:
        found.update(facts.load_facts(session, [customer.id], as_of=TODAY, ratings=ratings))

    read = statements_sent(session, lambda: load({}))
    assert found[customer.id].grade == "B"
    handed = statements_sent(session, lambda: load({customer.id: Rating("D", 0.2)}))
    assert found[customer.id].grade == "D"
    assert [(r.customer_id, r.grade) for r in found[customer.id].related] == [(parent.id, "E")]
    assert sum("FROM customer_ratings" in s for s in read) == 1
    assert sum("FROM customer_ratings" in s for s in handed) == 1  # the party's alone
    everyone = {customer.id: Rating("D", 0.2), parent.id: Rating("E", 0.4)}
    assert not any(
        "FROM customer_ratings" in s for s in statements_sent(session, lambda: load(everyone))
    )
