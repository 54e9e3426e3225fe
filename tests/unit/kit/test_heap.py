"""Start-up objects frozen once per process (``kit.heap``), checked in a fresh interpreter: the
test process itself may have frozen its heap already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_PROBE = """
import gc, json, sys
from fastapi.testclient import TestClient
from fengkong.app import create_app
from fengkong.kit.heap import YOUNG_GENERATION_THRESHOLD, freeze_startup_objects
from fengkong.settings import Settings

before = gc.get_freeze_count()
young_before = gc.get_threshold()[0]
app = create_app(settings=Settings(database_url="sqlite:///" + sys.argv[1]))
built = gc.get_freeze_count()
with TestClient(app):
    started = gc.get_freeze_count()
    young_started = gc.get_threshold()[0]
    made_since = [[n] for n in range(50_000)]  # what a second freeze would take in
    again = freeze_startup_objects()
    after_again = gc.get_freeze_count()
young = [young_before, young_started, YOUNG_GENERATION_THRESHOLD]
print(json.dumps([before, built, started, again, after_again, young]))
"""


def test_a_started_server_process_freezes_its_startup_objects_once_and_collects_less_often(
    tmp_path: Path,
) -> None:
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", _PROBE, str(tmp_path / "heap.sqlite3")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    before, built, started, again, after_again, young = json.loads(done.stdout.splitlines()[-1])
    young_before, young_started, young_threshold = young

    assert before == built == 0  # building the app freezes nothing: only a started server does
    assert started > 10_000  # the app's modules, mappers and routes
    assert again is False
    assert after_again < started + 50_000  # (frozen objects freed since lower the count)
    # the young generation collected less often once frozen (Python's default is 700)
    assert young_before == 700
    assert young_started == young_threshold > young_before
