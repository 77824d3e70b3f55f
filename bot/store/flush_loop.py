"""A background writer's loop: `write()` on a worker thread every `interval` seconds until stopped.

Stopping wakes the loop at once, and it writes one last time, so nothing queued is lost at a
clean shutdown. Subclasses provide `write()`, which keeps what it could not write and raises; the
loop runs under bot.supervise, so a database outage is logged once, retried with backoff, and
never ends the loop. `flush()` is the same write for callers outside the loop: 0 when it failed.
"""

from __future__ import annotations

import asyncio
import logging

from bot.supervise import Supervised

log = logging.getLogger(__name__)


class FlushLoop:
    name = "writer"

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.task = Supervised(self.name)

    def write(self) -> int:  # pragma: no cover - each writer has its own
        """Write what is queued; on failure keep it for the next attempt and raise."""
        raise NotImplementedError

    def flush(self) -> int:
        """`write()`, for callers outside the loop: how many rows were written, 0 if it failed."""
        try:
            return self.write()
        except Exception as exc:  # the rows are kept; never log them (they may hold personal data)
            log.error("%s could not write: %s", self.name, type(exc).__name__)
            return 0

    def due(self) -> bool:
        """Whether a pass has anything to do; when not, the loop skips its hop to a worker thread."""
        return True

    async def _pass(self) -> float:
        if self.due():
            await asyncio.get_running_loop().run_in_executor(None, self.write)
        return self.interval

    async def run(self) -> None:
        await self.task.loop(self._pass, first_wait=self.interval, final=self._pass)

    def stop(self) -> None:
        self.task.stop()
