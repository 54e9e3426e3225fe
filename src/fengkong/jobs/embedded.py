"""Embedded mode (SQLite): the stream consumer in a background thread of ``fengkong serve``.

One pass reads the next window of the outbox and,
in one transaction, rescores every customer it names, evaluates the monitoring rules for them and
moves the positions (``consumer.process_pending``). A failing pass is logged and retried at the
next wake-up; a full window is followed at once by the next pass.
"""

from __future__ import annotations

import logging

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.jobs import consumer
from fengkong.jobs.consumer import DEFAULT_WINDOW, PassSummary
from fengkong.jobs.loop import BackgroundLoop

logger = logging.getLogger(__name__)

STREAM_ACTOR = Actor.system("stream")


class StreamLoop(BackgroundLoop):
    thread_name = "fengkong-stream"
    failure = "applying the event stream failed; retrying next interval"

    def __init__(
        self, database: Database, *, interval_seconds: float, limit: int = DEFAULT_WINDOW
    ) -> None:
        super().__init__(interval_seconds=interval_seconds, first_wait=interval_seconds)
        self.database = database
        self.limit = limit

    def run_once(self) -> PassSummary:
        with self.database.session_scope(actor=STREAM_ACTOR) as session:
            consumer.prune_batches(session)
            return consumer.process_pending(session, STREAM_ACTOR, limit=self.limit)

    def drain(self) -> int:
        """Run passes until the stream is caught up; the number of events read."""
        total = 0
        while True:
            summary = self.run_once()
            total += summary.events
            if summary.events == 0:
                return total

    def step(self) -> float:
        summary = self.run_once()
        if summary.events:
            logger.info("applied %d event(s) to %d customer(s)", summary.events, summary.customers)
        return 0.0 if summary.events >= self.limit else self.interval_seconds
