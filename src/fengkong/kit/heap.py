"""The objects a long-running process builds at start-up, kept out of the garbage collector's way.

A started server process holds about 360,000 long-lived objects (modules, mappers, route and
schema tables, compiled caches). Every full collection walks all of them: measured in the
uvicorn workers of the credit-check benchmark, 160–230 ms of CPU each, during which every
request of that process waits. They are rare once a process runs steadily (most come in its
first minute), but each one is a latency spike. Frozen after start-up, those objects are no
longer walked: a full collection then takes a few milliseconds.

Freezing also disarms the collector's guard against frequent full collections (one waits until
the objects that survived a middle collection are a quarter of those in the old generation —
and after a freeze the old generation is nearly empty), so every tenth middle collection became a
full one, each walking everything a unit of work still holds. A stream job of 2,500 customers
holds hundreds of thousands of objects (rows, facts, results): measured with a ``gc.callbacks``
probe, 57–131 ms of its ~500 ms of CPU went to collections. The young generation is therefore
collected every ``YOUNG_GENERATION_THRESHOLD`` new objects instead of 700: the same job then
spends 9–20 ms. The cost is memory, bounded: at most that many container objects of unreachable
cycles wait for a collection.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
YOUNG_GENERATION_THRESHOLD = 50_000


def freeze_startup_objects() -> bool:
    """Collect once, then move every object alive now to the permanent generation and collect
    the young generation less often — once per process (a later call changes nothing and answers
    ``False``). A frozen object that later becomes part of unreachable cycles is never freed, so
    call it when start-up is done, not per request."""
    with _lock:
        if gc.get_freeze_count() > 0:
            return False
        gc.collect()
        gc.freeze()
        _, middle, old = gc.get_threshold()
        gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, old)
        return True
