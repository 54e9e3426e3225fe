"""Do autovacuum's work for a benchmark's database when the server's autovacuum is off.

This machine's PostgreSQL runs with ``autovacuum = off``. A benchmark whose tables fill during the
run then plans every statement on the statistics of its build (an empty ``risk_scores`` read for
2,000 customers became a bitmap scan of the whole table: 102 ms against 9.5 ms once analysed), and
never sets a visibility map for index-only scans — neither of which a production server, with
autovacuum on, would see. ``Autovacuum`` runs autovacuum's own decision (PostgreSQL's default
thresholds and scale factors) on the tables of one database, once every ``naptime`` seconds (its
default, too), in a thread: the work lands on PostgreSQL's CPU as it would in production. Where the
server's autovacuum is on it does nothing.
"""

from __future__ import annotations

import threading
from types import TracebackType

from sqlalchemy import Connection, create_engine, text

NAPTIME_SECONDS = 60.0
# PostgreSQL 15's defaults: autovacuum_vacuum_threshold / _scale_factor,
# autovacuum_vacuum_insert_threshold / _scale_factor, autovacuum_analyze_threshold / _scale_factor.
_DUE = text(
    """
    SELECT s.relname,
           s.n_dead_tup > 50 + 0.2 * greatest(c.reltuples, 0)
             OR s.n_ins_since_vacuum > 1000 + 0.2 * greatest(c.reltuples, 0) AS vacuum,
           s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0) AS analyze
    FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
    WHERE s.schemaname = 'public'
    ORDER BY s.relname
    """
)


def server_autovacuum_on(url: str) -> bool:
    engine = create_engine(url)
    with engine.connect() as connection:
        setting = connection.execute(text("SHOW autovacuum")).scalar_one()
    engine.dispose()
    return bool(setting == "on")


def _pass(connection: Connection) -> list[str]:
    """One visit of the database: vacuum and/or analyse each table past its threshold."""
    done: list[str] = []
    for table, vacuum, analyze in connection.execute(_DUE).all():
        if vacuum:
            connection.execute(text(f'VACUUM (ANALYZE {"true" if analyze else "false"}) "{table}"'))
        elif analyze:
            connection.execute(text(f'ANALYZE "{table}"'))
        else:
            continue
        done.append(table)
    return done


def visit(url: str) -> list[str]:
    """One autovacuum visit now (unless the server's autovacuum is on); the tables it touched."""
    if server_autovacuum_on(url):
        return []
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        done = _pass(connection)
    engine.dispose()
    return done


class Autovacuum:
    """A visit every ``naptime`` seconds while the ``with`` block runs (none if the server's
    autovacuum is on)."""

    def __init__(self, url: str, naptime: float = NAPTIME_SECONDS) -> None:
        self._url = url
        self._naptime = naptime
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="autovacuum", daemon=True)
        self.visits = 0

    def _run(self) -> None:
        while not self._stop.wait(self._naptime):
            visit(self._url)
            self.visits += 1

    def __enter__(self) -> Autovacuum:
        if not server_autovacuum_on(self._url):
            self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
