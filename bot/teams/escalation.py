"""Teams side of escalations: offer the card, take its submit, tell the staff member when it is delivered."""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import ConversationReference

from bot.core.escalation import Cancelled, Invalid, Submission, draft_for, read_submission
from bot.core.models import Answer
from bot.store.escalations import Escalation, EscalationStore
from bot.teams.escalation_card import card_activity

log = logging.getLogger(__name__)


class EscalationFlow:
    """Adapter only: the policy is bot.core.escalation, the storage bot.store.escalations."""

    def __init__(self, store: EscalationStore, adapter: BotAdapter, app_id: str, ig_mailbox: str) -> None:
        self.store, self.adapter, self.app_id, self.ig_mailbox = store, adapter, app_id, ig_mailbox
        self.wake_sender = lambda: None  # set by the composition root

    async def offer(self, turn: TurnContext, answer: Answer) -> None:
        """After an escalate answer: the card, prefilled from the redacted question."""
        sender = turn.activity.from_property
        await turn.send_activity(card_activity(draft_for(answer, (sender.name if sender else "") or "")))

    async def on_submit(self, turn: TurnContext) -> None:
        """A card's button: Send stores and queues (once per card), Cancel stores nothing."""
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(None, read_submission, turn.activity.value)
        if result is None:
            await turn.send_activity("Sorry, I don't recognise that card. Please ask your question again.")
            return
        if isinstance(result, Invalid):
            await turn.send_activity(f"Sorry, I couldn't send that: {result.reason}.")
            return
        if isinstance(result, Cancelled):
            await turn.send_activity("Cancelled: nothing was sent to the Information Governance Team.")
            log.info("escalation cancelled")
            return
        await self._send(turn, result)

    async def _send(self, turn: TurnContext, sub: Submission) -> None:
        activity = turn.activity
        user = activity.from_property
        email = await self._user_email(turn)
        reference = TurnContext.get_conversation_reference(activity).serialize()
        escalation, created = await asyncio.get_running_loop().run_in_executor(
            None,
            lambda: self.store.create(
                sub.key,
                user_name=(user.name if user else "") or "",
                user_email=email,
                question=sub.fields["question"],
                fields=sub.fields,
                passages=sub.passages,
                conversation_reference=reference,
            ),
        )
        if not created:
            already = f"This was already sent to the Information Governance Team as {escalation.reference}."
            await turn.send_activity(already)
            log.info("escalation %s submitted again: ignored", escalation.reference)
            return
        note = " I removed personal data you typed into the form." if sub.redacted else ""
        await turn.send_activity(
            MessageFactory.text(
                f"Thank you. Your question is on its way to the Information Governance Team "
                f"({self.ig_mailbox}). Your reference is {escalation.reference}.{note} "
                "I'll tell you here when it has been delivered."
            )
        )
        log.info("escalation %s queued", escalation.reference)
        self.wake_sender()

    async def _user_email(self, turn: TurnContext) -> str:
        """The staff member's email/UPN from Teams, if Teams will tell us."""
        if turn.activity.channel_id != "msteams":
            return ""
        try:
            from botbuilder.core.teams import TeamsInfo

            member = await asyncio.wait_for(TeamsInfo.get_member(turn, turn.activity.from_property.id), 5)
            return getattr(member, "email", None) or getattr(member, "user_principal_name", None) or ""
        except Exception:  # not in Teams, or the roster is unavailable: the name is enough
            return ""

    async def notify_delivered(self, e: Escalation) -> None:
        """Proactive message in the conversation the escalation came from."""
        if not e.conversation_reference:
            return
        reference = ConversationReference().deserialize(e.conversation_reference)

        async def tell(turn: TurnContext) -> None:
            await turn.send_activity(
                f"Your question {e.reference} has been delivered to the Information Governance Team. "
                "They will reply to you directly."
            )

        await self.adapter.continue_conversation(reference, tell, bot_app_id=self.app_id or None)
