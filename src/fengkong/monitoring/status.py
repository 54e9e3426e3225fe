"""Statuses of the monitoring area, with the transitions each may take."""

from __future__ import annotations

from enum import StrEnum


class AlertStatus(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"


OPEN_STATUSES = frozenset({AlertStatus.NEW, AlertStatus.ACKNOWLEDGED, AlertStatus.IN_PROGRESS})

ALERT_TRANSITIONS: dict[AlertStatus, frozenset[AlertStatus]] = {
    AlertStatus.NEW: frozenset(
        {
            AlertStatus.ACKNOWLEDGED,
            AlertStatus.IN_PROGRESS,
            AlertStatus.RESOLVED,
            AlertStatus.FALSE_POSITIVE,
        }
    ),
    AlertStatus.ACKNOWLEDGED: frozenset(
        {AlertStatus.IN_PROGRESS, AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE}
    ),
    AlertStatus.IN_PROGRESS: frozenset({AlertStatus.RESOLVED, AlertStatus.FALSE_POSITIVE}),
}


def can_move(current: AlertStatus, target: AlertStatus) -> bool:
    return target in ALERT_TRANSITIONS.get(current, frozenset())


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"
