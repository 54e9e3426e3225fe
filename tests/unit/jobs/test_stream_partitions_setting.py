"""``FENGKONG_STREAM_PARTITIONS`` is read from the environment and refused, naming itself, when
it could not split a window (zero, negative, not a number)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from fengkong.settings import Settings


def test_the_partitions_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FENGKONG_STREAM_PARTITIONS", "3")
    assert Settings().stream_partitions == 3


@pytest.mark.parametrize("value", ["0", "-2", "eight", "4096"])
def test_a_partition_count_that_cannot_split_a_window_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FENGKONG_STREAM_PARTITIONS", value)
    with pytest.raises(ValidationError, match="stream_partitions"):
        Settings()
