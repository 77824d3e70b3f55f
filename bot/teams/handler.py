"""The Teams activity handler: one message in, one answer out, off the event loop."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from botbuilder.core import ActivityHandler, MessageFactory, TurnContext
from botbuilder.schema import ChannelAccount

from bot.core.models import Answer
from bot.teams import commands
from bot.teams.render import answer_activity, typing_activity

log = logging.getLogger(__name__)

WELCOME = (
    "Hello, I'm the Governance Assistant, an automated assistant for Lancashire County Council "
    "staff. I answer questions from the council's own policy documents and staff bulletins, and "
    "I show the sources I used. If the documents don't cover something, I'll say so.\n\n"
    "Please don't paste personal data (names, case notes, contact details) into this chat. "
    "Questions about using AI with personal data go to the Information Governance Team."
)


class GovernanceBot(ActivityHandler):
    """Adapter only: the answering happens in the core, reached through `answer`."""

    def __init__(
        self,
        answer: Callable[[str], Answer] | Callable[[str], Awaitable[Answer]],
        services: dict[str, object] | None = None,
        ig_members: frozenset[str] = frozenset(),
        typing_delay: float = 1.0,
    ) -> None:
        self._answer = answer
        self._typing_delay = typing_delay  # show "typing" only when there is something to wait for
        self._services = services or {}
        self._ig_members = ig_members

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        started = time.perf_counter()
        activity = turn_context.activity
        try:
            text = (TurnContext.remove_recipient_mention(activity) if activity.entities else activity.text) or ""
        except (AttributeError, TypeError, KeyError, ValueError):  # a malformed mention entity: use the raw text
            text = activity.text or ""
        command = commands.match(text)
        if command is not None:
            await self._run_command(command, turn_context)
            return
        if inspect.iscoroutinefunction(self._answer):
            pending = asyncio.ensure_future(self._answer(text or ""))
        else:
            pending = asyncio.get_running_loop().run_in_executor(None, self._answer, text or "")
        done, _ = await asyncio.wait({pending}, timeout=self._typing_delay)
        if not done:
            await turn_context.send_activity(typing_activity())
        answer = await pending
        await turn_context.send_activity(answer_activity(answer))
        # Never log the question: it may hold personal data. Log what the bot did.
        log.info(
            "answered route=%s confidence=%.3f citations=%d redacted=%s ms=%.0f",
            answer.route.value,
            answer.confidence,
            len(answer.citations),
            ",".join(answer.redacted) or "-",
            (time.perf_counter() - started) * 1000,
        )

    async def _run_command(self, command: commands.Command, turn_context: TurnContext) -> None:
        ctx = commands.CommandContext(turn_context, self._services)
        if command.ig_only and (ctx.user_object_id or "").lower() not in self._ig_members:
            await turn_context.send_activity(
                f"Sorry, '{command.name}' is only for members of the Information Governance Team."
            )
            log.info("refused command=%s (not an IG member)", command.name)
            return
        reply = await command.run(ctx)
        await turn_context.send_activity(MessageFactory.text(reply) if isinstance(reply, str) else reply)
        log.info("command=%s", command.name)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        personal = (activity.conversation and activity.conversation.conversation_type) in (None, "personal")
        bot_added = any(m.id == bot_id for m in members_added)
        # In a chat or channel, greet once when the bot arrives, not every new member.
        if personal or bot_added:
            await turn_context.send_activity(MessageFactory.text(WELCOME))
