"""Rescore changed customers in the background of ``fengkong serve`` (embedded mode).

A daemon thread wakes every interval and runs one pass of ``service.rescore_changed`` in its own
unit of work, so a write through the API or the UI shows in the customer's score within about one
interval. A failing pass is logged and retried at the next wake-up; ``stop`` ends the thread
between passes (a pass in progress finishes and commits first).
"""

from __future__ import annotations

import logging
import threading

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.risk import service
from fengkong.risk.service import RescoreSummary

logger = logging.getLogger(__name__)

RESCORE_ACTOR = Actor.system("rescore")


class RescoreLoop:
    def __init__(self, database: Database, *, interval_seconds: float) -> None:
        if interval_seconds <= 0:
            raise ValueError("the rescoring interval must be positive")
        self.database = database
        self.interval_seconds = interval_seconds
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fengkong-rescore", daemon=True)

    def run_once(self) -> RescoreSummary:
        with self.database.session_scope(actor=RESCORE_ACTOR) as session:
            return service.rescore_changed(session, RESCORE_ACTOR)

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
        while not self._stopping.wait(self.interval_seconds):
            try:
                summary = self.run_once()
            except Exception:
                logger.exception("rescoring changed customers failed; retrying next interval")
                continue
            if summary.customers:
                logger.info(
                    "rescored %d customer(s) named by %d event(s)",
                    summary.customers,
                    summary.events,
                )
