"""The IG team's synonyms and curated answers, on the real model and real indexes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.glossary import Glossary, GlossaryError, Synonyms
from bot.core.index_store import build_index, load_index
from bot.core.load import load_document
from bot.core.records import Route

EVAL = Path(__file__).resolve().parent.parent / "eval_corpus"
KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_synonyms_add_the_document_wording_to_what_is_searched():
    syn = Synonyms.parse("holiday year: leave year\nmemory stick: [USB stick, USB storage]\n")
    assert syn.expand("When does the Holiday  Year start?") == "When does the Holiday  Year start? (leave year)"
    assert syn.expand("Can I use a memory stick?") == "Can I use a memory stick? (USB stick; USB storage)"
    assert syn.expand("How many days of holiday do I get?") == "How many days of holiday do I get?"  # whole phrase
    with pytest.raises(GlossaryError, match=r"synonyms\.yml"):
        Synonyms.parse("- just a list\n")


@pytest.fixture(scope="module")
def leave_index(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("glossary")
    knowledge = root / "k"
    knowledge.mkdir()
    for name in ("annual-leave-policy.md", "acceptable-use-of-it-policy.md", "employee-assistance-programme.md"):
        shutil.copy(EVAL / name, knowledge / name)
    return knowledge, root


def _assistant(knowledge: Path, root: Path, embedder, name: str) -> Assistant:
    build_index(knowledge, root / name, embedder)
    return Assistant(load_index(root / name), embedder, knowledge=[knowledge])


def test_a_synonym_turns_a_staff_wording_into_an_answer(leave_index, embedder):
    knowledge, root = leave_index
    question = "Is the staff support line open at night?"
    without = _assistant(knowledge, root, embedder, "i1").answer(question)
    assert "24 hours a day" not in without.text  # the documents never say "at night"
    (knowledge / "synonyms.yml").write_text(
        "open at night: 24 hours a day\nsupport line: Employee Assistance Programme\n"
    )
    try:
        answer = _assistant(knowledge, root, embedder, "i2").answer(question)
    finally:
        (knowledge / "synonyms.yml").unlink()
    assert answer.route is Route.ANSWER and "24 hours a day" in answer.text
    assert answer.citations[0].source == "employee-assistance-programme.md"


CURATED = """- questions:
    - Can I take my holiday in hours?
  answer: Part-time staff have their leave worked out in hours; ask your manager about booking part days.
  source: annual-leave-policy.md
  section: Entitlement
- questions:
    - Where is the canteen?
  answer: On the ground floor.
  source: canteen.md
  section: Where
"""


def test_a_curated_answer_wins_is_cited_to_its_section_and_is_live_once_saved(leave_index, embedder):
    knowledge, root = leave_index
    assistant = _assistant(knowledge, root, embedder, "i3")
    before = assistant.answer("Can I take my holiday in hours?")
    assert "ask your manager about booking part days" not in before.text
    (knowledge / "curated.yml").write_text(CURATED)
    try:
        answer = assistant.answer("can I take my holidays in hours?")
        missing = assistant.answer("Where is the canteen?")  # its section is in no document
    finally:
        (knowledge / "curated.yml").unlink()
    assert answer.route is Route.ANSWER
    assert answer.text.startswith("Part-time staff have their leave worked out in hours") and answer.text.endswith(
        "[1]"
    )
    cite = answer.citations[0]
    assert cite.source == "annual-leave-policy.md" and cite.title.endswith("Entitlement")
    assert "pro rata" in cite.quote  # the section's own words, for the reader to check
    assert "ground floor" not in missing.text


def test_an_escalation_still_beats_a_curated_answer(leave_index, embedder, tmp_path):
    knowledge, root = leave_index
    (knowledge / "curated.yml").write_text(
        "- questions: ['Can I use ChatGPT on case notes about a child?']\n"
        "  answer: Yes.\n  source: annual-leave-policy.md\n  section: Entitlement\n"
    )
    try:
        answer = _assistant(knowledge, root, embedder, "i4").answer("Can I use ChatGPT on case notes about a child?")
    finally:
        (knowledge / "curated.yml").unlink()
    assert answer.route is Route.ESCALATE


def test_a_broken_file_names_itself_and_the_bot_keeps_the_last_good_version(leave_index, embedder):
    knowledge, root = leave_index
    (knowledge / "synonyms.yml").write_text(
        "open at night: 24 hours a day\nsupport line: Employee Assistance Programme\n"
    )
    try:
        assistant = _assistant(knowledge, root, embedder, "i5")
        (knowledge / "synonyms.yml").write_text("- open at night\n")  # a list, not pairs
        with pytest.raises(GlossaryError, match=r"synonyms\.yml"):
            Glossary.load([knowledge])
        answer = assistant.answer("Is the staff support line open at night?")
    finally:
        (knowledge / "synonyms.yml").unlink()
    assert "24 hours a day" in answer.text


def test_the_shipped_files_parse_and_every_curated_section_exists():
    glossary = Glossary.load([KNOWLEDGE])
    assert glossary.synonyms.pairs and glossary.curated.entries
    for entry in glossary.curated.entries:
        doc = load_document(KNOWLEDGE / entry.source, KNOWLEDGE)
        assert entry.section in {" › ".join(s.headings) for s in doc.sections}, entry.section
