"""The API hot path's settings are read from the environment and refused, naming themselves,
when out of range or not numbers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fengkong.settings import Settings


def test_the_token_memory_and_check_threads_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FENGKONG_API_TOKEN_CACHE_SECONDS", "0")
    monkeypatch.setenv("FENGKONG_CREDIT_CHECK_THREADS", "6")
    settings = Settings()
    assert (settings.api_token_cache_seconds, settings.credit_check_threads) == (0, 6)


@pytest.mark.parametrize(
    ("variable", "field", "value"),
    [
        ("FENGKONG_API_TOKEN_CACHE_SECONDS", "api_token_cache_seconds", "-1"),
        ("FENGKONG_API_TOKEN_CACHE_SECONDS", "api_token_cache_seconds", "301"),
        ("FENGKONG_API_TOKEN_CACHE_SECONDS", "api_token_cache_seconds", "five"),
        ("FENGKONG_CREDIT_CHECK_THREADS", "credit_check_threads", "0"),
        ("FENGKONG_CREDIT_CHECK_THREADS", "credit_check_threads", "65"),
        ("FENGKONG_CREDIT_CHECK_THREADS", "credit_check_threads", "2.5"),
    ],
)
def test_a_value_out_of_range_or_not_a_number_is_refused(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match=field):
        Settings()
