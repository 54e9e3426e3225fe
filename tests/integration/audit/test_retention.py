"""The audit retention setting: at least 180 days, a year by default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fengkong.settings import Settings


def test_retention_defaults_to_a_year() -> None:
    assert Settings(_env_file=None).audit_retention_days == 365


def test_retention_under_180_days_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENGKONG_AUDIT_RETENTION_DAYS", "179")
    with pytest.raises(ValidationError, match="audit_retention_days"):
        Settings(_env_file=None)
    monkeypatch.setenv("FENGKONG_AUDIT_RETENTION_DAYS", "180")
    assert Settings(_env_file=None).audit_retention_days == 180
