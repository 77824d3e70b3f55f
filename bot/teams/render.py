"""Render core Answers as Teams messages: text with [n] markers, citations and the AI label."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import ClassVar

from botbuilder.schema import Activity, ActivityTypes, CardAction, Entity, SuggestedActions

from bot.core.records import Answer, Citation
from bot.core.suggest import Suggestion, button_title
from bot.core.text import shorten
from bot.teams.wire import to_wire

# Teams limits for citation appearance fields (longer values are cut by the client or refused).
NAME_CHARS = 80
ABSTRACT_CHARS = 160
KEYWORD_CHARS = 28
MAX_KEYWORDS = 3
# Teams rejects activities over about 100 KB; every message is kept under MAX_ACTIVITY_BYTES
# of JSON (text, citations and buttons together), with room to spare for the channel's own fields.
MAX_TEXT_CHARS = 20_000
MAX_ACTIVITY_BYTES = 60_000
MAX_CITATIONS = 20

_URL = re.compile(r"^https?://", re.I)


class MessageEntity(Entity):
    """The schema.org Message entity Teams reads citations and the AI label from.

    botbuilder drops entities given as plain dicts, so the fields need an attribute map.
    """

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "at_type": {"key": "@type", "type": "str"},
        "at_context": {"key": "@context", "type": "str"},
        "at_id": {"key": "@id", "type": "str"},
        "additional_type": {"key": "additionalType", "type": "[str]"},
        "citation": {"key": "citation", "type": "[object]"},
    }

    def __init__(self, citation: list[dict] | None = None, **kwargs) -> None:
        super().__init__(type="https://schema.org/Message", **kwargs)
        self.at_type = "Message"
        self.at_context = "https://schema.org"
        self.at_id = ""
        self.additional_type = ["AIGeneratedContent"]
        self.citation = citation or None


def claim(c: Citation) -> dict:
    """One Teams citation, with fields cut to Teams' limits."""
    appearance: dict = {
        "@type": "DigitalDocument",
        "name": shorten(c.title, NAME_CHARS),
        "abstract": shorten(c.quote, ABSTRACT_CHARS),
        "keywords": [shorten(k, KEYWORD_CHARS) for k in _keywords(c)][:MAX_KEYWORDS],
    }
    if c.url and _URL.match(c.url):
        appearance["url"] = c.url
    return {"@type": "Claim", "position": c.position, "appearance": appearance}


def _keywords(c: Citation) -> list[str]:
    parts = [p.strip() for p in c.title.split("–")]
    return [p for p in reversed(parts) if p][:MAX_KEYWORDS]


# Markdown that could turn quoted text into a live link, image, heading, table or emphasis.
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~])")
_ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")


def safe_text(text: str, markers: frozenset[int] = frozenset()) -> str:
    """Document and user text is shown as text: never interpreted as HTML or Markdown by Teams.

    The reply is sent as Markdown (Teams needs it for the [n] citation markers), so every
    Markdown character is backslash-escaped, then the markers of real citations restored.
    """
    escaped = _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))
    return _ESCAPED_MARKER.sub(lambda m: f"[{m.group(1)}]" if int(m.group(1)) in markers else m.group(0), escaped)


def suggested(suggestions: Sequence[Suggestion]) -> SuggestedActions | None:
    """imBack buttons (the one kind Teams shows as suggested actions) whose value is the full
    question and whose title fits (bot.core.suggest.TITLE_CHARS). The Agents Playground sends
    the title instead of the value: the handler maps an offered title back to its question."""
    if not suggestions:
        return None
    return SuggestedActions(
        actions=[
            CardAction(type="imBack", title=button_title(s.question, s.title), value=s.question) for s in suggestions
        ]
    )


def answer_activity(answer: Answer, suggestions: Sequence[Suggestion] = ()) -> Activity:
    """A Teams message for an Answer: one root Message entity, AI-labelled, with citations,
    feedback buttons and the suggested questions as buttons, all in one message; always under
    the Teams size limit. The Agents Playground shows a message with buttons as plain text
    (docs/behaviour.md); Teams keeps its citations."""
    entity = MessageEntity(citation=[claim(c) for c in answer.citations[:MAX_CITATIONS]])
    activity = Activity(
        type=ActivityTypes.message,
        text=shorten(safe_text(answer.text, frozenset(c.position for c in answer.citations)), MAX_TEXT_CHARS),
        text_format="markdown",
        entities=[entity],
        channel_data={"feedbackLoopEnabled": True},
        suggested_actions=suggested(suggestions),
    )
    return fit(activity)


def text_activity(text: str, suggestions: Sequence[Suggestion] = ()) -> Activity:
    """A plain message (welcome, help), optionally with suggested questions."""
    activity = Activity(
        type=ActivityTypes.message,
        text=shorten(text, MAX_TEXT_CHARS),
        text_format="markdown",
        suggested_actions=suggested(suggestions),
    )
    return fit(activity)


def wire_size(activity: Activity) -> int:
    """Bytes of the activity as JSON on the wire."""
    return len(json.dumps(to_wire(activity), ensure_ascii=False).encode("utf-8"))


def fit(activity: Activity, limit: int = MAX_ACTIVITY_BYTES) -> Activity:
    """Cut the text (never the citations' structure) until the whole activity fits in `limit`."""
    size = wire_size(activity)
    while size > limit and activity.text and activity.text != "…":
        encoded = activity.text.encode("utf-8")
        keep = max(0, len(encoded) - (size - limit) - 64)
        # JSON escaping can make a character cost more than its UTF-8 bytes: cut, measure again.
        activity.text = encoded[:keep].decode("utf-8", errors="ignore").rsplit(" ", 1)[0] + "…"
        size = wire_size(activity)
    if size > limit:  # only citations are left to blame: drop their abstracts
        for entity in activity.entities or []:
            for c in getattr(entity, "citation", None) or []:
                c["appearance"].pop("abstract", None)
    return activity


def typing_activity() -> Activity:
    return Activity(type=ActivityTypes.typing)
