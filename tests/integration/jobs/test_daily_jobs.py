"""The daily jobs (the drift watch) run by themselves: in ``fengkong serve``'s thread on SQLite,
as a procrastinate periodic task served by ``fengkong worker`` on PostgreSQL — once a day per
champion however often they fire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from fengkong.auth.actor import Actor
from fengkong.database import open_database
from fengkong.db import Database
from fengkong.jobs import periodic, queue
from fengkong.kit.time import business_today
from fengkong.models.models import ModelDriftCheck
from fengkong.models.status import DriftStatus
from fengkong.settings import get_settings
from tests import factories
from tests.conftest import migrated_database, migrated_sqlite_url
from tests.integration.models.live_book import STABLE, book, trained_champion

SYSTEM = Actor.system("test")


def _seed(database: Database) -> int:
    """A trained champion rating 60 customers, committed; its id."""
    with database.session_scope(actor=SYSTEM) as session:
        factories.bind(session)
        try:
            model = trained_champion(session, factories.user(username="owner"))
            book(session, model, STABLE)
        finally:
            factories.bind(None)
        return model.id


def _checks(database: Database) -> list[ModelDriftCheck]:
    with database.session_scope(actor=SYSTEM) as session:
        rows = list(session.scalars(select(ModelDriftCheck)))
        session.expunge_all()
    return rows


@pytest.fixture
def few_scores_judged(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("FENGKONG_MODEL_DRIFT_MIN_SCORES", "30")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FENGKONG_MODEL_DRIFT_MIN_SCORES")
    get_settings.cache_clear()


@pytest.mark.usefixtures("few_scores_judged")
def test_the_serve_thread_checks_each_champion_once_a_day(tmp_path: Path) -> None:
    url = migrated_sqlite_url(tmp_path)
    database = open_database(url)
    loop = periodic.DailyLoop(database, interval_seconds=0.05)
    try:
        model_id = _seed(database)
        loop.start()
        deadline = time.monotonic() + 30
        while not _checks(database):
            assert time.monotonic() < deadline, "the daily jobs did not run"
            time.sleep(0.05)
        time.sleep(0.3)  # several more ticks: still one check today
        loop.stop()
        [check] = _checks(database)
        assert (check.model_version_id, check.status) == (model_id, DriftStatus.STABLE)
        assert check.checked_on == business_today(get_settings().zone)
        assert check.checked_by == periodic.DAILY_ACTOR.username
        [again] = periodic.run_daily_jobs(database)
        assert not again.created
    finally:
        loop.stop()
        database.dispose()


def test_workers_defer_the_drift_check_every_hour_on_its_own_queue() -> None:
    app = queue.make_app("postgresql+psycopg://fengkong@localhost/fengkong")
    [task] = [
        entry
        for entry in app.periodic_registry.periodic_tasks.values()
        if entry.task.name == periodic.DRIFT_TASK
    ]
    assert task.cron == periodic.DRIFT_CRON
    assert task.task.queue == periodic.QUEUE
    assert periodic.QUEUE in app.worker_defaults["queues"]


@pytest.mark.usefixtures("few_scores_judged")
def test_a_worker_runs_the_deferred_drift_check_on_postgresql(tmp_path: Path) -> None:
    with migrated_database("postgresql", tmp_path) as database:
        url = database.url
        try:
            model_id = _seed(database)
            app = queue.make_app(url)
            with app.open():
                app.configure_task(periodic.DRIFT_TASK).defer(timestamp=0)
                app.run_worker(queues=[periodic.QUEUE], wait=False)
            [check] = _checks(database)
            assert (check.model_version_id, check.status) == (model_id, DriftStatus.STABLE)
        finally:
            queue._database(url).dispose()
