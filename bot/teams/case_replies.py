"""Posts IG replies into the staff member's own chat with the bot, as proactive messages.

A background worker under bot.supervise (like the outbox sender): it takes each pending reply
(claimed, so one replica posts it; the claim is renewed while the post is in flight, and a lapsed
one taken over only once the database has answered for a whole lease: bot.claims, the outbox's
rules, so no reply reaches the staff member twice), posts it with the adapter's `continue_conversation` to the
conversation reference stored when the staff member sent the escalation, and records it sent. A
reply that cannot get through is retried with backoff; when the channel says the conversation is
gone (403, 404: the bot was removed or blocked), after MAX_ATTEMPTS, or when the escalation came
from a channel or group chat (a reply there would be read by others), it is marked `unreachable`
and its case flagged for the IG team. The reply stays on the case either way, and its copy has
gone to the IG mailbox: it is never lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from functools import partial
from types import SimpleNamespace

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import ConversationReference
from tenacity import wait_random_exponential

from bot.claims import Claims
from bot.errors import ReplyFailed
from bot.store.cases import CaseStore, Event
from bot.store.clock import utc_now
from bot.supervise import Supervised
from bot.teams.case_cards import flag_text, reply_text
from bot.teams.render import text_activity

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
GONE = frozenset({403, 404})  # the channel says this conversation can no longer be written to


class _NotPersonal(Exception):
    """The escalation came from a channel or group chat: a reply there is not private."""


class ReplyPoster:
    def __init__(
        self,
        store: CaseStore,
        adapter: BotAdapter,
        app_id: str,
        team: str,
        poll_seconds: float = 30.0,
        backoff_max: float = 600.0,
    ) -> None:
        self.store, self.adapter, self.app_id, self.team = store, adapter, app_id, team
        self.poll_seconds = poll_seconds
        self._wait = wait_random_exponential(multiplier=2.0, max=backoff_max)
        self.task = Supervised("case-replies")
        self.claims = Claims(self.task, store.lease)

    def wake(self) -> None:
        self.task.wake()

    async def _call(self, fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    async def post_due(self) -> int:
        """One pass: post every due reply; how many were posted."""
        posted = 0
        takeover = self.claims.may_take_over()
        for event in await self._call(partial(self.store.due_replies, takeover=takeover)):
            if self.task.stopping:
                break
            if not await self._call(partial(self.store.claim_reply, event.id, takeover=takeover)):
                continue  # another replica took it
            posted += await self._post(event)
        return posted

    async def _post(self, event: Event) -> int:
        case = await self._call(self.store.get, event.escalation_id)
        try:
            reference = (case.conversation_reference if case else None) or {}
            conversation = reference.get("conversation") or {}
            if conversation.get("conversationType") not in (None, "personal") or conversation.get("isGroup"):
                raise _NotPersonal
            text = reply_text(case.reference, event.text, event.signed_by, self.team)

            failures: list[Exception] = []

            async def say(turn: TurnContext) -> None:
                try:
                    await turn.send_activity(text_activity(text))
                except Exception as exc:  # the adapter's turn error handler would swallow it: keep it
                    failures.append(exc)

            ref = ConversationReference().deserialize(reference)
            await self.claims.renewing(
                self.adapter.continue_conversation(ref, say, bot_app_id=self.app_id or None),
                partial(self.store.renew_reply, event.id),
                f"case {case.reference} reply",
            )
            if failures:
                raise failures[0]
        except Exception as exc:
            await self._failed(event, case.user_email if case else "", exc)
            return 0
        await self.claims.settle(partial(self.store.reply_sent, event.id), f"case {case.reference} reply")
        log.info("case %s: reply posted to the staff member", case.reference)
        return 1

    async def _failed(self, event: Event, email: str, exc: Exception) -> None:
        status = getattr(exc, "status", None)
        if isinstance(exc, _NotPersonal):
            reason, retry = "the request came from a channel or group chat, where others would read it", None
        elif isinstance(exc, ReplyFailed) and status in GONE:
            reason, retry = f"Teams says the chat is no longer there ({status})", None
        else:
            reason, retry = f"{type(exc).__name__}", self.retry_at(event.attempts)
        log.warning("case reply %d not posted (attempt %d): %s", event.id, event.attempts + 1, reason)
        await self._call(self.store.reply_failed, event.id, reason, retry, flag_text(reason, email))

    def retry_at(self, attempts_so_far: int) -> dt.datetime | None:
        if attempts_so_far + 1 >= MAX_ATTEMPTS:
            return None
        return utc_now() + dt.timedelta(seconds=self._wait(SimpleNamespace(attempt_number=attempts_so_far + 1)))

    async def _pass(self) -> float:
        await self.post_due()
        next_at = await self._call(self.store.next_reply_due)
        if next_at is None:
            return self.poll_seconds
        return max(0.0, min(self.poll_seconds, (next_at - utc_now()).total_seconds()))

    async def run(self) -> None:
        await self.task.loop(self._pass)

    def stop(self) -> None:
        self.task.stop()
