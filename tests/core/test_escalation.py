"""The escalation policy: what a card's button means, and that typed-in personal data is removed."""

from bot.core.escalation import (
    CANCEL,
    SEND,
    Cancelled,
    Invalid,
    Submission,
    draft_for,
    read_submission,
    valid_email,
)
from bot.core.records import Answer, Citation, Route


def test_draft_is_prefilled_from_the_redacted_question_only():
    answer = Answer(
        Route.ESCALATE,
        "…",
        (Citation(1, "Bulletin – AI", "bulletin.md", None, "Contact IG."),),
        question="Can I put [name]'s case notes into Copilot?",
    )
    draft = draft_for(answer)
    assert draft.fields["question"] == answer.question
    assert draft.fields["ai_tool"] == "copilot" and "case notes" in draft.fields["personal_data"]
    assert draft.passages[0]["source"] == "bulletin.md"


def test_send_redacts_every_typed_field_and_keeps_the_reply_address():
    data = {
        "offer": "o1",
        "question": "Can Copilot summarise notes about John Smith, NHS number 943 476 5919?",
        "purpose": "Email jane.doe@example.org the summary",
        "service": "QQ 12 34 56 C",
        "reply_to": "test.user@lancashire.gov.uk",
        "passages": [{"quote": "http://evil.example"}],  # ignored: passages come from the stored offer
    }
    sub = read_submission(SEND, data)
    assert isinstance(sub, Submission) and sub.offer_id == "o1"
    assert "943 476 5919" not in sub.fields["question"] and "John Smith" not in sub.fields["question"]
    assert "jane.doe@example.org" not in sub.fields["purpose"]
    assert "QQ 12 34 56 C" not in sub.fields["service"]
    assert sub.reply_to == "test.user@lancashire.gov.uk" and "NHS number" in sub.redacted
    assert not hasattr(sub, "passages")


def test_cancel_empty_foreign_and_malformed_values():
    assert read_submission(CANCEL, {"offer": "o1"}) == Cancelled("o1")
    assert isinstance(read_submission(SEND, {"offer": "o1", "question": "  "}), Invalid)
    assert isinstance(read_submission(SEND, {}), Invalid)
    assert isinstance(read_submission(SEND, {"offer": "x" * 65, "question": "q"}), Invalid)
    assert isinstance(read_submission(SEND, {"offer": ["o1"], "question": "q"}), Invalid)
    assert read_submission("something", {"offer": "o1"}) is None and read_submission(SEND, "text") is None


def test_a_reply_address_must_be_an_address():
    bad = read_submission(SEND, {"offer": "o1", "question": "q", "reply_to": "me\r\nBcc: all@x.org"})
    assert isinstance(bad, Invalid)
    assert valid_email("a.b-c@lancashire.gov.uk") and not valid_email("a@b") and not valid_email("<a@b.org>")
