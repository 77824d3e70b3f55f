"""The escalation policy: what a card submit means, and that typed-in personal data is removed."""

from bot.core.escalation import CANCEL, SEND, Cancelled, Invalid, Submission, draft_for, read_submission
from bot.core.models import Answer, Citation, Route


def test_draft_is_prefilled_from_the_redacted_question_and_the_teams_name():
    answer = Answer(
        Route.ESCALATE,
        "…",
        (Citation(1, "Bulletin – AI", "bulletin.md", None, "Contact IG."),),
        question="Can I put [name]'s case notes into Copilot?",
    )
    draft = draft_for(answer, "Test User")
    assert draft.fields["question"] == answer.question and draft.fields["contact"] == "Test User"
    assert draft.fields["ai_tool"] == "copilot" and "case notes" in draft.fields["personal_data"]
    assert draft.passages[0]["source"] == "bulletin.md" and len(draft.key) == 32


def test_send_redacts_what_the_staff_member_typed_but_keeps_their_own_name():
    value = {
        "action": SEND,
        "key": "k1",
        "question": "Can Copilot summarise notes about John Smith, NHS number 943 476 5919?",
        "purpose": "Email jane.doe@example.org the summary",
        "contact": "Test User",
    }
    sub = read_submission(value)
    assert isinstance(sub, Submission)
    assert "943 476 5919" not in sub.fields["question"] and "John Smith" not in sub.fields["question"]
    assert "jane.doe@example.org" not in sub.fields["purpose"]
    assert sub.fields["contact"] == "Test User" and "NHS number" in sub.redacted


def test_cancel_empty_and_foreign_values():
    assert read_submission({"action": CANCEL, "key": "k1"}) == Cancelled("k1")
    assert isinstance(read_submission({"action": SEND, "key": "k1", "question": "  "}), Invalid)
    assert isinstance(read_submission({"action": SEND}), Invalid)
    assert read_submission({"something": "else"}) is None and read_submission("text") is None
