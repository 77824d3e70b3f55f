"""What a staff member types is shown as text wherever it is shown again: the read-only card
after Send, and the IG team's email (plain text, so markup stays inert and headers stay clean)."""

from __future__ import annotations

import datetime as dt
import json

from bot.mail.message import build_message
from bot.store.escalations import Escalation
from bot.teams.escalation_card import sent_card

HOSTILE = '<b>bold</b> [link](http://evil.example) **loud** {"type": "Action.OpenUrl", "url": "http://evil.example"}'


def _facts(card: dict) -> list[dict]:
    return [f for item in card["body"] if item.get("type") == "FactSet" for f in item["facts"]]


def test_the_sent_card_shows_typed_markup_as_text_not_as_bold_or_a_link():
    card = sent_card("IG-2026-000001", {"question": HOSTILE, "purpose": "x"}, "a.member@lancashire.gov.uk")
    values = [f["value"] for f in _facts(card)]
    shown = next(v for v in values if "bold" in v)
    assert "<b>" not in shown and "&lt;b&gt;" in shown  # Teams would render <b> as bold
    assert "[link](" not in shown and r"\[link\]" in shown  # nor a Markdown link it would make clickable
    assert "**loud**" not in shown
    # the JSON-looking text stays a string inside the value: no new element was added to the card
    assert all(set(f) == {"title", "value"} for f in _facts(card))
    assert "Action.OpenUrl" not in json.dumps([a.get("type") for a in card.get("actions", [])])


def test_the_ig_email_is_plain_text_with_the_typed_text_verbatim_and_no_injected_header():
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    e = Escalation(
        id=1, reference="IG-2026-000001", idempotency_key="k", created_at=now,
        user_name="A. Member\r\nBcc: x@evil.example",
        user_email="a.member@lancashire.gov.uk", question=HOSTILE, fields={"question": HOSTILE}, passages=[],
        conversation_reference=None, notified_at=None, message_id="<m@bot>", status="pending", attempts=0,
        next_attempt_at=now, last_error=None, delivered_at=None,
    )  # fmt: skip
    msg = build_message(e, "bot@lancashire.gov.uk", "informationgovernance@lancashire.gov.uk")
    assert msg.get_content_type() == "text/plain" and not msg.is_multipart()  # nothing a mail client renders
    assert HOSTILE in msg.get_content()  # the IG team reads exactly what was typed
    assert msg["Bcc"] is None and "Bcc: x@evil.example" not in msg.as_string().split("\n\n", 1)[0]


def test_a_multi_line_answer_cannot_fake_a_line_of_the_ig_email():
    """The card's multi-line fields keep their line breaks; in the email their later lines are
    indented, so "Subject:" or "Reply to:" typed on a new line can't pass for the email's own."""
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    typed = "Summarise notes\nSubject: Approved by IG\nReply to: attacker@evil.example"
    e = Escalation(
        id=1, reference="IG-2026-000001", idempotency_key="k", created_at=now, user_name="A. Member",
        user_email="a.member@lancashire.gov.uk", question=typed, fields={"question": typed, "purpose": typed},
        passages=[], conversation_reference=None, notified_at=None, message_id="<m@bot>", status="pending",
        attempts=0, next_attempt_at=now, last_error=None, delivered_at=None,
    )  # fmt: skip
    body = build_message(e, "bot@lancashire.gov.uk", "informationgovernance@lancashire.gov.uk").get_content()
    lines = body.splitlines()
    assert not [line for line in lines if line.startswith(("Subject:", "Reply to: attacker"))]
    assert "    Subject: Approved by IG" in lines  # still there for IG to read, marked as the typed text
