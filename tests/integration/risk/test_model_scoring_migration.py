"""Revision 0012 on a database that already holds scores: ratings survive the rebuild of
``risk_scores`` (SQLite drops a table with a cascade) both ways, and old scores are linked to
the expert entry of their scorecard version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from fengkong.auth.actor import Actor
from fengkong.database import alembic_config, open_database, upgrade
from fengkong.models import service as models_service
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from tests import factories
from tests.conftest import BACKENDS, throwaway_database_url
from tests.integration.risk.conftest import AS_OF, scored_customer

BEFORE = "0011_notifications_reviews"
ACTOR = Actor.system("test")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url(request.param, tmp_path) as url:
        yield url


def _counts(url: str) -> tuple[int, int, int | None]:
    database = open_database(url)
    try:
        with database.engine.connect() as connection:
            ratings = connection.execute(text("SELECT count(*) FROM customer_ratings")).scalar()
            scores = connection.execute(text("SELECT count(*) FROM risk_scores")).scalar()
            linked = connection.execute(
                text("SELECT count(model_version_id) FROM risk_scores")
            ).scalar()
    finally:
        database.dispose()
    return int(ratings or 0), int(scores or 0), linked


def test_ratings_survive_and_old_scores_are_linked_to_their_expert_entry(
    database_url: str,
) -> None:
    upgrade(database_url)
    database = open_database(database_url)
    try:
        with database.session_factory() as session:
            session.info["actor"] = ACTOR
            factories.bind(session)
            customers = [scored_customer().id, scored_customer(late_days=20).id]
            risk_service.score_customers(
                session, ACTOR, customer_ids=customers, as_of=AS_OF, trigger=ScoreTrigger.ALL
            )
            expert = models_service.champion(session, "fengkong-expert")
            assert expert is not None
            expert_id = expert.id
            session.commit()
    finally:
        factories.bind(None)
        database.dispose()
    assert _counts(database_url) == (2, 2, 2)

    command.downgrade(alembic_config(database_url), BEFORE)
    database = open_database(database_url)
    try:
        with database.engine.connect() as connection:
            ratings = connection.execute(text("SELECT count(*) FROM customer_ratings")).scalar()
    finally:
        database.dispose()
    assert ratings == 2

    upgrade(database_url)
    assert _counts(database_url) == (2, 2, 2)
    database = open_database(database_url)
    try:
        with database.engine.connect() as connection:
            linked = connection.execute(
                text("SELECT DISTINCT model_version_id FROM risk_scores")
            ).scalars()
            assert list(linked) == [expert_id]
    finally:
        database.dispose()
