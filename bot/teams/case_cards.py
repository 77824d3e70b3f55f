"""The Adaptive Cards of IG cases: the IG team's list of open cases, and a staff member's own requests.

Every button is a Universal Action (`Action.Execute`) carrying one opaque id under `case`: a stored
offer (bot.store.offers, kind `case`) bound to this chat, this person and one case. The typed
reply, the closing note and the "sign" toggle are inputs whose ids end in that id, so two cases on
one card never share an input. Whatever people typed (questions, replies, notes) is shown as text,
never as Markdown or HTML (bot.teams.oversight.literal; FactSet values through safe_text).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core import cases as rules
from bot.store.cases import UNREACHABLE, Case, Event
from bot.teams.escalation_card import adaptive_card
from bot.teams.oversight import literal
from bot.teams.render import safe_text

REPLY, CLOSE, WITHDRAW = "case_reply", "case_close", "case_withdraw"
VERBS = frozenset({REPLY, CLOSE, WITHDRAW})
CASE = "case"  # the only data a button carries: the offer's id
MAX_SHOWN = 15


def reply_input(offer_id: str) -> str:
    return f"reply_{offer_id}"


def sign_input(offer_id: str) -> str:
    return f"sign_{offer_id}"


def note_input(offer_id: str) -> str:
    return f"note_{offer_id}"


def _days(n: int) -> str:
    return f"{n} working day{'s' if n != 1 else ''}"


def _heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": "Medium", "wrap": True}


def _note(text: str, colour: str = "Good") -> dict[str, Any]:
    return {"type": "TextBlock", "text": safe_text(text), "wrap": True, "color": colour}


def _execute(title: str, verb: str, offer_id: str, style: str = "positive") -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "style": style, "data": {CASE: offer_id}}


def _show(title: str, body: list[dict[str, Any]], action: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": [action]},
    }


def _ig_case(case: Case, offer_id: str, now: dt.datetime, overdue_days: int) -> dict[str, Any]:
    age = rules.age(case.created_at, now)
    late = rules.overdue(case.created_at, now, overdue_days)
    status = rules.IG_LABELS.get(case.status, case.status)
    items: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{case.reference} · {_days(age)} old · {status}" + (" · OVERDUE" if late else ""),
            "weight": "Bolder",
            "color": "Attention" if late else "Default",
            "wrap": True,
        },
        literal(case.question),
        {
            "type": "FactSet",
            "facts": [
                {"title": "Service", "value": safe_text(case.fields.get("service", "")) or "(not given)"},
                {"title": "AI tool", "value": safe_text(case.fields.get("ai_tool", "")) or "(not given)"},
                {"title": "Received", "value": f"{case.created_at:%d %b %Y %H:%M} UTC"},
            ],
        },
    ]
    if case.flag:
        items.append(_note(case.flag, "Attention"))
    reply = _show(
        "Reply",
        [
            {
                "type": "Input.Text",
                "id": reply_input(offer_id),
                "label": "Your reply (sent to the staff member's chat, and copied to the IG mailbox)",
                "isMultiline": True,
                "maxLength": rules.MAX_REPLY_CHARS,
                "isRequired": True,
                "errorMessage": "Please type a reply",
            },
            {
                "type": "Input.Toggle",
                "id": sign_input(offer_id),
                "title": "Sign with my name (otherwise it comes from the IG team)",
                "value": "false",
                "valueOn": "true",
                "valueOff": "false",
            },
        ],
        _execute("Send reply", REPLY, offer_id),
    )
    close = _show(
        "Close",
        [
            {
                "type": "Input.Text",
                "id": note_input(offer_id),
                "label": "Closing note (optional, kept on the case)",
                "isMultiline": True,
                "maxLength": rules.MAX_NOTE_CHARS,
            }
        ],
        _execute("Close case", CLOSE, offer_id, "destructive"),
    )
    items.append({"type": "ActionSet", "actions": [reply, close]})
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def cases_card(
    cases: Sequence[Case], offers: Mapping[int, str], now: dt.datetime, overdue_days: int, note: str = ""
) -> dict[str, Any]:
    """The IG team's open cases, oldest first, each with Reply and Close (`offers`: case id -> offer id)."""
    late = sum(1 for c in cases if rules.overdue(c.created_at, now, overdue_days))
    body: list[dict[str, Any]] = [
        _heading(f"Open IG cases: {len(cases)}"),
        {
            "type": "TextBlock",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
            "text": f"Oldest first. {late} past {_days(overdue_days)}. Questions are shown with personal data removed.",
        },
    ]
    if note:
        body.append(_note(note))
    if not cases:
        body.append({"type": "TextBlock", "text": "No open cases.", "wrap": True})
    for case in cases[:MAX_SHOWN]:
        body.append(_ig_case(case, offers[case.id], now, overdue_days))
    if len(cases) > MAX_SHOWN:
        body.append({"type": "TextBlock", "wrap": True, "text": f"…and {len(cases) - MAX_SHOWN} newer cases."})
    return adaptive_card(body)


def _staff_case(case: Case, replies: Sequence[Event], offer_id: str | None, team: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": f"{case.reference} · {rules.LABELS.get(case.status, case.status)}",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": f"Sent {case.created_at:%d %b %Y}", "isSubtle": True, "spacing": "None"},
        literal(case.question),
    ]
    for r in replies:
        who = f"{r.signed_by}, {team}" if r.signed_by else f"the {team}"
        items.append({"type": "TextBlock", "text": f"Reply from {safe_text(who)}, {r.at:%d %b %Y}:", "wrap": True})
        items.append(literal(r.text))
    if offer_id is not None:
        items.append({"type": "ActionSet", "actions": [_execute("Withdraw", WITHDRAW, offer_id, "destructive")]})
    return {"type": "Container", "separator": True, "spacing": "Medium", "items": items}


def requests_card(
    cases: Sequence[Case],
    replies: Mapping[int, Sequence[Event]],
    offers: Mapping[int, str],
    team: str,
    note: str = "",
) -> dict[str, Any]:
    """A staff member's own requests to the IG team, newest first, with their status and replies."""
    body: list[dict[str, Any]] = [_heading("Your requests to the IG team")]
    if note:
        body.append(_note(note))
    if not cases:
        body.append({"type": "TextBlock", "wrap": True, "text": "You have no requests to the IG team."})
    for case in cases[:MAX_SHOWN]:
        body.append(_staff_case(case, replies.get(case.id, ()), offers.get(case.id), team))
    return adaptive_card(body)


def reply_text(reference: str, text: str, signed_by: str, team: str) -> str:
    """The proactive message a staff member gets: the reference, the reply as typed, and who answered."""
    who = f"{safe_text(signed_by)}, {team}" if signed_by else f"the {team}"
    paragraphs = [safe_text(p) for p in text.split("\n") if p.strip()]
    return "\n\n".join([f"Reply from {who} to your question {reference}:", *paragraphs, f"— {who}"])


def flag_text(reason: str, email: str) -> str:
    return (
        f"The last reply could not be delivered in Teams ({reason}). It is kept on this case; "
        f"please send it by email to {email or 'the staff member'}."
    )


def undelivered(event: Event) -> bool:
    return event.delivery == UNREACHABLE
