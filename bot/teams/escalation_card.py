"""The Adaptive Card (1.5) offering to send an escalation to IG: an editable, prefilled summary."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity, ActivityTypes, Attachment

from bot.core.escalation import CANCEL, FIELD_LABELS, SEND, Draft

CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
MULTILINE = {"question", "purpose"}
PLACEHOLDERS = {
    "ai_tool": "e.g. Microsoft Copilot, an AI transcription app",
    "personal_data": "e.g. case notes about children, staff HR records",
    "service": "e.g. Children's Social Care, Burnley",
    "purpose": "What do you want the AI to do, and why?",
    "contact": "Your name",
}


def card(draft: Draft) -> dict[str, Any]:
    """Card JSON mirroring the Personal Data Sharing e-form; nothing is sent until "Send to IG"."""
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Ask the Information Governance Team", "weight": "Bolder", "size": "Medium"},
        {
            "type": "TextBlock",
            "wrap": True,
            "text": "Check and edit this summary, then choose Send to IG. Nothing is sent until you do. "
            "Please leave out names and other personal details.",
        },
    ]
    for name, label in FIELD_LABELS.items():
        body.append(
            {
                "type": "Input.Text",
                "id": name,
                "label": label,
                "value": draft.fields.get(name, ""),
                "placeholder": PLACEHOLDERS.get(name, ""),
                "isMultiline": name in MULTILINE,
                "maxLength": 1000,
                "isRequired": name == "question",
                "errorMessage": "Please describe your question" if name == "question" else None,
            }
        )
    for element in body:
        if element.get("errorMessage") is None:
            element.pop("errorMessage", None)
    return {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "version": "1.5",
        "body": body,
        "actions": [
            {
                "type": "Action.Submit",
                "title": "Send to IG",
                "style": "positive",
                "data": {"action": SEND, "key": draft.key, "passages": draft.passages},
            },
            {
                "type": "Action.Submit",
                "title": "Cancel",
                "associatedInputs": "none",
                "data": {"action": CANCEL, "key": draft.key},
            },
        ],
    }


def card_activity(draft: Draft) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        attachments=[Attachment(content_type=CONTENT_TYPE, content=card(draft))],
    )
