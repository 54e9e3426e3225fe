"""The background threads of the jobs area (the embedded stream, the dispatcher beside the
procrastinate worker, the daily jobs) share one shape: a daemon thread that runs a step, sleeps
what the step asks, and stops on request; a failing step is logged and retried later."""

from __future__ import annotations

import logging
import signal
import threading

from fengkong.kit.heap import freeze_startup_objects

logger = logging.getLogger(__name__)


class BackgroundLoop:
    """Runs :meth:`step` in a daemon thread, first after ``first_wait`` seconds, then after
    however long each step returns, until :meth:`stop`. A step that raises is logged with
    ``failure`` and tried again after ``interval_seconds``."""

    thread_name = "fengkong-loop"
    failure = "a background step failed; retrying next interval"

    def __init__(self, *, interval_seconds: float, first_wait: float) -> None:
        if interval_seconds <= 0:
            raise ValueError("a background loop's interval must be positive")
        self.interval_seconds = interval_seconds
        self._first_wait = first_wait
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)

    def step(self) -> float:
        """One unit of work; returns the seconds to wait before the next."""
        raise NotImplementedError

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        wait = self._first_wait
        while not self._stopping.wait(wait):
            try:
                wait = self.step()
            except Exception:
                logger.exception(self.failure)
                wait = self.interval_seconds


def run_until_terminated(loop: BackgroundLoop) -> None:
    """Run ``loop`` as a command's foreground work: until SIGTERM (a service manager's stop) or
    Ctrl-C, then stop it cleanly."""
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    freeze_startup_objects()
    loop.start()
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        loop.stop()
