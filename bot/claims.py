"""Work claimed in a shared database under a short lease: done once while its worker lives.

Several workers share each queue in the database (every replica runs one, `outbox --send` is
another): the escalation outbox, the IG mailbox's copies of case replies, the case replies to post
into staff chats. A worker claims an item before doing it (one conditional UPDATE that sets a
lease: bot.store.escalations.claimable), so one worker does it. The lease is short, so a dead
worker's item waits seconds, not minutes. Two rules keep a live worker's item from being done twice:

- `renewing`: while the work is in flight (an SMTP send, a post to Teams), the claim is renewed every
  third of the lease, however slow the other end is;
- `may_take_over`: a lapsed claim is taken over only once the database has answered this worker for
  a whole lease. A claim also lapses while the database is away (nobody can renew it), though its
  worker is alive and may have finished just before the outage. Once the database is back, that
  worker records what it did within a couple of seconds (`settle`); a worker that was cut off too
  must not redo it in the meantime. A worker that never lost the database takes over a dead
  worker's claim as soon as it lapses.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.supervise import Supervised

log = logging.getLogger(__name__)

T = TypeVar("T")


class Claims:
    """The lease rules for one worker: its supervised task (whose good passes say the database answers)
    and the store's lease."""

    def __init__(self, task: Supervised, lease: dt.timedelta) -> None:
        self.task = task
        self.lease = lease

    async def _call(self, fn: Callable[[], object]) -> object:
        return await asyncio.get_running_loop().run_in_executor(None, fn)

    def may_take_over(self) -> bool:
        """Whether this worker may take over lapsed claims now (see the module's docstring)."""
        steady = self.task.ok_since
        return steady is not None and time.monotonic() - steady >= self.lease.total_seconds()

    def lost_database(self) -> None:
        """The database failed this worker mid-pass: it takes over no lapsed claim until it has answered for a lease."""
        self.task.ok_since = None

    async def renewing(self, work: Awaitable[T], renew: Callable[[], object], what: str) -> T:
        """Await `work`, renewing its claim (`renew`) every third of the lease until it is done."""
        task = asyncio.ensure_future(work)
        every = self.lease.total_seconds() / 3
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            try:
                await self._call(renew)
            except Exception as exc:  # the database away mid-work: carry on, it is done once all the same
                self.lost_database()
                log.warning("%s: could not renew the claim (%s)", what, type(exc).__name__)

    async def settle(self, record: Callable[[], object], what: str) -> None:
        """Record what was done (an email accepted, a message posted), retrying every second while the
        database is away, so the claim is settled as soon as it is back (a lapsed claim would have it
        done again)."""
        failing = False
        while True:
            try:
                await self._call(record)
                return
            except Exception as exc:
                if self.task.stopping:
                    raise
                self.lost_database()
                if not failing:
                    log.warning("%s done, not yet recorded (%s): retrying", what, type(exc).__name__)
                failing = True
                await asyncio.sleep(1.0)
