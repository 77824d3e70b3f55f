"""Teams side of escalations: offer the card, take its buttons, tell the staff member when it is delivered.

The policy is bot.core.escalation; offers and escalations are stored by bot.store. A button press
arrives as an `adaptiveCard/action` invoke (the card's Universal Actions); its response replaces the
card in place. A message whose `value` looks like a card submit (an old card, another client, or a
forgery) goes through the same checks and is answered in the chat.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from botbuilder.core import BotAdapter, MessageFactory, TurnContext
from botbuilder.schema import ConversationReference
from sqlalchemy.exc import SQLAlchemyError

from bot.core.escalation import (
    FIELD_LABELS,
    OFFER,
    REPLY_TO,
    SEND,
    Cancelled,
    Invalid,
    Opened,
    Submission,
    draft_for,
    read_submission,
)
from bot.core.records import Answer
from bot.store.escalations import Escalation, EscalationStore
from bot.store.offers import CANCELLED, SENT, Offer, OfferStore
from bot.teams.escalation_card import (
    card_activity,
    closed_card,
    contact_card,
    invoke_card,
    invoke_message,
    offer_card,
    sent_card,
)
from bot.teams.roster import email_of_sender

log = logging.getLogger(__name__)

# {team} is the configured team name (IG_TEAM).
NOT_OFFERED = (
    "Sorry, I can't accept that form: it wasn't offered to you in this chat, so nothing was sent. "
    "If you need the {team}'s advice, please ask your question again."
)
EXPIRED = "That form has expired, so nothing was sent. Please ask your question again for a new one."
CANCELLED_TEXT = "Cancelled: nothing was sent to the {team}."
NEED_ADDRESS = "Please give an email address the {team} can reply to."
NOT_SENT = (
    "Not sent: I couldn't record your question just now (a fault on our side), so nothing has gone to the "
    "{team}. What you typed is kept below: please choose Send to IG again in a minute."
)
NOT_DONE = "Sorry, I couldn't do that just now (a fault on our side). Please try again in a minute."
NO_FORM = (
    "I couldn't open the form to send this to the {team} just now (a fault on our side). "
    "Please ask again in a few minutes, or email them at {mailbox}."
)
# The database (or its disk) being away: the staff member can try again; anything else is a bug.
STORE_DOWN = (SQLAlchemyError, OSError)


@dataclass(frozen=True)
class Outcome:
    """What a button press leads to: a message in the chat and/or a card that replaces the form."""

    reply: str = ""
    card: dict[str, Any] | None = None

    def invoke_body(self) -> dict[str, Any]:
        return invoke_card(self.card) if self.card is not None else invoke_message(self.reply)


class EscalationFlow:
    """Adapter only: the policy is bot.core.escalation, the storage bot.store."""

    def __init__(
        self,
        store: EscalationStore,
        offers: OfferStore,
        adapter: BotAdapter,
        app_id: str,
        ig_mailbox: str,
        roster: Callable[[TurnContext], Awaitable[str]] = email_of_sender,
        team: str = "Information Governance Team",
    ) -> None:
        self.store, self.offers, self.adapter = store, offers, adapter
        self.app_id, self.ig_mailbox, self.roster, self.team = app_id, ig_mailbox, roster, team
        self.wake_sender = lambda: None  # set by the composition root

    def _say(self, text: str) -> str:
        return text.format(team=self.team)

    async def _run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    async def offer(self, turn: TurnContext, answer: Answer, behind_a_button: bool = False) -> None:
        """After an escalate answer: store the offer, then show the card, prefilled where we can.

        `behind_a_button`: after an answer about AI, the same offer, shown as one "Ask the IG Team"
        button that opens the form. Most such answers are never followed up, so their roster
        lookup waits for the click."""
        activity = turn.activity
        draft = draft_for(answer)
        email = "" if behind_a_button else await self.roster(turn)
        try:
            offer = await self._run(
                self.offers.create,
                conversation_id=activity.conversation.id,
                user_id=activity.from_property.id,
                question=answer.question,
                fields=draft.fields,
                passages=draft.passages,
                roster_email=email,
            )
        except STORE_DOWN as exc:  # the answer is already with them: say how to reach IG instead of failing
            log.warning("escalation not offered: the store failed (%s)", type(exc).__name__)
            await turn.send_activity(MessageFactory.text(NO_FORM.format(team=self.team, mailbox=self.ig_mailbox)))
            return
        if behind_a_button:
            card = contact_card(offer.id, self.team)
        else:
            card = offer_card(offer.id, offer.fields, email, team=self.team)
        await turn.send_activity(card_activity(card))
        log.info("escalation offered roster_email=%s button=%s", bool(email), behind_a_button)

    async def on_action(self, turn: TurnContext) -> dict[str, Any]:
        """An `adaptiveCard/action` invoke: the body of its response (the replacement card, or a message)."""
        value = turn.activity.value if isinstance(turn.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        try:
            outcome = await self._handle(turn, action.get("verb"), action.get("data"))
        except STORE_DOWN as exc:
            # A 200 with a card, as Universal Actions expects: the form comes back as typed, saying it
            # was not sent, and Send works again once the database is back (the offer is unused).
            log.warning("escalation action failed: the store failed (%s)", type(exc).__name__)
            return self._not_sent(action.get("verb"), action.get("data")).invoke_body()
        if outcome.reply and outcome.card is not None:
            await turn.send_activity(MessageFactory.text(outcome.reply))
        return outcome.invoke_body()

    def _not_sent(self, verb: Any, data: Any) -> Outcome:
        """The form handed back unchanged after a Send the store could not take (no database needed)."""
        data = data if isinstance(data, dict) else {}
        offer_id = data.get(OFFER)
        if verb != SEND or not isinstance(offer_id, str) or not offer_id:
            return Outcome(NOT_DONE)  # Cancel or open: leave the card as it is, with a message
        # what they typed, as typed (it goes back to them alone, and is redacted when it is sent),
        # no longer than the card's inputs take
        typed = {name: data[name][:1000] for name in (*FIELD_LABELS, REPLY_TO) if isinstance(data.get(name), str)}
        problem = self._say(NOT_SENT)
        reply_to = typed.pop(REPLY_TO, "")
        return Outcome(card=offer_card(offer_id[:64], typed, reply_to, problem=problem, team=self.team))

    async def on_submit(self, turn: TurnContext) -> None:
        """A message carrying a card-like `value`: the same checks, answered in the chat."""
        value = turn.activity.value if isinstance(turn.activity.value, dict) else {}
        outcome = await self._handle(turn, value.get("verb", value.get("action")), value)
        await turn.send_activity(MessageFactory.text(outcome.reply or self._say(NOT_OFFERED)))

    async def _handle(self, turn: TurnContext, verb: Any, data: Any) -> Outcome:
        result = await self._run(read_submission, verb, data)
        if result is None:
            log.info("escalation action refused: not one of our forms")
            return Outcome("Sorry, I don't recognise that form. Please ask your question again.")
        if isinstance(result, Invalid):
            return Outcome(f"Sorry, I couldn't send that: {result.reason}.")
        activity = turn.activity
        offer = await self._run(self.offers.get, result.offer_id)
        user = activity.from_property.id if activity.from_property else ""
        conversation = activity.conversation.id if activity.conversation else ""
        if offer is None or not offer.belongs_to(conversation, user or ""):
            # Forged, or replayed from another chat or person: nothing is stored or sent.
            log.warning("escalation action refused: no such offer for this conversation and person")
            return Outcome(self._say(NOT_OFFERED))
        if isinstance(result, Cancelled):
            return await self._cancel(offer)
        if isinstance(result, Opened):
            if not offer.live():
                return await self._closed(offer)
            email = offer.roster_email or await self.roster(turn)
            return Outcome(card=offer_card(offer.id, offer.fields, email, team=self.team))
        return await self._send(turn, offer, result)

    async def _closed(self, offer: Offer) -> Outcome:
        """Why an offer can no longer be used: already sent, cancelled, or expired."""
        sent = await self._run(self.store.by_key, offer.id)
        if sent is not None:
            already = f"This was already sent to the {self.team} as {sent.reference}."
            return Outcome(already, sent_card(sent.reference, sent.fields, sent.user_email, self.team))
        fresh = await self._run(self.offers.get, offer.id) or offer
        if fresh.outcome == CANCELLED:
            return Outcome(self._say(CANCELLED_TEXT), closed_card("Cancelled", self._say(CANCELLED_TEXT)))
        return Outcome(EXPIRED, closed_card("Expired", EXPIRED))

    async def _cancel(self, offer: Offer) -> Outcome:
        if not await self._run(self.offers.use, offer.id, CANCELLED):
            return await self._closed(offer)
        log.info("escalation cancelled")
        return Outcome(self._say(CANCELLED_TEXT), closed_card("Cancelled", self._say(CANCELLED_TEXT)))

    async def _send(self, turn: TurnContext, offer: Offer, sub: Submission) -> Outcome:
        if not offer.live():
            return await self._closed(offer)
        reply_to = sub.reply_to or offer.roster_email
        if not reply_to:  # never send an email nobody can answer: hand the form back
            need = self._say(NEED_ADDRESS)
            return Outcome(need, offer_card(offer.id, sub.fields, "", problem=need, team=self.team))
        user = turn.activity.from_property
        reference = TurnContext.get_conversation_reference(turn.activity).serialize()
        escalation, created = await self._run(
            self.store.create,
            offer.id,
            user_name=(user.name if user else "") or "",
            user_email=reply_to,
            question=sub.fields["question"],
            fields=sub.fields,
            passages=offer.passages,  # what the bot showed, from the server: never from the submit
            conversation_reference=reference,
            claim=lambda conn: self.offers.use_in(conn, offer.id, SENT),
        )
        if escalation is None or not created:
            return await self._closed(offer)
        note = " I removed personal data you typed into the form." if sub.redacted else ""
        text = (
            f"Thank you. Your question is on its way to the {self.team} ({self.ig_mailbox}). "
            f"Your reference is {escalation.reference}. They will reply to {reply_to}.{note} "
            "I'll tell you here when it has been delivered."
        )
        log.info("escalation %s queued", escalation.reference)
        self.wake_sender()
        return Outcome(text, sent_card(escalation.reference, sub.fields, reply_to, self.team))

    async def notify_delivered(self, e: Escalation) -> None:
        """Proactive message in the conversation the escalation came from."""
        if not e.conversation_reference:
            return
        reference = ConversationReference().deserialize(e.conversation_reference)

        async def tell(turn: TurnContext) -> None:
            await turn.send_activity(
                f"Your question {e.reference} has been delivered to the {self.team}. "
                f"They will reply to you at {e.user_email}."
            )

        await self.adapter.continue_conversation(reference, tell, bot_app_id=self.app_id or None)
