"""How a conversation with the bot flows in Teams: who it answers, what it remembers, what it offers.

Pure logic over plain values (no botbuilder types), so the handler stays a thin translator:

- mentions: in channels and group chats the bot answers only when @mentioned, with the mention
  text removed from the question;
- memory: the last *redacted* question per conversation and person, what the bot said to it and
  its route, bounded in size and age, so a follow-up ("and what form do I fill in?") is answered
  in the context of the turn before, and the same text is never sent twice in a row. Only a
  message that cannot stand alone (bot.core.follow_up.leans_on_previous) after an *answer* is a
  follow-up: never after an IG hand-off or a decline;
- suggestions: three questions after the welcome, and questions the same or nearby sections
  answer after an answer (bot.core.suggest), as buttons on the answer itself, named in the
  welcome's text so that it still reads well once Teams has removed its buttons;
- recent replies: what each recent answer was, keyed by the reply's activity id, so feedback
  clicked on it can be stored with the (redacted) question and the answer.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.follow_up import leans_on_previous
from bot.core.records import Answer, Route
from bot.core.suggest import Suggestion

WELCOME_SUGGESTIONS = (
    Suggestion("Contact about AI and data", "Who do I contact about AI and personal data?"),
    Suggestion("Last conference session", "When is the last employee conference session?"),
    Suggestion("Children's social care reform", "What is happening with children's social care reform?"),
)
WELCOME_QUESTIONS = tuple(s.question for s in WELCOME_SUGGESTIONS)

CONTEXT_MAX_CHARS = 400

SCOPED = frozenset({"channel", "groupChat"})


def needs_mention(conversation_type: str | None) -> bool:
    """Channels and group chats: only messages that @mention the bot are for it."""
    return conversation_type in SCOPED


def strip_mentions(text: str, mention_texts: Iterable[str]) -> str:
    """The question without the bot's @mention (e.g. "<at>Governance Assistant</at>")."""
    for mention in mention_texts:
        if mention:
            text = text.replace(mention, " ")
    # Teams sometimes leaves an empty or name-only <at> tag; never treat it as question text.
    text = re.sub(r"<at>[^<]*</at>", " ", text, flags=re.I)
    return " ".join(text.split())


def is_follow_up(question: str, before: Turn | None) -> bool:
    """A message that cannot stand alone, right after an answer. After an IG hand-off or a
    decline there is no answer to continue: the message is asked on its own."""
    return before is not None and before.route == Route.ANSWER.value and leans_on_previous(question)


def with_context(previous: str, question: str) -> str:
    """The text to answer for a follow-up: the previous (redacted) question, then this one."""
    return f"{previous[-CONTEXT_MAX_CHARS:]} {question}".strip()


K = TypeVar("K")
V = TypeVar("V")


class Bounded(Generic[K, V]):
    """A thread-safe LRU map with a maximum size and age: memory that can never grow unbounded."""

    def __init__(self, max_items: int, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._max_items = max_items
        self._max_age = max_age_s
        self._clock = clock
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = (self._clock(), value)
            self._items.move_to_end(key)
            while len(self._items) > self._max_items:
                self._items.popitem(last=False)

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            stamp, value = found
            if self._clock() - stamp > self._max_age:
                del self._items[key]
                return None
            return value

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class AnswerRecord:
    """What the bot said in one reply: enough to file feedback on it. The question is redacted."""

    question: str
    answer: str
    route: str
    citations: tuple[str, ...]


@dataclass(frozen=True)
class Turn:
    """The last exchange in a conversation: the redacted question, the text the bot sent and
    its route ("answer", "escalate", "decline"; "" when stored before routes were kept)."""

    question: str
    said: str
    route: str = ""


def suggestions_for(
    answer: Answer, near: Callable[[Answer, tuple[str, ...]], list[Suggestion]], asked: tuple[str, ...]
) -> list[Suggestion]:
    """What to offer after an answer: questions about the cited or nearby sections; after a
    decline with no passage, the welcome's questions (the bot has nothing nearby to go on)."""
    if answer.route is Route.DECLINE and not answer.citations:
        skip = {a.lower().strip(" ?") for a in asked}
        return [s for s in WELCOME_SUGGESTIONS if s.question.lower().strip(" ?") not in skip][:2]
    return near(answer, asked)


def _listed(questions: list[str], conjunction: str) -> str:
    quoted = [f"“{q}”" for q in questions]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" {conjunction} " + quoted[-1]


def offer_text(suggestions: list[Suggestion]) -> str:
    """The words that carry the welcome's buttons. Teams drops the buttons once the person
    replies, so the message names the questions itself and still makes sense without them."""
    questions = [s.question for s in suggestions]
    return f"To get started, you could ask {_listed(questions, 'or')}, or type your own question."
