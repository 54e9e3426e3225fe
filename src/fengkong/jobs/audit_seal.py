"""The audit chain's sealer in the background (PostgreSQL): writers insert their audit entries
pending and never wait for the chain; this loop links the committed ones every second.

``fengkong worker`` and ``fengkong serve`` each run one. Their passes take the chain's lock with
``pg_try_advisory_xact_lock``, so several processes never queue on each other: whoever holds it
seals, the others skip the round. A full batch is followed at once by the next.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from fengkong.audit.chain import SEAL_BATCH, seal_pending
from fengkong.jobs.loop import BackgroundLoop

logger = logging.getLogger(__name__)

SEAL_INTERVAL_SECONDS = 1.0


class SealLoop(BackgroundLoop):
    thread_name = "fengkong-audit-seal"
    failure = "sealing pending audit entries failed; retrying next interval"

    def __init__(self, engine: Engine, *, interval_seconds: float = SEAL_INTERVAL_SECONDS) -> None:
        super().__init__(interval_seconds=interval_seconds, first_wait=0.0)
        self.engine = engine

    def run_once(self) -> int:
        """One sealing transaction; the entries it sealed (0 while another process seals)."""
        with self.engine.begin() as connection:
            return seal_pending(connection, wait=False)

    def step(self) -> float:
        sealed = self.run_once()
        if sealed:
            logger.debug("sealed %d audit entries into the chain", sealed)
        return 0.0 if sealed >= SEAL_BATCH else self.interval_seconds
