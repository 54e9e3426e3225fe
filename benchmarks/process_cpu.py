"""CPU seconds of the processes a benchmark starts and of PostgreSQL, from Linux ``/proc``: on a
shared, noisy machine the CPU a unit of work costs each process is steadier than its latency."""

from __future__ import annotations

import os
from pathlib import Path


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 once it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU so far of a process and its living descendants (uvicorn's workers, say)."""
    return sum(cpu_seconds(found) for found in _descendants(pid))


def _descendants(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [pid] + [found for child in children for found in _descendants(int(child))]


def _with_reaped_children(pid: int) -> float:
    """A process's CPU plus that of its children that have exited and been waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU so far of PostgreSQL on the machine: its living processes, and the connections that
    have closed (the postmaster reaps them, and the kernel adds their CPU to its children's
    count). Summing only the living undercounted: a backend that closed between two readings
    took its CPU with it (seen as PostgreSQL's CPU an event halving from one run to the next)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _with_reaped_children(int(entry.name))
            except OSError:
                continue
    return total
