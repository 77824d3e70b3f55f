"""The escalation policy as plain code: what the card asks, how it is prefilled, what a submit means.

States: an escalate answer offers a *draft* (the card; nothing stored) -> the staff member
*confirms* (escalation + outbox row stored together) or *cancels* (nothing stored) -> the
sender *delivers* it (or keeps retrying, then gives up as *failed*, retryable by an operator).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from bot.core.models import Answer
from bot.core.privacy import redact
from bot.core.route import rule_terms

# The Personal Data Sharing e-form's questions, in its order.
FIELD_LABELS: dict[str, str] = {
    "question": "Question",
    "ai_tool": "AI tool or technology",
    "personal_data": "Personal data involved",
    "service": "Service or team",
    "purpose": "Purpose",
    "contact": "Contact",
}
MAX_FIELD_CHARS = 1000
SEND, CANCEL = "send_to_ig", "cancel_escalation"


@dataclass(frozen=True)
class Draft:
    """What the card shows, prefilled; `key` makes a double submit one escalation."""

    key: str
    fields: dict[str, str]
    passages: list[dict[str, Any]] = field(default_factory=list)


def draft_for(answer: Answer, user_name: str) -> Draft:
    """Prefill from the redacted question (never the original) and the Teams user's name."""
    ai, personal = rule_terms(answer.question)
    fields = {
        "question": answer.question,
        "ai_tool": ", ".join(ai),
        "personal_data": ", ".join(personal),
        "service": "",
        "purpose": "",
        "contact": user_name,
    }
    passages = [
        {"position": c.position, "title": c.title, "source": c.source, "url": c.url, "quote": c.quote}
        for c in answer.citations
    ]
    return Draft(uuid.uuid4().hex, fields, passages)


@dataclass(frozen=True)
class Submission:
    """A confirmed card: fields cleaned and redacted again (staff may have typed names in)."""

    key: str
    fields: dict[str, str]
    passages: list[dict[str, Any]]
    redacted: tuple[str, ...] = ()


@dataclass(frozen=True)
class Cancelled:
    key: str


@dataclass(frozen=True)
class Invalid:
    reason: str


def _text(value: Any) -> str:
    return (value if isinstance(value, str) else "").strip()[:MAX_FIELD_CHARS]


def read_submission(value: Any) -> Submission | Cancelled | Invalid | None:
    """Interpret a card's submitted `value`; None when it is not one of our cards."""
    if not isinstance(value, dict) or value.get("action") not in (SEND, CANCEL):
        return None
    key = value.get("key")
    if not isinstance(key, str) or not key or len(key) > 100:
        return Invalid("the card has no valid reference key; please ask your question again")
    if value["action"] == CANCEL:
        return Cancelled(key)
    fields: dict[str, str] = {}
    kinds: list[str] = []
    for name in FIELD_LABELS:
        text = _text(value.get(name))
        if name != "contact":  # the contact is the staff member's own name, which they confirmed
            red = redact(text)
            text = red.text
            kinds += [k for k in red.kinds if k not in kinds]
        fields[name] = text
    if not fields["question"]:
        return Invalid("the question is empty; please describe what you want to ask IG")
    passages = value.get("passages")
    passages = [p for p in passages if isinstance(p, dict)][:10] if isinstance(passages, list) else []
    return Submission(key, fields, passages, tuple(kinds))
