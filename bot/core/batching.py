"""Micro-batching: questions that arrive together share one embedding batch.

Embedding one short question costs nearly as much as embedding a dozen, so under load the
service collects what arrives within a few milliseconds (and whatever queued while the
previous batch ran) and answers it with one call on one worker thread. Pure asyncio plus a
thread: no SDK imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    """Runs `process_many(items) -> results` (same order, same length) on one worker thread.

    `window` is how long the first item of a batch waits for company when nothing else is
    queued (and `company_coming()`, if given, says more requests are under way); `max_batch`
    caps a batch so one burst cannot starve the next.
    """

    def __init__(
        self,
        process_many: Callable[[list[T]], Sequence[R]],
        window: float = 0.003,
        max_batch: int = 64,
        company_coming: Callable[[], bool] | None = None,
    ) -> None:
        self._process_many = process_many
        self._window = window
        # Whether other requests are on their way to `submit` (e.g. the service's in-flight count):
        # when none are, waiting for company only adds latency to a lone question.
        self._company_coming = company_coming
        self._max_batch = max_batch
        self._queue: asyncio.Queue[tuple[T, asyncio.Future[R]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batch")
        self.batches = 0  # how many batches ran, and how many items they held: for the benchmarks
        self.items = 0

    async def submit(self, item: T) -> R:
        """The result for one item, computed in a batch with whatever else is waiting."""
        if self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        assert self._queue is not None
        self._queue.put_nowait((item, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        loop = asyncio.get_running_loop()
        while True:
            batch = [await queue.get()]
            if queue.empty() and self._window > 0 and (self._company_coming is None or self._company_coming()):
                await asyncio.sleep(self._window)
            while not queue.empty() and len(batch) < self._max_batch:
                batch.append(queue.get_nowait())
            live = [(item, fut) for item, fut in batch if not fut.done()]  # callers that gave up
            if not live:
                continue
            try:
                results = await loop.run_in_executor(self._executor, self._checked, [i for i, _ in live])
            except Exception:  # one bad item must not fail its neighbours: answer them one by one
                log.warning("batch of %d failed; retrying its items one at a time", len(live), exc_info=True)
                for item, fut in live:
                    try:
                        result = (await loop.run_in_executor(self._executor, self._checked, [item]))[0]
                    except Exception as exc:
                        if not fut.done():
                            fut.set_exception(exc)
                    else:
                        if not fut.done():
                            fut.set_result(result)
                continue
            self.batches += 1
            self.items += len(live)
            for (_, fut), result in zip(live, results):
                if not fut.done():
                    fut.set_result(result)

    def _checked(self, items: list[T]) -> Sequence[R]:
        results = self._process_many(items)
        if len(results) != len(items):
            raise RuntimeError(f"process_many returned {len(results)} results for {len(items)} items")
        return results

    async def aclose(self) -> None:
        """Stop the collector and the worker thread."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._executor.shutdown(wait=False, cancel_futures=True)
