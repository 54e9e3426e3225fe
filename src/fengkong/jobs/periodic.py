"""Daily work no event triggers: the drift watch of champion models (``models.drift``), and the
exposure snapshots aged as of the new day (``exposure.service.refresh_exposures``) with the
dashboard's figures computed from them (``portfolio.service.refresh_figures``), and the report
subscriptions due that day (``reports.subscriptions.send_due``).

The job is idempotent per day — each champion is checked once per business day, a second run
that day finds the check and writes nothing — so it is scheduled more often than daily and is
safe to run from several places:

* **PostgreSQL**: a procrastinate periodic task, deferred every hour by the workers (procrastinate
  records each deferral, so many workers defer it once), on its own queue that ``fengkong
  worker`` also serves. An hourly tick catches up within the hour after a worker outage.
* **SQLite**: ``fengkong serve`` runs :class:`DailyLoop`, a daemon thread that runs the job at
  start and then every ``interval_seconds``.
* **cron**: ``fengkong model drift`` does the same once.
"""

from __future__ import annotations

import logging
from datetime import date

from fengkong.auth.actor import Actor
from fengkong.db import Database
from fengkong.exposure import service as exposure_service
from fengkong.jobs.loop import BackgroundLoop
from fengkong.kit.time import business_today
from fengkong.models import drift
from fengkong.portfolio import service as portfolio_service
from fengkong.reports import subscriptions as report_subscriptions
from fengkong.settings import get_settings

logger = logging.getLogger(__name__)

DAILY_ACTOR = Actor.system("daily-jobs")
QUEUE = "periodic"
DRIFT_TASK = "fengkong.check_model_drift"
DRIFT_CRON = "7 * * * *"
"""Every hour at minute 7 (UTC): the check itself happens once per model and business day."""
LOOP_INTERVAL_SECONDS = 600.0


def run_daily_jobs(database: Database, *, today: date | None = None) -> list[drift.DriftResult]:
    """Check every champion for drift as of ``today`` (default: today where the business is),
    in one committed unit of work."""
    day = today or business_today(get_settings().zone)
    with database.session_scope(actor=DAILY_ACTOR) as session:
        results = drift.check_drift(session, DAILY_ACTOR, today=day)
    with database.session_scope(actor=DAILY_ACTOR) as session:
        # Ageing moves with the date: once a day every exposure snapshot is aged anew, and the
        # dashboard's figures are computed from them before anyone asks.
        if exposure_service.exposures_stale(session, as_of=day):
            written = exposure_service.refresh_exposures(session, DAILY_ACTOR, as_of=day)
            portfolio_service.refresh_figures(session, today=day)
            logger.info("exposure snapshots of %s customers aged as of %s", written, day)
    with database.session_scope(actor=DAILY_ACTOR) as session:
        # Subscribed reports due today, rendered as their subscribers; the outbox sends them.
        due = report_subscriptions.send_due(session, today=day)
        if due.sent or due.suspended:
            logger.info("report subscriptions: %s queued, %s suspended", due.sent, due.suspended)
    for result in results:
        if result.created:
            logger.info(
                "drift of %s v%s on %s: %s (PSI %s)",
                result.model.name,
                result.model.version,
                day,
                result.check.status.value,
                result.check.psi,
            )
    return results


class DailyLoop(BackgroundLoop):
    """Embedded mode: the daily jobs in a daemon thread of ``fengkong serve``, at start and then
    every ``interval_seconds``."""

    thread_name = "fengkong-daily"
    failure = "the daily jobs failed; retrying next interval"

    def __init__(self, database: Database, *, interval_seconds: float = LOOP_INTERVAL_SECONDS):
        super().__init__(interval_seconds=interval_seconds, first_wait=0.0)
        self.database = database

    def step(self) -> float:
        run_daily_jobs(self.database)
        return self.interval_seconds
