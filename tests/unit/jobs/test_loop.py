"""The background loop keeps going after a failing step and stops when asked."""

from __future__ import annotations

import threading

import pytest

from fengkong.jobs.loop import BackgroundLoop


class Flaky(BackgroundLoop):
    """Fails on its first step, then counts steps until the third."""

    def __init__(self) -> None:
        super().__init__(interval_seconds=0.01, first_wait=0.0)
        self.steps = 0
        self.third = threading.Event()

    def step(self) -> float:
        self.steps += 1
        if self.steps == 1:
            raise RuntimeError("the database went away")
        if self.steps == 3:
            self.third.set()
        return self.interval_seconds


def test_a_failing_step_is_logged_and_the_loop_goes_on_until_stopped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    loop = Flaky()
    loop.start()
    try:
        assert loop.third.wait(5)
        assert loop.running
    finally:
        loop.stop()
    assert not loop.running
    assert "a background step failed" in caplog.text


def test_an_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        BackgroundLoop(interval_seconds=0, first_wait=0)
