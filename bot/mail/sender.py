"""The background sender: works through the outbox with exponential backoff and jitter.

Each row's next attempt time is stored, so backoff survives restarts. Several senders may work
on one outbox (every replica runs one, and `outbox --send` is another): each row is claimed
before it is sent (EscalationStore.claim), so exactly one of them sends it. A row is marked
delivered only after the transport returned (the server accepted the message). If the process
dies mid-send, the claim lapses and the row is sent again, under the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from types import SimpleNamespace

from tenacity import wait_random_exponential

from bot.mail.message import build_message
from bot.mail.transports import Transport
from bot.store.escalations import Escalation, EscalationStore, now

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        store: EscalationStore,
        transport: Transport,
        mail_from: str,
        mail_to: str,
        on_delivered: Callable[[Escalation], Awaitable[None]] | None = None,
        max_attempts: int = 12,
        backoff_initial: float = 1.0,
        backoff_max: float = 600.0,
        poll_seconds: float = 30.0,
    ) -> None:
        self.store, self.transport = store, transport
        self.mail_from, self.mail_to = mail_from, mail_to
        self.on_delivered = on_delivered
        self.max_attempts = max_attempts
        # full jitter: a random wait up to initial * 2**attempt, capped
        self._wait = wait_random_exponential(multiplier=backoff_initial, max=backoff_max)
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Something was queued: look at the outbox now rather than at the next poll."""
        self._wake.set()

    def retry_at(self, attempts_so_far: int) -> dt.datetime | None:
        """When to try again after this many failed attempts; None once we give up."""
        if attempts_so_far + 1 >= self.max_attempts:
            return None
        delay = self._wait(SimpleNamespace(attempt_number=attempts_so_far + 1))
        return now() + dt.timedelta(seconds=delay)

    async def _call(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def send_due(self) -> int:
        """One pass over the due rows; returns how many were delivered."""
        delivered = 0
        for e in await self._call(self.store.due):
            if self._stopping:
                break
            if not await self._call(self.store.claim, e.id):
                continue  # another sender took it between our SELECT and our UPDATE
            try:
                await self.transport.send(build_message(e, self.mail_from, self.mail_to))
            except Exception as exc:  # any failure: count it, back off, keep the row
                when = self.retry_at(e.attempts)
                await self._call(self.store.mark_attempt_failed, e.id, f"{type(exc).__name__}: {exc}", when)
                log.warning(
                    "escalation %s not delivered (attempt %d, %s): %s",
                    e.reference,
                    e.attempts + 1,
                    f"retry at {when:%H:%M:%S}" if when else "giving up",
                    type(exc).__name__,
                )
                continue
            await self._call(self.store.mark_delivered, e.id)
            delivered += 1
            log.info("escalation %s delivered via %s", e.reference, self.transport.name)
        await self.notify_delivered()
        return delivered

    async def notify_delivered(self) -> None:
        """Tell staff about delivered escalations not yet announced (also those another process sent)."""
        if self.on_delivered is None:
            return
        for e in await self._call(self.store.unnotified):
            if not await self._call(self.store.claim_notification, e.id):
                continue  # another sender is telling them
            try:
                await self.on_delivered(e)
            except Exception:
                log.warning("could not tell the staff member that %s was delivered", e.reference, exc_info=True)
                await self._call(self.store.release_notification, e.id)
                continue
            await self._call(self.store.mark_notified, e.id)

    async def run(self, until_empty: bool = False) -> None:
        """Send until stopped (or, with until_empty, until nothing is pending)."""
        while not self._stopping:
            self._wake.clear()
            try:
                await self.send_due()
            except Exception:  # the database may be briefly unavailable: try again later
                log.exception("outbox pass failed")
            next_at = await self._call(self.store.next_due_at)
            if until_empty and next_at is None:
                return
            wait = self.poll_seconds
            if next_at is not None:
                wait = max(0.0, min(wait, (next_at - now()).total_seconds()))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=wait)

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
