"""The background sender: works through the outbox with exponential backoff and jitter.

Each row's next attempt time is stored, so backoff survives restarts. Several senders may work
on one outbox (every replica runs one, and `outbox --send` is another): each row is claimed
before it is sent (EscalationStore.claim), so exactly one of them sends it. A row is marked
delivered only after the transport returned (the server accepted the message). If the process
dies mid-send, the claim lapses and the row is sent again, under the same Message-ID. The claim is
short (OUTBOX_LEASE_SECONDS) and renewed while the send is in flight, so a slow server never loses a
live sender its claim, and a dead sender's email waits one short lease, not minutes; a lapsed claim
is taken over only once the database has answered for a whole lease (bot.claims, shared with the
case reply worker).

The loop runs under bot.supervise: any failure (the database gone, a bug) is logged once per
streak, backed off and retried; it never ends the sender.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from functools import partial
from types import SimpleNamespace

from tenacity import wait_random_exponential

from bot.claims import Claims
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
        self.build = build  # the email for a row: an escalation's, or a case event's (bot.store.case_mail)
        self.task = Supervised(name)
        self.claims = Claims(self.task, store.lease)  # renewed while sending; lapsed ones taken over with care
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

    async def send_due(self) -> int:
        """One pass over the due rows; returns how many were delivered."""
        delivered = 0
        takeover = self.claims.may_take_over()
        for e in await self._call(partial(self.store.due, takeover=takeover)):
            if self._stopping:
                break
            if not await self._call(partial(self.store.claim, e.id, takeover=takeover)):
                continue  # another sender took it between our SELECT and our UPDATE
            try:
                message = self.build(e, self.mail_from, self.mail_to)
                await self.claims.renewing(self.transport.send(message), partial(self.store.renew, e.id), e.reference)
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
            await self.claims.settle(partial(self.store.mark_delivered, e.id), f"escalation {e.reference} email")
            delivered += 1
            log.info("escalation %s delivered via %s", e.reference, self.transport.name)
        await self.notify_delivered()
        return delivered

    async def notify_delivered(self) -> None:
        """Tell staff about delivered escalations not yet announced (also those another process sent)."""
        if self.on_delivered is None:
            return
        takeover = self.claims.may_take_over()
        for e in await self._call(partial(self.store.unnotified, takeover=takeover)):
            if not await self._call(partial(self.store.claim_notification, e.id, takeover=takeover)):
                continue  # another sender is telling them
            try:
                await self.claims.renewing(
                    self.on_delivered(e), partial(self.store.renew_notification, e.id), f"telling {e.reference}"
                )
            except Exception:
                log.warning("could not tell the staff member that %s was delivered", e.reference, exc_info=True)
                await self._call(self.store.release_notification, e.id)
                continue
            await self.claims.settle(partial(self.store.mark_notified, e.id), f"telling {e.reference}")

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
