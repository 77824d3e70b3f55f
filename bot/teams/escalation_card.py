"""The Adaptive Cards of the IG hand-off: the editable offer, and the read-only card that replaces it.

The buttons are Universal Actions (`Action.Execute`, card 1.5): Teams and the Agents Playground send
an `adaptiveCard/action` invoke, and the card in the invoke's response replaces the offered one in
place, so a sent or cancelled card can't be sent again. The buttons carry only the offer's id, under
`offer` (a field named `key` breaks the clients' card library: clicking throws in the page).
"""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.core.escalation import CANCEL, FIELD_LABELS, OFFER, OPEN, REPLY_TO, REPLY_TO_LABEL, SEND
from bot.teams.render import safe_text

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MULTILINE = {"question", "purpose"}
PLACEHOLDERS = {
    "ai_tool": "e.g. Microsoft Copilot, an AI transcription app",
    "personal_data": "e.g. case notes about children, staff HR records",
    "service": "e.g. Children's Social Care, Burnley",
    "purpose": "What do you want the AI to do, and why?",
    REPLY_TO: "name@lancashire.gov.uk",
}


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """An Adaptive Card 1.5 (Universal Actions) with this body and card-level actions: every card the bot
    sends is built here (the hand-off, cases, `my requests`, the IG report)."""
    card: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return card


def _input(name: str, label: str, value: str, required: bool, error: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "Input.Text",
        "id": name,
        "label": label,
        "value": value,
        "placeholder": PLACEHOLDERS.get(name, ""),
        "isMultiline": name in MULTILINE,
        "maxLength": 254 if name == REPLY_TO else 1000,
        "isRequired": required,
    }
    if name == REPLY_TO:
        element["style"] = "Email"
    if error:
        element["errorMessage"] = error
    return element


TEAM = "Information Governance Team"  # IG_TEAM's default; the flow passes the configured name


def offer_card(
    offer_id: str, fields: dict[str, str], reply_to: str, problem: str = "", team: str = TEAM
) -> dict[str, Any]:
    """Card JSON mirroring the Personal Data Sharing e-form; nothing is sent until "Send to IG".

    `reply_to` is prefilled from the Teams roster when it answered; otherwise the staff member types it.
    `problem` (e.g. a mistyped address) is shown above the form when the card is handed back to fix.
    """
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": f"Ask the {team}", "weight": "Bolder", "size": "Medium"},
        {
            "type": "TextBlock",
            "wrap": True,
            "text": "Check and edit this summary, then choose Send to IG. Nothing is sent until you do. "
            "Please leave out names and other personal details.",
        },
    ]
    if problem:
        body.append({"type": "TextBlock", "wrap": True, "color": "Attention", "text": problem})
    for name, label in FIELD_LABELS.items():
        error = "Please describe your question" if name == "question" else None
        body.append(_input(name, label, fields.get(name, ""), name == "question", error))
    body.append(_input(REPLY_TO, REPLY_TO_LABEL, reply_to, True, "Please give an email address IG can reply to"))
    return adaptive_card(
        body,
        [
            {
                "type": "Action.Execute",
                "title": "Send to IG",
                "verb": SEND,
                "style": "positive",
                "data": {OFFER: offer_id},
            },
            {
                "type": "Action.Execute",
                "title": "Cancel",
                "verb": CANCEL,
                "associatedInputs": "none",
                "data": {OFFER: offer_id},
            },
        ],
    )


def contact_card(offer_id: str, team: str) -> dict[str, Any]:
    """One button under an answer about AI: the form, for staff who want the IG Team's view."""
    return adaptive_card(
        [{"type": "TextBlock", "wrap": True, "text": f"Want the {team}'s view on your own case?"}],
        [{"type": "Action.Execute", "title": "Ask the IG Team", "verb": OPEN, "data": {OFFER: offer_id}}],
    )


def sent_card(reference: str, fields: dict[str, str], reply_to: str, team: str = TEAM) -> dict[str, Any]:
    """Read-only: what was sent, and where the reply will come. No inputs, no buttons."""
    # FactSet values are Markdown in Teams: what the staff member typed is shown as text, never as markup.
    facts = [
        {"title": label, "value": safe_text(fields.get(name, "")) or "(not given)"}
        for name, label in FIELD_LABELS.items()
    ]
    facts.append({"title": "Reply to", "value": safe_text(reply_to)})
    return adaptive_card(
        [
            {"type": "TextBlock", "text": f"Sent: {reference}", "weight": "Bolder", "size": "Medium"},
            {
                "type": "TextBlock",
                "wrap": True,
                "text": f"Sent to the {team}. Quote this reference if you contact them.",
            },
            {"type": "FactSet", "facts": facts},
        ]
    )


def closed_card(title: str, text: str) -> dict[str, Any]:
    """Read-only: a cancelled or expired offer."""
    return adaptive_card(
        [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium"},
            {"type": "TextBlock", "wrap": True, "text": text},
        ]
    )


def card_activity(card: dict[str, Any]) -> Activity:
    return Activity(type=ActivityTypes.message, attachments=[Attachment(content_type=CONTENT_TYPE, content=card)])


def invoke_card(card: dict[str, Any]) -> dict[str, Any]:
    """The body of an `adaptiveCard/action` response that replaces the card in place."""
    return {"statusCode": 200, "type": CONTENT_TYPE, "value": card}


def invoke_message(text: str) -> dict[str, Any]:
    """The body of an `adaptiveCard/action` response that leaves the card as it is and shows a message."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}
