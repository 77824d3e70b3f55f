"""Teams side of IG cases: the `cases` and `my requests` commands, and the buttons on their cards.

Nothing a card sends back is trusted. A button carries one opaque id: an offer (bot.store.offers,
kind `case`) stored when the card was shown, bound to that chat, that person and one case. A press
is accepted only if the offer is live, of this chat and this person, and unused; then the actor is
checked against what is stored now: Reply and Close need the sender's Entra object id in
IG_MEMBERS (read at the press, not when the card was made), Withdraw needs the case to be the
sender's own. The move itself must be allowed from the stored status (bot.core.cases), and the
offer is marked used in the same transaction as the change, so a replayed press changes nothing.

A reply is stored on the case (redacted) with its delivery pending; bot.teams.case_replies posts it
to the staff member's chat, and its copy for the IG mailbox is queued in the same transaction. A
withdrawal queues a short email to the IG mailbox the same way, in the escalation's thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botbuilder.core import TurnContext

from bot.config import Settings
from bot.core import cases as rules
from bot.core.text import normalise
from bot.store.case_mail import CaseMailStore
from bot.store.cases import IG, STAFF, Case, CaseStore
from bot.store.clock import utc_now
from bot.store.offers import CASE as CASE_OFFER
from bot.store.offers import USER_CHARS, OfferStore, stored_id
from bot.teams import case_cards as cards
from bot.teams.escalation_card import card_activity, invoke_card, invoke_message

log = logging.getLogger(__name__)

NOT_YOURS = "Sorry, I can't accept that: this card wasn't given to you in this chat, so nothing changed."
NOT_IG = "Sorry, only members of the {team} can reply to or close cases. Nothing changed."
NOT_OWN = "Sorry, that isn't one of your requests. Nothing changed."
USED = "That button was already used, so nothing changed. Type '{command}' for an up-to-date card."
EXPIRED = "That card has expired, so nothing changed. Type '{command}' for a new one."
NOT_NOW = "{reference} is {status}, so it can't be {done} now. Nothing changed."
NO_TEXT = "Please type a reply before sending it. Nothing was sent."
UNKNOWN = "Sorry, I don't recognise that button. Nothing changed."
DONE = {rules.REPLY: "replied to", rules.CLOSE: "closed", rules.WITHDRAW: "withdrawn"}
MAILED = frozenset({rules.REPLY, rules.WITHDRAW})  # moves the IG mailbox is told of, in the escalation's thread
VERB_ACTION = {cards.REPLY: rules.REPLY, cards.CLOSE: rules.CLOSE, cards.WITHDRAW: rules.WITHDRAW}


@dataclass
class CaseDesk:
    """What the case commands and buttons use: the stores, the settings, and who to wake after a reply."""

    store: CaseStore
    offers: OfferStore
    mail: CaseMailStore
    settings: Settings
    wake: list[Callable[[], None]] = field(default_factory=list)  # the reply poster and the mail sender

    @property
    def team(self) -> str:
        return self.settings.ig_team

    async def _run(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    # -- the cards --------------------------------------------------------------------------------

    def _offers(self, turn: TurnContext, shown: list[Case]) -> dict[int, str]:
        activity = turn.activity
        made = {}
        for case in shown:
            offer = self.offers.create(
                conversation_id=activity.conversation.id,
                user_id=activity.from_property.id,
                question=case.reference,
                fields={"case": str(case.id)},
                passages=[],
                kind=CASE_OFFER,
            )
            made[case.id] = offer.id
        return made

    def _ig_card(self, turn: TurnContext, note: str = "") -> dict[str, Any]:
        open_cases = self.store.open_cases()
        offers = self._offers(turn, open_cases[: cards.MAX_SHOWN])
        return cards.cases_card(open_cases, offers, utc_now(), self.settings.case_overdue_working_days, note)

    def _staff_card(self, turn: TurnContext, note: str = "") -> dict[str, Any]:
        mine = self.store.for_user(turn.activity.from_property.id)[: cards.MAX_SHOWN]
        replies = {c.id: [e for e in self.store.events(c.id) if e.action == rules.REPLY] for c in mine}
        offers = self._offers(turn, [c for c in mine if c.open])
        return cards.requests_card(mine, replies, offers, self.team, note)

    async def cases_activity(self, turn: TurnContext):  # type: ignore[no-untyped-def]
        """`cases` (IG members: the command is ig_only)."""
        return card_activity(await self._run(self._ig_card, turn))

    async def requests_activity(self, turn: TurnContext):  # type: ignore[no-untyped-def]
        """`my requests`: the sender's own cases, by their Teams id, and nobody else's."""
        return card_activity(await self._run(self._staff_card, turn))

    # -- the buttons ------------------------------------------------------------------------------

    @staticmethod
    def handles(value: Any) -> bool:
        """Whether an `adaptiveCard/action` invoke's value is one of these cards' buttons."""
        action = value.get("action") if isinstance(value, dict) else None
        return isinstance(action, dict) and action.get("verb") in cards.VERBS

    async def on_action(self, turn: TurnContext) -> dict[str, Any]:
        """The body of the invoke's response: the card, refreshed, or a message (the card stays)."""
        action = turn.activity.value["action"]
        verb, data = action.get("verb"), action.get("data")
        try:
            return await self._run(self._act, turn, verb, data if isinstance(data, dict) else {})
        except Exception as exc:  # the database away: nothing changed, and the person is told so
            log.warning("case action failed: %s", type(exc).__name__)
            return invoke_message("Sorry, I couldn't do that just now (a fault on our side). Nothing changed.")

    def _act(self, turn: TurnContext, verb: str, data: dict[str, Any]) -> dict[str, Any]:
        activity = turn.activity
        sender = activity.from_property
        user = (sender.id if sender else "") or ""
        conversation = activity.conversation.id if activity.conversation else ""
        offer_id = data.get(cards.CASE)
        command = "my requests" if verb == cards.WITHDRAW else "cases"
        offer = self.offers.get(offer_id, CASE_OFFER) if isinstance(offer_id, str) else None
        if offer is None or not offer.belongs_to(conversation, user):
            log.warning("case action refused: no such card for this chat and person")
            return invoke_message(NOT_YOURS)
        if not offer.live():
            return invoke_message((USED if offer.used_at else EXPIRED).format(command=command))
        case = self.store.get(int(offer.fields.get("case", "0")))
        if case is None:
            return invoke_message(UNKNOWN)
        move = VERB_ACTION[verb]
        if move == rules.WITHDRAW:
            if case.user_id != stored_id(user, USER_CHARS):
                log.warning("case action refused: withdraw of another person's case")
                return invoke_message(NOT_OWN)
            actor, actor_id = STAFF, user
        else:
            object_id = (getattr(sender, "aad_object_id", None) or "").lower()
            if object_id not in self.settings.ig_member_ids:
                log.warning("case action refused: %s by someone not in IG_MEMBERS", move)
                return invoke_message(NOT_IG.format(team=self.team))
            actor, actor_id = IG, object_id
        text, signed_by = "", ""
        if move == rules.REPLY:
            text = rules.typed(data.get(cards.reply_input(offer.id)), rules.MAX_REPLY_CHARS).text
            if not text:
                return invoke_message(NO_TEXT)
            if data.get(cards.sign_input(offer.id)) == "true":
                signed_by = normalise(sender.name or "")[:100] if sender else ""
        elif move == rules.CLOSE:
            text = rules.typed(data.get(cards.note_input(offer.id)), rules.MAX_NOTE_CHARS).text
        event = self.store.act(
            case.id,
            move,
            actor=actor,
            actor_id=actor_id,
            text=text,
            signed_by=signed_by,
            claim=lambda conn: self.offers.use_in(conn, offer.id, move),
            # the IG mailbox hears of a reply (its copy) and of a withdrawal, in the escalation's thread
            also=(lambda conn, event_id: self.mail.queue_in(conn, case.id, event_id)) if move in MAILED else None,
        )
        if event is None:
            fresh = self.store.get(case.id) or case
            status = rules.IG_LABELS.get(fresh.status, fresh.status)
            return invoke_message(NOT_NOW.format(reference=case.reference, status=status, done=DONE[move]))
        log.info("case %s: %s by %s", case.reference, move, actor)
        if move in MAILED:
            for wake in self.wake:
                wake()
        if move == rules.REPLY:
            note = f"Reply sent to {case.reference}: it is on its way to the staff member's chat."
            return invoke_card(self._ig_card(turn, note))
        if move == rules.CLOSE:
            return invoke_card(self._ig_card(turn, f"{case.reference} closed."))
        return invoke_card(self._staff_card(turn, f"{case.reference} withdrawn: the {self.team} will see it."))
