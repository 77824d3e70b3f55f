"""The Teams activity handler: one message in, one answer out, off the event loop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from http import HTTPStatus
from typing import TypeVar

from botbuilder.core import ActivityHandler, InvokeResponse, TurnContext
from botbuilder.schema import Activity, ChannelAccount

from bot.config import Settings
from bot.core.attribution import attribute
from bot.core.escalation_classifier import rule_terms
from bot.core.follow_up import focus, leans_on_previous, not_covered, nothing_new, point_back
from bot.core.privacy import ner_could_help, redact
from bot.core.records import Answer, Route
from bot.core.small_talk import Kind, SmallTalk, reply_to
from bot.core.suggest import TITLE_CHARS, Suggestion, button_title
from bot.core.text import clean
from bot.service import Service
from bot.store.conversation_state import SharedContext
from bot.store.feedback import Feedback
from bot.teams import commands
from bot.teams.command_list import COMMANDS
from bot.teams.conversation import (
    WELCOME_QUESTIONS,
    WELCOME_SUGGESTIONS,
    AnswerRecord,
    Bounded,
    Turn,
    is_follow_up,
    needs_mention,
    offer_text,
    strip_mentions,
    suggestions_for,
    with_context,
)
from bot.teams.escalation import EscalationFlow
from bot.teams.oversight import contacts, transparency_note
from bot.teams.render import answer_activity, safe_text, text_activity, typing_activity

log = logging.getLogger(__name__)

V = TypeVar("V")

# Conversation-state reads (a primary-key lookup) get threads of their own: in the shared pool
# they would queue behind the model's work, and every question makes one.
_STATE_READS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="conversation-state")


def welcome_text(settings: Settings) -> str:
    """The greeting: what the bot is, what not to paste, and how to reach a person. Sent without
    buttons, so Teams renders its paragraphs and its privacy-notice link."""
    team, _ = contacts(settings)
    return (
        "Hello, I'm the Governance Assistant, an automated assistant for Lancashire County Council "
        "staff. I answer questions from the council's own policy documents and staff bulletins, and "
        "I show the sources I used. If the documents don't cover something, I'll say so.\n\n"
        "Please don't paste personal data (names, case notes, contact details) into this chat. "
        f"Questions about using AI with personal data go to the {team}.\n\n{transparency_note(settings)}"
    )


class GovernanceBot(ActivityHandler):
    """Adapter only: turns activities into calls on the typed Service (bot.service) and its answers
    into activities; the answering happens in the core, reached through `Service.answer`."""

    def __init__(
        self,
        service: Service,
        escalations: EscalationFlow | None = None,
        memory: Bounded[str, Turn] | SharedContext[Turn] | None = None,
        recent: Bounded[str, AnswerRecord] | SharedContext[AnswerRecord] | None = None,
        offered: Bounded[str, dict[str, str]] | SharedContext[dict[str, str]] | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._service = service
        settings = service.settings
        self._settings = settings
        self._typing_delay = settings.typing_delay_ms / 1000  # "typing" only when there is something to wait for
        self._escalations = escalations
        self._today = today
        items, minutes = settings.conversation_memory_items, settings.conversation_memory_minutes * 60
        # Only redacted text is ever kept, and only for a while: see bot.teams.conversation.
        # The service passes maps in the database (bot.store.conversation_state), shared by replicas.
        self._memory = memory if memory is not None else Bounded(items, minutes)
        self._recent = recent if recent is not None else Bounded(items, 24 * 3600)
        # The buttons last offered in each conversation: button title -> the question it asks.
        self._offered = offered if offered is not None else Bounded(items, minutes)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        started = time.perf_counter()
        activity = turn_context.activity
        # An Adaptive Card's Action.Submit arrives as a message with no text and a `value`
        # (an empty `value` beside real text is a client's quirk, not a form: the text is the question).
        submitted = activity.value is not None and (activity.value or not (activity.text or "").strip())
        if submitted and self._escalations is not None:
            await self._escalations.on_submit(turn_context)
            return
        scope = activity.conversation.conversation_type if activity.conversation else None
        mentions = _bot_mentions(activity)
        if needs_mention(scope) and not mentions:
            log.info("ignored message in %s: the bot was not mentioned", scope)
            return
        text = strip_mentions(activity.text or "", mentions)
        key = _memory_key(activity)
        # A button that sent its title asks its question. Titles are at most TITLE_CHARS long, so
        # only a message that short can be one: the rest never read the offered buttons.
        title = " ".join(text.split())
        if len(title) <= TITLE_CHARS:
            offered = await _read(self._offered, key) or {}
            text = offered.get(title, text)
        command = commands.match(text, COMMANDS)
        if command is not None:
            await self._run_command(command, turn_context)
            return
        personal = scope in (None, "personal")
        talk = reply_to(text, contacts(self._settings)[0])
        if talk is not None:
            await self._small_talk(turn_context, key, talk, personal=personal)
            return
        # The last exchange matters to a message that cannot stand alone (the textual half of
        # is_follow_up), to the suggestions (never offer the question asked before: personal chats
        # only) and to the repeat check (answers only: read after answering, in a channel).
        cleaned = clean(text)
        lean = leans_on_previous(cleaned)
        before = await _read(self._memory, key) if lean or personal else None
        follow_up = lean and is_follow_up(cleaned, before)
        asking = with_context(before.question, text) if follow_up and before else text
        pending = asyncio.ensure_future(self._service.answer(asking))
        done, _ = await asyncio.wait({pending}, timeout=self._typing_delay)
        if not done:
            await turn_context.send_activity(typing_activity())
        answer = await pending
        asked = answer.question  # redacted by the core, with its context: all the bot remembers
        # The message alone, redacted: what an IG card asks and what a "what about…?" is about,
        # never glued to the question before it. A follow-up is short: with no word the name tagger
        # could take for a name, the rules alone redact it in about 25 microseconds, on the loop.
        own = asked
        if follow_up:
            own = await _redacted_off_loop(text) if ner_could_help(cleaned) else _redacted(text)
        shown, focused = await self._shown(answer, own if follow_up else "")
        uncovered = not_covered(shown, own) if follow_up and not focused else None
        if uncovered is not None:  # a follow-up the passage doesn't answer: say so, don't repeat it
            shown = uncovered
        if not (lean or personal) and shown.route is Route.ANSWER:
            before = await _read(self._memory, key)
        repeated = (
            before is not None and shown.route is Route.ANSWER and not focused and nothing_new(shown, before.said)
        )
        if repeated:  # never the same text twice in a row: say so, and point to the passage
            shown = point_back(shown)
        suggestions: list[Suggestion] = []
        if personal:
            asked_before = tuple(q for q in (own, asked, before.question if before else "") if q)
            suggestions = await asyncio.get_running_loop().run_in_executor(
                None, suggestions_for, shown, self._service.suggest, asked_before
            )
            if suggestions:
                self._offer(key, suggestions)
        # One message: the suggestions ride on the answer as buttons (docs/behaviour.md says how
        # the Agents Playground shows such a message).
        sent = await turn_context.send_activity(answer_activity(shown, suggestions))
        if answer.route is Route.ESCALATE and self._escalations is not None:
            await self._escalations.offer(turn_context, replace(answer, question=own))
        elif answer.route is Route.ANSWER and self._escalations is not None and rule_terms(answer.question)[0]:
            # A policy lookup about AI is the documents' to answer; IG is one click away all the same.
            await self._escalations.offer(turn_context, replace(answer, question=own), behind_a_button=True)
        if asked:  # a decline or a hand-off is remembered too: what comes next is not its follow-up
            self._memory.put(key, Turn(asked, shown.text, shown.route.value))
        if sent is not None and sent.id:
            cited = tuple(c.title for c in shown.citations)
            self._recent.put(sent.id, AnswerRecord(asked, shown.text, shown.route.value, cited))
        elapsed = (time.perf_counter() - started) * 1000
        try:
            conversation = activity.conversation.id if activity.conversation else ""
            # queues the row (must not block the loop); with the route shown: a follow-up the
            # documents don't cover is a declined question for the IG report
            self._service.record(conversation, replace(answer, route=shown.route), elapsed)
        except Exception as exc:  # the staff member has the answer; a lost row must not become an error
            log.error("could not record the turn: %s", type(exc).__name__)  # no SQL: it holds the question
        # Never log the question: it may hold personal data. Log what the bot did.
        log.info(
            "answered route=%s confidence=%.3f citations=%d redacted=%s follow_up=%s focused=%s repeated=%s ms=%.0f",
            shown.route.value,
            answer.confidence,
            len(answer.citations),
            ",".join(answer.redacted) or "-",
            follow_up,
            focused,
            repeated,
            (time.perf_counter() - started) * 1000,
        )

    async def _small_talk(self, turn_context: TurnContext, key: str, talk: SmallTalk, personal: bool) -> None:
        """A greeting, thanks or goodbye gets a short reply of its own. It is not a question: it
        is not written to the conversation log (the IG report counts questions, and "hiya"
        is neither answered from the documents nor a gap in them), and it leaves the
        conversation's memory alone, so it never becomes the context of a follow-up."""
        text = talk.text
        suggestions: tuple[Suggestion, ...] = ()
        if personal and talk.kind in (Kind.GREETING, Kind.ABOUT):
            suggestions = WELCOME_SUGGESTIONS
            self._offer(key, suggestions)
            text = f"{text}\n\n{offer_text(list(suggestions))}"
        await turn_context.send_activity(text_activity(safe_text(text), suggestions))
        log.info("small talk kind=%s", talk.kind.value)

    def _offer(self, key: str, suggestions: Sequence[Suggestion]) -> None:
        self._offered.put(key, {button_title(s.question, s.title): s.question for s in suggestions})

    async def _shown(self, answer: Answer, follow_up: str) -> tuple[Answer, bool]:
        """The answer as staff see it: narrowed to what a follow-up asks for, quotes attributed and dated."""
        focused = None
        if follow_up:
            # Ranking sentences embeds the question (model work): off the event loop.
            loop = asyncio.get_running_loop()
            focused = await loop.run_in_executor(None, focus, answer, follow_up, self._service.score)
        shown = attribute(focused or answer, self._today(), self._settings.source_stale_months)
        return shown, focused is not None

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse:
        activity = turn_context.activity
        if activity.name == "message/submitAction":
            return await self._on_feedback(activity)
        desk = self._service.cases
        if activity.name == "adaptiveCard/action" and desk is not None and desk.handles(activity.value):
            # The buttons of the `cases` and `my requests` cards (bot.teams.cases)
            return InvokeResponse(status=int(HTTPStatus.OK), body=await desk.on_action(turn_context))
        if activity.name == "adaptiveCard/action" and self._escalations is not None:
            # The IG card's buttons (Universal Actions): the response's card replaces the form.
            return InvokeResponse(status=int(HTTPStatus.OK), body=await self._escalations.on_action(turn_context))
        return await super().on_invoke_activity(turn_context)

    async def _on_feedback(self, activity: Activity) -> InvokeResponse:
        """Teams' feedback buttons: store the reaction with what was asked and answered."""
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("actionValue") if isinstance(value.get("actionValue"), dict) else {}
        reaction = action.get("reaction")
        if value.get("actionName") != "feedback" or reaction not in ("like", "dislike"):
            log.info("rejected submitAction: not a like/dislike feedback")
            return InvokeResponse(
                status=int(HTTPStatus.BAD_REQUEST), body={"error": "expected feedback with a like or dislike reaction"}
            )
        record = await asyncio.get_running_loop().run_in_executor(
            _STATE_READS, self._recent.get, activity.reply_to_id or ""
        )
        comment = _redacted(_feedback_text(action.get("feedback")))
        if self._service.feedback is not None:
            loop = asyncio.get_running_loop()
            item = Feedback(
                reply_id=activity.reply_to_id or "",
                reaction=reaction,
                comment=comment,
                question=record.question if record else None,
                answer=record.answer if record else None,
                route=record.route if record else None,
                citations=record.citations if record else (),
            )
            await loop.run_in_executor(None, self._service.feedback.add, item)
        log.info("feedback reaction=%s known_reply=%s comment=%s", reaction, record is not None, bool(comment))
        # A JSON object, not an empty body: Teams clients show "Unable to reach app" for a null one.
        return InvokeResponse(status=int(HTTPStatus.OK), body={})

    async def _run_command(self, command: commands.Command, turn_context: TurnContext) -> None:
        ctx = commands.CommandContext(
            turn_context, self._service, ig_members=self._settings.ig_member_ids, available=COMMANDS
        )
        if command.ig_only and not ctx.ig_member:
            team, _ = contacts(self._settings)
            await turn_context.send_activity(f"Sorry, '{command.name}' is only for members of the {team}.")
            log.info("refused command=%s (not an IG member)", command.name)
            return
        reply = await command.run(ctx)
        await turn_context.send_activity(text_activity(reply) if isinstance(reply, str) else reply)
        log.info("command=%s", command.name)

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext) -> None:
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        personal = (activity.conversation and activity.conversation.conversation_type) in (None, "personal")
        bot_added = any(m.id == bot_id for m in members_added)
        welcome = welcome_text(self._settings)
        if personal:
            # Two messages: the greeting without buttons (a message with buttons is shown as
            # plain text: its link and paragraphs would be lost), then the questions to try.
            await turn_context.send_activity(text_activity(welcome))
            self._offer(_memory_key(activity), WELCOME_SUGGESTIONS)
            await turn_context.send_activity(
                text_activity(safe_text(offer_text(list(WELCOME_SUGGESTIONS))), WELCOME_SUGGESTIONS)
            )
        elif bot_added:  # in a chat or channel, greet once when the bot arrives, not every new member
            examples = "\n".join(f"- {safe_text(q)}" for q in WELCOME_QUESTIONS)
            await turn_context.send_activity(
                text_activity(
                    f"{welcome}\n\nMention me (@Governance Assistant) with your question, for example:\n\n{examples}"
                )
            )


async def _read(store: Bounded[str, V] | SharedContext[V], key: str) -> V | None:
    """`store.get(key)` without blocking the loop: in memory, or from a SharedContext's queue,
    on the loop (microseconds); through a thread only when the database must answer."""
    if isinstance(store, SharedContext):
        found, value = store.queued(key)
        if found:
            return value
        return await asyncio.get_running_loop().run_in_executor(_STATE_READS, store.get, key)
    return store.get(key)


async def _redacted_off_loop(text: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, _redacted, text)


def _redacted(text: str) -> str:
    return redact(clean(text)).text if text and text.strip() else ""


def _feedback_text(raw: object) -> str:
    """Teams sends the typed comment as a JSON string: {"feedbackText": "..."}."""
    if not isinstance(raw, str) or not raw.strip():
        return ""
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw[:2000]
    if isinstance(parsed, dict):
        return str(parsed.get("feedbackText") or "")[:2000]
    return ""


def _bot_mentions(activity: Activity) -> list[str]:
    """The text of each @mention of this bot in the message (e.g. "<at>Governance Assistant</at>")."""
    bot_id = activity.recipient.id if activity.recipient else None
    found = []
    for entity in activity.entities or []:
        if getattr(entity, "type", None) != "mention":
            continue
        data = dict(getattr(entity, "additional_properties", None) or {})
        mentioned = data.get("mentioned") or {}
        if bot_id and mentioned.get("id") == bot_id:
            found.append(data.get("text") or f"<at>{mentioned.get('name', '')}</at>")
    return found


def _memory_key(activity: Activity) -> str:
    """One memory per conversation (a channel thread is its own conversation) and person."""
    conversation = activity.conversation.id if activity.conversation else ""
    person = activity.from_property.id if activity.from_property else ""
    return f"{conversation}|{person}"
