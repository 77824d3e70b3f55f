"""The escalation policy as plain code: what the card asks, how it is prefilled, what a submit means.

States: an escalate answer *offers* the card (an answer about AI offers it behind one button, "Ask
the IG Team", for staff who want IG's view anyway) (the offer is stored on the server: who it was shown to,
the redacted question, the passages shown, an expiry) -> the staff member *confirms* (escalation +
outbox row stored together) or *cancels* -> the sender *delivers* it (or keeps retrying, then gives
up as *failed*, retryable by an operator). A submit names its offer and nothing else is trusted:
the passages come from the stored offer, every typed field is redacted like a question, and the
reply address must be an email address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.core.escalation_classifier import rule_terms
from bot.core.privacy import redact
from bot.core.records import Answer
from bot.core.text import normalise

# The Personal Data Sharing e-form's questions, in its order. All are redacted when submitted.
FIELD_LABELS: dict[str, str] = {
    "question": "Question",
    "ai_tool": "AI tool or technology",
    "personal_data": "Personal data involved",
    "service": "Service or team",
    "purpose": "Purpose",
}
# The card's multi-line inputs (bot.teams.escalation_card shows these as text areas).
MULTILINE_FIELDS = frozenset({"question", "purpose"})
# The one field that must hold personal data: the staff member's own address, so IG can reply.
REPLY_TO = "reply_to"
REPLY_TO_LABEL = "Your email address (the IG Team replies to it)"
MAX_FIELD_CHARS = 1000
MAX_OFFER_ID_CHARS = 64
SEND, CANCEL, OPEN = "send_to_ig", "cancel_escalation", "open_ig_form"
OFFER = "offer"  # the only data a card's buttons carry

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True)
class Draft:
    """What the card shows, prefilled from the redacted question; stored as the offer."""

    fields: dict[str, str]
    passages: list[dict[str, Any]] = field(default_factory=list)


def draft_for(answer: Answer) -> Draft:
    """Prefill from the redacted question (never the original)."""
    ai, personal = rule_terms(answer.question)
    fields = {
        "question": answer.question,
        "ai_tool": ", ".join(ai),
        "personal_data": ", ".join(personal),
        "service": "",
        "purpose": "",
    }
    passages = [
        {"position": c.position, "title": c.title, "source": c.source, "url": c.url, "quote": c.quote}
        for c in answer.citations
    ]
    return Draft(fields, passages)


@dataclass(frozen=True)
class Submission:
    """A confirmed card: fields cleaned and redacted again (staff may have typed names in)."""

    offer_id: str
    fields: dict[str, str]
    reply_to: str  # "" when the form left it empty; the caller falls back to the roster's address
    redacted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cancelled:
    offer_id: str


@dataclass(frozen=True)
class Opened:
    """ "Ask the IG Team" on an answer about AI: show the form for that offer."""

    offer_id: str


@dataclass(frozen=True)
class Invalid:
    reason: str


def _text(value: Any) -> str:
    return (value if isinstance(value, str) else "").strip()[:MAX_FIELD_CHARS]


def valid_email(text: str) -> bool:
    return len(text) <= 254 and bool(_EMAIL.match(text))


def read_submission(verb: Any, data: Any) -> Submission | Cancelled | Opened | Invalid | None:
    """Interpret a card's button: its verb and data (inputs merged in). None when it is not ours."""
    if verb not in (SEND, CANCEL, OPEN) or not isinstance(data, dict):
        return None
    offer_id = data.get(OFFER)
    if not isinstance(offer_id, str) or not offer_id or len(offer_id) > MAX_OFFER_ID_CHARS:
        return Invalid("the form has no valid reference; please ask your question again")
    if verb == CANCEL:
        return Cancelled(offer_id)
    if verb == OPEN:
        return Opened(offer_id)
    fields: dict[str, str] = {}
    kinds: list[str] = []
    for name in FIELD_LABELS:
        # One line unless the card lets it span several: a CR/LF can't fake "Subject:" in the email.
        red = redact(normalise(_text(data.get(name)), single_line=name not in MULTILINE_FIELDS))
        fields[name] = red.text
        kinds += [k for k in red.kinds if k not in kinds]
    if not fields["question"]:
        return Invalid("the question is empty; please describe what you want to ask IG")
    reply_to = normalise(_text(data.get(REPLY_TO)))
    if reply_to and not valid_email(reply_to):
        return Invalid("the email address doesn't look right; please check it")
    return Submission(offer_id, fields, reply_to, tuple(kinds))
