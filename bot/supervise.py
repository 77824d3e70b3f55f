"""Supervision for the service's background loops: one helper, used by every long-running task.

    task = Supervised("outbox-sender")
    await task.loop(step)          # step() does one pass and returns the seconds until the next
    task.stop()                    # from anywhere: the loop ends after the pass it is in

A pass that raises is counted and retried after an exponential backoff with full jitter
(tenacity's wait helpers, as the outbox uses for its emails), and the loop carries on: a database
restart or a mail server outage must never end a task until the service is restarted. The log
gets one line when a failure streak starts and one when it ends, not one per pass (a loop that
retries every second would otherwise bury everything else). The lines carry the exception's type
and where it was raised, never its message: a database error's message holds the SQL parameters,
which may be Teams ids, email addresses or a question.

`health()` is what /healthz shows for the task: whether it is running, failing, and since when.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

from tenacity import wait_random_exponential
from tenacity.wait import wait_base

from bot.logs import where

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[float | None]]


def default_wait() -> wait_base:
    # Half a second at first, then doubling to at most 30 s: a database that is back is used again
    # within 30 s, and a long outage costs a failed attempt every 30 s per task, not a busy loop.
    return wait_random_exponential(multiplier=0.5, max=30.0)


class Supervised:
    """One background task's loop, its backoff after failures, and its health."""

    def __init__(self, name: str, wait: wait_base | None = None) -> None:
        self.name = name
        self._wait = wait or default_wait()
        self.failures = 0  # in the current streak; 0 when the last pass worked
        self.error: str | None = None  # the exception type of the streak's last failure
        self.running = False
        self.passes = 0
        self._failing_since: float | None = None
        self._last_ok: float | None = None
        self.ok_since: float | None = None  # monotonic start of the current run of good passes
        self._stop = asyncio.Event()
        self._wake = asyncio.Event()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        """Start the next pass now rather than after the wait (e.g. an email was just queued)."""
        self._wake.set()

    async def attempt(self, step: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
        """One pass under supervision: (True, its result), or (False, None) after counting the failure."""
        try:
            result = await step()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._failed(exc)
            return False, None
        self._succeeded()
        return True, result

    async def loop(self, step: Step, first_wait: float = 0.0, final: Step | None = None) -> None:
        """Run `step` until stopped; after a stop, `final` once (e.g. the last flush), also supervised."""
        self.running = True
        try:
            if first_wait:
                await self.pause(first_wait)
            while not self.stopping:
                self._wake.clear()
                ok, delay = await self.attempt(step)
                await self.pause(self.backoff() if not ok else (delay or 0.0))
            if final is not None:
                await self.attempt(final)
        finally:
            self.running = False

    async def pause(self, seconds: float) -> None:
        """Wait `seconds`, or less if woken or stopped."""
        if seconds <= 0 or self.stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def backoff(self) -> float:
        return float(self._wait(SimpleNamespace(attempt_number=max(1, self.failures))))

    def _failed(self, exc: BaseException) -> None:
        self.failures += 1
        self.error = type(exc).__name__
        self.ok_since = None
        if self.failures == 1:
            self._failing_since = time.monotonic()
            log.error("%s failed: %s at %s; retrying with backoff", self.name, self.error, where(exc))

    def _succeeded(self) -> None:
        self.passes += 1
        self._last_ok = time.monotonic()
        if self.ok_since is None:
            self.ok_since = self._last_ok
        if self.failures:
            seconds = time.monotonic() - (self._failing_since or time.monotonic())
            log.warning("%s recovered after %d failed attempts over %.0f s", self.name, self.failures, seconds)
        self.failures, self.error, self._failing_since = 0, None, None

    def health(self) -> dict[str, Any]:
        """For /healthz: running or not, and the failure streak if there is one (type names only)."""
        out: dict[str, Any] = {"running": self.running, "failures": self.failures}
        if self.failures:
            out["error"] = self.error
            out["failing_for_seconds"] = round(time.monotonic() - (self._failing_since or time.monotonic()), 1)
        if self._last_ok is not None:
            out["last_ok_seconds_ago"] = round(time.monotonic() - self._last_ok, 1)
        return out
