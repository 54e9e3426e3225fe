"""The dashboard's ratings: customers by grade now, and the grade migration matrix from the score
history (each customer's latest score on or before the day compared)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from fengkong.auth.actor import Actor
from fengkong.customers.models import Customer
from fengkong.kit.time import utcnow
from fengkong.risk import configs, service
from fengkong.risk.models import CustomerRating, RiskScore, ScoreTrigger
from tests import factories

SYSTEM = Actor.system("test")
SINCE = date(2026, 3, 1)


def _score(session: Session, customer_id: int, grade: str, as_of: date) -> None:
    """A score row as of ``as_of``; the rating follows it, as scoring does."""
    active = configs.ensure_active(session, SYSTEM)
    score = RiskScore(
        customer_id=customer_id,
        as_of=as_of,
        score=500.0,
        grade=grade,
        risk_level="medium",
        pd=0.01,
        scorecard_version_id=active.scorecard_row.id,
        grade_scale_version_id=active.scale_row.id,
        inputs_hash=f"{customer_id:064d}",
        factors=[],
        reasons=[],
        trigger=ScoreTrigger.MANUAL,
        computed_by="test",
    )
    session.add(score)
    session.flush()
    rating = session.get(CustomerRating, customer_id)
    if rating is None:
        session.add(
            CustomerRating(
                customer_id=customer_id,
                risk_score_id=score.id,
                score=500.0,
                grade=grade,
                pd=0.01,
                as_of=as_of,
                inputs_hash=score.inputs_hash,
                model_version_id=score.model_version_id,
            )
        )
    else:
        rating.risk_score_id, rating.grade, rating.as_of = score.id, grade, as_of
        rating.inputs_hash, rating.model_version_id = score.inputs_hash, score.model_version_id
    session.flush()


def _history(session: Session, *grades: tuple[str, date]) -> int:
    customer = factories.customer()
    for grade, as_of in grades:
        _score(session, customer.id, grade, as_of)
    return customer.id


def test_customers_are_counted_by_grade_now_in_the_scales_order(session: Session) -> None:
    for grade in ("C", "A", "C", "E"):
        _history(session, (grade, date(2026, 6, 1)))
    factories.customer()  # unrated
    gone = _history(session, ("A", date(2026, 6, 1)))
    session.get_one(Customer, gone).archived_at = utcnow()
    session.flush()

    summary = service.rating_summary(session, SYSTEM)

    assert summary.by_grade == {"A": 1, "B": 0, "C": 2, "D": 0, "E": 1}
    assert (summary.customers, summary.unrated, summary.rated) == (5, 1, 4)


def test_the_matrix_compares_the_latest_score_on_or_before_the_day_with_the_grade_now(
    session: Session,
) -> None:
    _history(session, ("B", date(2026, 1, 10)), ("B", date(2026, 6, 1)))  # stayed
    _history(session, ("B", date(2026, 2, 1)), ("D", date(2026, 5, 1)))  # downgraded
    # Upgraded: the score on the day itself counts; the older A before it does not.
    _history(session, ("A", date(2025, 12, 1)), ("C", SINCE), ("B", date(2026, 4, 1)))
    # Scored on and after the day only: newly rated, not in the matrix.
    _history(session, ("E", date(2026, 3, 2)))
    factories.customer()  # never rated: in neither

    migration = service.grade_migration(session, SYSTEM, since=SINCE)

    assert migration.grades == ("A", "B", "C", "D", "E")
    assert migration.counts == {"B": {"B": 1, "D": 1}, "C": {"B": 1}}
    assert migration.newly_rated == {"E": 1}
    assert migration.count("B", "D") == 1
    assert migration.count("D", "B") == 0
    assert migration.compared == 3
    assert (migration.moved(down=True), migration.moved(down=False)) == (1, 1)


def test_an_empty_book_has_an_empty_matrix(session: Session) -> None:
    migration = service.grade_migration(session, SYSTEM, since=SINCE)
    assert (migration.counts, migration.newly_rated, migration.compared) == ({}, {}, 0)
    assert service.rating_summary(session, SYSTEM).by_grade == dict.fromkeys("ABCDE", 0)
