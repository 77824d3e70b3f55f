"""Curated questions placed at the sections that answer them (pure: answers given)."""

from __future__ import annotations

from bot.core.records import Answer, Chunk, Citation, CuratedQuestion, Route
from bot.core.suggest import TITLE_CHARS, Neighbourhood, button_title


def _chunk(section: str) -> Chunk:
    return Chunk(section, "b.md", "Bulletin", section, "text")


def _answer(section: str, text: str) -> Answer:
    return Answer(Route.ANSWER, text, (Citation(1, f"Bulletin – {section}", "b.md", None, text),), 0.9)


def test_button_titles_fit_and_prefer_the_authors():
    long = "How many beds are being added to the council's children's homes?"
    assert button_title(long, "New children's home beds") == "New children's home beds"
    assert len(button_title(long)) <= TITLE_CHARS and button_title(long).endswith("…")


def test_questions_from_the_same_section_come_first_then_nearby_never_the_one_just_answered():
    answers = {
        "Why was Burnley cancelled?": _answer("Conferences", "heating"),
        "Where was the first session?": _answer("Conferences", "same as shown"),
        "What is the reform?": _answer("Reform", "reform"),
        "What is the Change Service?": _answer("Change", "change"),
        "What is the canteen menu?": Answer(Route.DECLINE, "I can't find that."),
    }
    curated = [CuratedQuestion("b.md", q) for q in answers]
    chunks = [_chunk(s) for s in ("AI", "Change", "Reform", "Conferences")]
    hood = Neighbourhood.build(curated, chunks, lambda qs: [answers[q] for q in qs])
    assert len(hood.placed) == 4  # the declined one is not offered
    shown = _answer("Conferences", "same as shown")
    near = hood.near(shown, asked=("When is the last session?",), limit=3)
    assert [s.question for s in near] == [
        "Why was Burnley cancelled?",
        "What is the reform?",
        "What is the Change Service?",
    ]


def test_curated_questions_come_from_front_matter_and_sidecars(tmp_path):
    from bot.core.load import curated_questions

    (tmp_path / "a.md").write_text("---\ntitle: A\nquestions:\n  - What is A?\n---\n# A\nText.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\nText.\n", encoding="utf-8")
    (tmp_path / "b.md.yml").write_text(
        "questions:\n  - question: How long is the B retention period?\n    title: B retention\n", encoding="utf-8"
    )
    (tmp_path / "broken.md").write_text("---\nquestions: [\n---\n# C\n", encoding="utf-8")  # skipped, not fatal
    assert curated_questions(tmp_path) == [
        CuratedQuestion("a.md", "What is A?"),
        CuratedQuestion("b.md", "How long is the B retention period?", "B retention"),
    ]
