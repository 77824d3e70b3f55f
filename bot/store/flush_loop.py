"""A background writer's loop: `flush()` on a worker thread every `interval` seconds until stopped.

Stopping wakes the loop at once, and it flushes one last time, so nothing queued is lost at a
clean shutdown. Subclasses provide `flush()`; the service starts `run()` and calls `stop()`.
"""

from __future__ import annotations

import asyncio
import contextlib


class FlushLoop:
    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = asyncio.Event()

    def flush(self) -> int:  # pragma: no cover - each writer has its own
        raise NotImplementedError

    def due(self) -> bool:
        """Whether a flush has anything to do; when not, the loop skips its hop to a worker thread."""
        return True

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            if self.due() or self._stop.is_set():
                await loop.run_in_executor(None, self.flush)

    def stop(self) -> None:
        self._stop.set()
