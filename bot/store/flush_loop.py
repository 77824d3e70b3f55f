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

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.interval)
            await loop.run_in_executor(None, self.flush)

    def stop(self) -> None:
        self._stop.set()
