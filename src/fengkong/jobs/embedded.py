"""Embedded mode (SQLite): the stream consumer in a background thread of ``fengkong serve``.

One pass reads the next window of the outbox and,
in one transaction, rescores every customer it names, evaluates the monitoring rules for them and
moves the positions (``consumer.process_pending``). A failing pass is logged and retried at the
next wake-up; a full window is followed at once by the next pass.
"""

from __future__ import annotations

import logging
import threading

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.jobs import consumer
from fengkong.jobs.consumer import DEFAULT_WINDOW, PassSummary

logger = logging.getLogger(__name__)

STREAM_ACTOR = Actor.system("stream")


class StreamLoop:
    def __init__(
        self, database: Database, *, interval_seconds: float, limit: int = DEFAULT_WINDOW
    ) -> None:
        if interval_seconds <= 0:
            raise ValueError("the stream interval must be positive")
        self.database = database
        self.interval_seconds = interval_seconds
        self.limit = limit
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fengkong-stream", daemon=True)

    def run_once(self) -> PassSummary:
        with self.database.session_scope(actor=STREAM_ACTOR) as session:
            return consumer.process_pending(session, STREAM_ACTOR, limit=self.limit)

    def drain(self) -> int:
        """Run passes until the stream is caught up; the number of events read."""
        total = 0
        while True:
            summary = self.run_once()
            total += summary.events
            if summary.events == 0:
                return total

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        wait = self.interval_seconds
        while not self._stopping.wait(wait):
            try:
                summary = self.run_once()
            except Exception:
                logger.exception("applying the event stream failed; retrying next interval")
                wait = self.interval_seconds
                continue
            if summary.events:
                logger.info(
                    "applied %d event(s) to %d customer(s)", summary.events, summary.customers
                )
            wait = 0.0 if summary.events >= self.limit else self.interval_seconds
