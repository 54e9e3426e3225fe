"""Embedded mode: ``fengkong serve``'s background thread applies the stream on SQLite."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import func, select

from fengkong.auth.actor import Actor
from fengkong.database import open_database
from fengkong.jobs import consumer
from fengkong.jobs.embedded import StreamLoop
from fengkong.jobs.models import StreamBatch
from fengkong.risk.models import CustomerRating
from tests import factories
from tests.conftest import migrated_sqlite_url

SYSTEM = Actor.system("test")


def test_the_background_thread_rescores_customers_named_by_new_events(tmp_path: Path) -> None:
    url = migrated_sqlite_url(tmp_path)
    database = open_database(url)
    loop = StreamLoop(database, interval_seconds=0.05)
    try:
        with database.session_scope(actor=SYSTEM) as session:
            factories.bind(session)
            try:
                customer_id = factories.invoice().customer_id
            finally:
                factories.bind(None)
        loop.start()
        deadline = time.monotonic() + 30
        while True:
            with database.session_scope(actor=SYSTEM) as session:
                rating = session.get(CustomerRating, customer_id)
                batches = session.scalar(select(func.count()).select_from(StreamBatch))
                lag = consumer.lag(session)
            if rating is not None and lag == 0:
                break
            assert time.monotonic() < deadline, "the stream was not applied"
            time.sleep(0.05)
        assert batches == 1
        assert loop.running
    finally:
        loop.stop()
        database.dispose()
    assert not loop.running
