"""The conversation log keeps the redacted question and what the bot did, never the raw text."""

from __future__ import annotations

from pathlib import Path

from bot.core.records import Answer, Citation, Route
from bot.store.db import make_engine
from bot.store.turns import Source, TurnStore, conversation_hash, turn_from_answer
from tests.oversight_seed import ago


def test_an_answer_is_stored_with_its_redacted_question_sources_and_kinds(tmp_path: Path, assistant):
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    store = TurnStore(engine)
    email = "sarah.jones@lancashire.gov.uk"
    answered = assistant.answer(f"When is the last employee conference session? Email me at {email}")
    declined = assistant.answer("My colleague Sarah Jones wants to know if the canteen sells vegan pies")
    store.add(turn_from_answer("a:conversation-1", answered, 123.4, at=ago(1)))
    store.add(turn_from_answer("a:conversation-2", declined, 50, at=ago(0)))

    first, second = store.since()
    assert first.question == "When is the last employee conference session? Email me at [email address]"
    assert first.redacted == ("email address",)
    assert first.route == "answer" and first.latency_ms == 123 and first.created_at == ago(1)
    assert first.sources == (
        Source("staff-bulletin-2024-11-18.md", "Staff bulletin, week of 18 November 2024 – Employee conferences"),
    )
    assert first.conversation == conversation_hash("a:conversation-1") and "conversation" not in first.conversation
    assert second.question.startswith("My colleague [name] wants") and second.redacted == ("name",)
    assert second.route == "decline" and second.sources == ()
    # nothing personal anywhere in the database file
    data = b"".join(p.read_bytes() for p in tmp_path.glob("bot.sqlite3*"))
    assert b"Sarah" not in data and b"sarah.jones" not in data and b"Jones" not in data


def test_unanswered_input_is_not_logged(tmp_path: Path):
    store = TurnStore(make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))
    empty = Answer(Route.DECLINE, "Your message was empty.")  # the core keeps no question for these
    assert store.add(turn_from_answer("a:c", empty, 1.0)) == 0
    assert store.since() == []


def test_since_filters_by_time_and_sources_are_kept_once_per_section(tmp_path: Path):
    store = TurnStore(make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))
    cite = Citation(1, "Scope", "policy.md", None, "quote")
    twice = Answer(Route.ANSWER, "text", (cite, Citation(2, "Scope", "policy.md", None, "other")), 0.7, (), "q")
    store.add(turn_from_answer("a:c", twice, 5, at=ago(10)))
    store.add(turn_from_answer("a:c", twice, 5, at=ago(2)))
    assert [t.created_at for t in store.since(ago(5))] == [ago(2)]
    assert store.since(ago(5))[0].sources == (Source("policy.md", "Scope"),)
