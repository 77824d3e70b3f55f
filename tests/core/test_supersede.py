"""Explicit supersession: a replaced document is never quoted, whatever its score, unless the
question names it; then it is quoted with what replaced it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.core.assistant import Assistant
from bot.core.attribution import attribute
from bot.core.chunk import chunk_document
from bot.core.index_store import build_index, load_index
from bot.core.load import iter_knowledge_files, load_document
from bot.core.supersede import documents, named_past, replaced_by

EVAL = Path(__file__).resolve().parent.parent / "eval_corpus"


def _chunks(folder: Path):
    out = []
    for path in iter_knowledge_files(folder):
        out += chunk_document(load_document(path, folder))
    return out


def test_replaces_and_supersedes_statements_name_exactly_the_older_versions():
    assert set(replaced_by(_chunks(EVAL))) == {
        "expenses-policy-2023.md",  # "supersedes version 4 (2023) in full"
        "hybrid-working-policy-2023.md",  # "It replaces version 1 of May 2023"
        "information-security-policy-2022.md",  # "replaces the Information Security Policy version 1.4"
        "procurement-thresholds-2024.md",  # "They replace the 2024 thresholds"
    }  # and not the older staff bulletins, though "the lifts ... are replaced" is in one


def _write(folder: Path, docs: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in docs.items():
        (folder / name).write_text(text)
    return folder


OLD = """---
title: Car Parking Rules
date: 2022-01-10
---
## Permits

A staff parking permit at County Hall costs £10 a month and is renewed every January.
"""
NEW = """---
title: Parking at Council Buildings
date: 2025-01-10
supersedes: Car Parking Rules
---
## Staff permits

Permits are issued through the Workspace app and are free.
"""


def test_front_matter_names_the_replaced_document_by_title(tmp_path: Path):
    assert set(replaced_by(_chunks(_write(tmp_path / "k", {"old.md": OLD, "new.md": NEW})))) == {"old.md"}


def test_without_a_statement_both_documents_stay(tmp_path: Path):
    plain = NEW.replace("supersedes: Car Parking Rules\n", "")
    assert set(replaced_by(_chunks(_write(tmp_path / "k", {"old.md": OLD, "new.md": plain})))) == frozenset()


def _assistant_over(tmp_path: Path, embedder, names: tuple[str, ...]) -> Assistant:
    """An assistant over these documents of the evaluation corpus only."""
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    for name in names:
        (knowledge / name).write_text((EVAL / name).read_text())
    build_index(knowledge, tmp_path / "i", embedder)
    return Assistant(load_index(tmp_path / "i"), embedder)


def test_the_replaced_version_is_never_quoted_even_when_it_matches_the_wording_best(tmp_path: Path, embedder):
    # a policy replaced by a standard: different titles, so only the statement links them
    assistant = _assistant_over(
        tmp_path, embedder, ("information-security-policy-2022.md", "information-security-standard-2025.md")
    )
    # the 2022 wording, nearly word for word: it would outscore the 2025 passage
    for question, old in (
        ("Do passwords have to be changed every 90 days?", "90 days"),
        ("Do computers lock automatically after 15 minutes without activity?", "15 minutes"),
        ("Should I forward a phishing email as an attachment to phishing@lancashire.gov.uk?", "phishing@"),
    ):
        answer = assistant.answer(question)
        assert old not in answer.text and all(old not in c.quote for c in answer.citations), question
        assert all(c.source != "information-security-policy-2022.md" for c in answer.citations), question


GONE = frozenset(
    {
        "expenses-policy-2023.md",
        "hybrid-working-policy-2023.md",
        "information-security-policy-2022.md",
        "procurement-thresholds-2024.md",
    }
)


def test_a_question_brings_back_only_the_replaced_document_it_names():
    replaced = documents(_chunks(EVAL), GONE)
    named = {
        "What was the car mileage rate under the old 2023 expenses policy?": {"expenses-policy-2023.md"},
        "under hybrid working version 1 were you allowed to work abroad": {"hybrid-working-policy-2023.md"},
        "what was the desk app in the first version of the hybrid policy": {"hybrid-working-policy-2023.md"},
        "in the 2022 infosec policy how many passwords could you not reuse": {"information-security-policy-2022.md"},
        "under the 2024 contract procedure rules what needed a formal tender": {"procurement-thresholds-2024.md"},
        "what did the old travel policy say about hotels": {"expenses-policy-2023.md"},
    }
    for question, want in named.items():
        assert named_past(question, replaced) == want, question
    for question in (
        "What is the car mileage rate?",
        "I used to get 45p a mile, is that still right?",  # about today's rate
        "Can I claim for my old car's MOT?",  # an old car, not an old policy
        "Is there a first aid policy?",  # "first" before "policy", but no title named
        "How many days of leave do I get in 2025?",  # a year no replaced document has
        "what's the policy on the original receipt",
    ):
        assert named_past(question, replaced) == frozenset(), question


def test_asked_about_by_name_the_replaced_version_is_quoted_and_said_to_be_replaced(tmp_path: Path, embedder):
    assistant = _assistant_over(tmp_path, embedder, ("expenses-policy-2023.md", "expenses-policy-2025.md"))

    old = assistant.answer("What was the car mileage rate under the old 2023 expenses policy?")
    assert "45p" in old.text and "52p" not in old.text
    assert {c.source for c in old.citations} == {"expenses-policy-2023.md"}
    assert old.text.startswith(
        "Travel and Expenses Policy 2023 (version 4) has been replaced by Travel and Expenses Policy 2025 (version 5)."
    )
    # as Teams shows it: the note is the bot's own words, the quotation is the old policy's alone
    shown = attribute(old, date(2026, 12, 2)).text
    note, quotation = shown.split("\n\n")[:2]
    assert "replaced" in note and "“" not in note
    assert quotation.startswith("From the Travel and Expenses Policy 2023") and "replaced" not in quotation
    # the same question without naming the old policy gets today's rate, and no note
    today = assistant.answer("What is the car mileage rate?")
    assert "52p" in today.text and "45p" not in today.text and "replaced" not in today.text


def test_a_version_no_document_holds_is_named_and_what_is_quoted_instead(assistant):
    # the shipped bulletin (2024) mentions the Gen AI Policy; no 2023 version of anything is held
    answer = assistant.answer("What did the old 2023 version of the Generative AI policy say?")
    first = answer.text.split("\n\n")[0]
    assert first.startswith("I don't hold the 2023 version of that document.")
    assert "Staff bulletin, week of 18 November 2024" in first
    # a year the bulletin does hold, or a year that dates no document, gets no such note
    for question in ("What did the 2024 bulletin say about Burnley?", "Will there be a conference in 2024?"):
        assert "I don't hold" not in assistant.answer(question).text
