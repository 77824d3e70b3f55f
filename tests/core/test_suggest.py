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


def test_a_question_whose_answer_is_already_shown_is_not_offered_however_it_was_asked():
    # "Why was the Burnley one called off?" is answered by the very sentence the curated
    # "Why was the Burnley conference session cancelled?" gets: offering it would say nothing new.
    heating = "We are sorry that we had to cancel our session in Burnley due to problems with the heating system."
    answers = {
        "Why was the Burnley conference session cancelled?": _answer("Conferences", f"{heating} [1]"),
        "Will the last session be recorded?": _answer("Conferences", "We will also be recording this. [1]"),
    }
    curated = [CuratedQuestion("b.md", q) for q in answers]
    hood = Neighbourhood.build(curated, [_chunk("Conferences")], lambda qs: [answers[q] for q in qs])
    shown = _answer("Conferences", f"Due to problems with the heating system.\n\nFrom the bulletin: “{heating}” [1]")
    near = hood.near(shown, asked=("Why was the Burnley one called off?",))
    assert [s.question for s in near] == ["Will the last session be recorded?"]


def test_a_question_worded_almost_as_the_one_just_asked_is_not_offered():
    answers = {
        "Who do I contact about AI and personal data?": _answer("AI", "Contact the IG team. [1]"),
        "What must any use of AI comply with?": _answer("AI", "Data protection. [1]"),
    }
    curated = [CuratedQuestion("b.md", q) for q in answers]
    hood = Neighbourhood.build(curated, [_chunk("AI")], lambda qs: [answers[q] for q in qs])
    # a stand-in for the embedding model's cosine
    close = {"Who do I contact about AI and personal data?": 0.88, "What must any use of AI comply with?": 0.46}
    near = hood.near(
        _answer("AI", "Something else. [1]"),
        asked=("Who should I talk to about AI and personal data?",),
        similarity=lambda q, texts: [close[t] for t in texts],
    )
    assert [s.question for s in near] == ["What must any use of AI comply with?"]
