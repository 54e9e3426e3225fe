"""Revision 0022 on a database that already holds ratings: each rating gets the inputs hash and
model version of the score it points at, and a rescore with unchanged inputs still stores
nothing afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from fengkong.auth.actor import Actor
from fengkong.database import alembic_config, open_database, upgrade
from fengkong.risk import service as risk_service
from fengkong.risk.models import ScoreTrigger
from tests import factories
from tests.conftest import BACKENDS, throwaway_database_url
from tests.integration.risk.conftest import AS_OF, scored_customer

BEFORE = "0021_audit_chain_sealing"
ACTOR = Actor.system("test")
_COPIES = (
    "SELECT r.customer_id, r.inputs_hash, r.model_version_id, s.inputs_hash, s.model_version_id "
    "FROM customer_ratings r JOIN risk_scores s ON s.id = r.risk_score_id ORDER BY r.customer_id"
)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with throwaway_database_url(request.param, tmp_path) as url:
        yield url


def _score(url: str, customers: list[int] | None = None) -> tuple[list[int], int]:
    database = open_database(url)
    try:
        with database.session_factory() as session:
            session.info["actor"] = ACTOR
            factories.bind(session)
            ids = customers or [scored_customer().id, scored_customer(late_days=20).id]
            summary = risk_service.score_customers(
                session, ACTOR, customer_ids=ids, as_of=AS_OF, trigger=ScoreTrigger.ALL
            )
            session.commit()
    finally:
        factories.bind(None)
        database.dispose()
    return ids, summary.stored


def _copies(url: str) -> list[tuple[object, ...]]:
    database = open_database(url)
    try:
        with database.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(_COPIES))]
    finally:
        database.dispose()


def test_ratings_get_their_scores_inputs_hash_and_model(database_url: str) -> None:
    upgrade(database_url)
    customers, stored = _score(database_url)
    assert stored == 2
    written = _copies(database_url)
    command.downgrade(alembic_config(database_url), BEFORE)
    upgrade(database_url)
    backfilled = _copies(database_url)
    assert backfilled == written
    assert len(backfilled) == 2
    for _, rating_hash, rating_model, score_hash, score_model in backfilled:
        assert rating_hash == score_hash
        assert len(str(rating_hash)) == 64
        assert rating_model == score_model
        assert rating_model is not None
    assert _score(database_url, customers) == (customers, 0)
