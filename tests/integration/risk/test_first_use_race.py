"""Two transactions that both find no scorecard stored (two stream workers' first jobs on a new
database) both end up with the one shipped default, active, instead of one failing."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import func, select

from fengkong.auth.actor import Actor
from fengkong.risk import configs
from fengkong.risk.models import ScorecardVersion
from tests.conftest import migrated_database

SYSTEM = Actor.system("test")


def test_the_second_of_two_first_uses_takes_the_default_the_first_stored(tmp_path: Path) -> None:
    with migrated_database("postgresql", tmp_path) as database:
        found: list[int] = []
        errors: list[BaseException] = []
        with database.session_scope(actor=SYSTEM) as first:
            stored = configs.ensure_active(first, SYSTEM)

            def second_use() -> None:
                try:
                    with database.session_scope(actor=SYSTEM) as second:
                        found.append(configs.ensure_active(second, SYSTEM).scorecard_row.id)
                except BaseException as error:
                    errors.append(error)

            # The second finds nothing committed, inserts, and waits on the first's row.
            racer = threading.Thread(target=second_use)
            racer.start()
            racer.join(timeout=1.0)
            assert racer.is_alive(), "the second insert should wait for the first commit"
        racer.join(timeout=30)
        assert errors == []
        assert found == [stored.scorecard_row.id]
        with database.session_scope(actor=SYSTEM) as session:
            assert session.scalar(select(func.count()).select_from(ScorecardVersion)) == 1
