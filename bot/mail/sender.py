"""The background sender: works through the outbox with exponential backoff and jitter.

Each row's next attempt time is stored, so backoff survives restarts. Several senders may work
on one outbox (every replica runs one, and `outbox --send` is another): each row is claimed
before it is sent (EscalationStore.claim), so exactly one of them sends it. A row is marked
delivered only after the transport returned (the server accepted the message). If the process
dies mid-send, the claim lapses and the row is sent again, under the same Message-ID. The claim is
short (OUTBOX_LEASE_SECONDS) and renewed while the send is in flight, so a slow server never loses a
live sender its claim, and a dead sender's email waits one short lease, not minutes.

The loop runs under bot.supervise: any failure (the database gone, a bug) is logged once per
streak, backed off and retried; it never ends the sender.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from functools import partial
from types import SimpleNamespace

from tenacity import wait_random_exponential

from bot.mail.message import build_message
from bot.mail.transports import Transport
from bot.store.escalations import Escalation, EscalationStore, now
from bot.supervise import Supervised

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
        build: Callable[..., EmailMessage] = build_message,
        name: str = "outbox-sender",
    ) -> None:
        self.store, self.transport = store, transport
        self.mail_from, self.mail_to = mail_from, mail_to
        self.on_delivered = on_delivered
        self.max_attempts = max_attempts
        # full jitter: a random wait up to initial * 2**attempt, capped
        self._wait = wait_random_exponential(multiplier=backoff_initial, max=backoff_max)
        self.poll_seconds = poll_seconds
        self.build = build  # the email for a row: an escalation's, or a reply's copy (bot.store.case_mail)
        self.task = Supervised(name)
        self._until_empty = False

    @property
    def _stopping(self) -> bool:
        return self.task.stopping

    def wake(self) -> None:
        """Something was queued: look at the outbox now rather than at the next poll."""
        self.task.wake()

    def retry_at(self, attempts_so_far: int) -> dt.datetime | None:
        """When to try again after this many failed attempts; None once we give up."""
        if attempts_so_far + 1 >= self.max_attempts:
            return None
        delay = self._wait(SimpleNamespace(attempt_number=attempts_so_far + 1))
        return now() + dt.timedelta(seconds=delay)

    async def _call(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    def _may_take_over(self) -> bool:
        """Take over lapsed claims only once the database has answered this sender for a whole lease.

        A claim also lapses while the database is away (nobody can renew it), though its sender
        is alive and may have had the email accepted just before the outage. Once the database is
        back, that sender records the delivery within a couple of seconds (`_settle`); a
        sender that was cut off too must not resend it in the meantime. A sender that never lost
        the database takes over a dead sender's claim as soon as it lapses.
        """
        steady = self.task.ok_since
        return steady is not None and time.monotonic() - steady >= self.store.lease.total_seconds()

    async def _settle(self, record: Callable[[], object], what: str) -> None:
        """Record what was done (the server accepted the email; the staff member was told), retrying
        every second while the database is away, so the claim is settled as soon as it is back (a
        lapsed claim would have it done again)."""
        failing = False
        while True:
            try:
                await self._call(record)
                return
            except Exception as exc:
                if self._stopping:
                    raise
                self.task.ok_since = None  # the database was lost mid-pass: no takeovers for a lease
                if not failing:
                    log.warning("%s done, not yet recorded (%s): retrying", what, type(exc).__name__)
                failing = True
                await asyncio.sleep(1.0)

    async def send_due(self) -> int:
        """One pass over the due rows; returns how many were delivered."""
        delivered = 0
        takeover = self._may_take_over()
        for e in await self._call(partial(self.store.due, takeover=takeover)):
            if self._stopping:
                break
            if not await self._call(partial(self.store.claim, e.id, takeover=takeover)):
                continue  # another sender took it between our SELECT and our UPDATE
            try:
                message = self.build(e, self.mail_from, self.mail_to)
                await self._renewing(self.transport.send(message), partial(self.store.renew, e.id), e.reference)
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
            await self._settle(partial(self.store.mark_delivered, e.id), f"escalation {e.reference} email")
            delivered += 1
            log.info("escalation %s delivered via %s", e.reference, self.transport.name)
        await self.notify_delivered()
        return delivered

    async def _renewing(self, work: Awaitable[None], renew: Callable[[], object], what: str) -> None:
        """Await `work`, renewing its claim every third of the lease until it is done."""
        task = asyncio.ensure_future(work)
        every = self.store.lease.total_seconds() / 3
        while True:
            done, _ = await asyncio.wait({task}, timeout=every)
            if done:
                return task.result()
            try:
                await self._call(renew)
            except Exception as exc:  # the database away mid-send: carry on (a repeat keeps its Message-ID)
                self.task.ok_since = None  # and take over no lapsed claim until it has answered for a lease
                log.warning("%s: could not renew the claim (%s)", what, type(exc).__name__)

    async def notify_delivered(self) -> None:
        """Tell staff about delivered escalations not yet announced (also those another process sent)."""
        if self.on_delivered is None:
            return
        takeover = self._may_take_over()
        for e in await self._call(partial(self.store.unnotified, takeover=takeover)):
            if not await self._call(partial(self.store.claim_notification, e.id, takeover=takeover)):
                continue  # another sender is telling them
            try:
                await self._renewing(
                    self.on_delivered(e), partial(self.store.renew_notification, e.id), f"telling {e.reference}"
                )
            except Exception:
                log.warning("could not tell the staff member that %s was delivered", e.reference, exc_info=True)
                await self._call(self.store.release_notification, e.id)
                continue
            await self._settle(partial(self.store.mark_notified, e.id), f"telling {e.reference}")

    async def _pass(self) -> float:
        """One supervised pass: send what is due, then how long until something else is."""
        await self.send_due()
        next_at = await self._call(self.store.next_due_at)
        if self._until_empty and next_at is None:
            self.task.stop()
            return 0.0
        wait = self.poll_seconds
        if next_at is not None:
            wait = max(0.0, min(wait, (next_at - now()).total_seconds()))
        return wait

    async def run(self, until_empty: bool = False) -> None:
        """Send until stopped (or, with until_empty, until nothing is pending)."""
        self._until_empty = until_empty
        await self.task.loop(self._pass)

    def stop(self) -> None:
        self.task.stop()
