"""Follow-ups answered for the part they ask (pure: ranking given, no model)."""

from __future__ import annotations

from bot.core.follow_up import focus, nothing_new, phrases, wanted, without_topic
from bot.core.records import Answer, Citation, Route

FIRST = (
    "Our employee conferences started on Monday 18 November, with the first session at Whitecross Centre in Lancaster."
)
LAST = "There is one more session running on Wednesday 27 November at County Hall in Preston, which will be hybrid."


def _answer() -> Answer:
    cite = Citation(1, "Bulletin – Employee conferences", "b.md", None, f"{FIRST} {LAST}")
    return Answer(Route.ANSWER, f"{FIRST} {LAST} [1]", (cite,), 0.9, question="When is the last session? where is it?")


def test_the_question_word_says_what_is_wanted_and_the_sentence_where_it_is():
    assert wanted("and where is it?") == "place" and wanted("why was that?") == "reason"
    assert wanted("when is it?") == "time" and wanted("tell me more about it") is None
    assert phrases(LAST, wanted("where")) == ["at County Hall in Preston"]
    assert phrases(LAST, wanted("when")) == ["on Wednesday 27 November"]
    assert phrases("in November the office in Burnley shut", wanted("where")) == ["in Burnley"]


def test_a_follow_up_quotes_the_best_ranked_sentence_with_the_phrase_first():
    ranked = focus(_answer(), "and where is it?", lambda q, sentences: [0.3, 0.5])
    assert ranked is not None and ranked.text == f"At County Hall in Preston.\n\n{LAST} [1]"
    assert [c.quote for c in ranked.citations] == [LAST]
    assert focus(_answer(), "tell me more about it") is None  # asks for nothing in particular


def test_topic_words_are_left_out_of_the_ranking_question():
    assert without_topic("When is the last employee conference session?", ["Employee conferences"]) == (
        "When is the last session?"
    )


def test_nothing_new_when_every_quoted_sentence_was_said_before():
    answer = _answer()
    assert nothing_new(answer, f"From the bulletin: “{FIRST} {LAST}” [1]")
    assert not nothing_new(answer, f"From the bulletin: “{FIRST}” [1]")
