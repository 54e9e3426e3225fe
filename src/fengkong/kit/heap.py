"""The objects a long-running process builds at start-up, kept out of the garbage collector's way.

A started server process holds about 360,000 long-lived objects (modules, mappers, route and
schema tables, compiled caches). Every full collection walks all of them: measured in the
uvicorn workers of the credit-check benchmark, 160–230 ms of CPU each, during which every
request of that process waits. They are rare once a process runs steadily (most come in its
first minute), but each one is a latency spike. Frozen after start-up, those objects are no
longer walked: a full collection then takes a few milliseconds.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()


def freeze_startup_objects() -> bool:
    """Collect once, then move every object alive now to the permanent generation — once per
    process (a later call changes nothing and answers ``False``). A frozen object that later
    becomes part of unreachable cycles is never freed, so call it when start-up is done, not
    per request."""
    with _lock:
        if gc.get_freeze_count() > 0:
            return False
        gc.collect()
        gc.freeze()
        return True
