"""Follow-ups answered for the part they ask (pure: ranking given, no model)."""

from __future__ import annotations

import pytest

from bot.core.follow_up import (
    focus,
    leans_on_previous,
    new_subject,
    not_covered,
    nothing_new,
    phrases,
    wanted,
    without_topic,
)
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


# A message that cannot stand alone leans on the question before it...
LEANS = [
    "and where is it?",
    "what about part-time staff?",
    "and what about agency staff?",
    "how about agency workers?",
    "why was that?",
    "and what form do I fill in?",
    "Why was it cancelled?",
    "Is it being recorded?",
    "will it be recorded?",
    "when is it?",
    "who do I contact about it?",
    "what does that mean?",
    "and the Preston one?",
    "what about the one in Preston?",
    "and when?",
    "also, what time does it start?",
    "so what do I do?",
    "is that for everyone?",
    "how do I get there?",
    "can they attend?",
    "are those recorded?",
    "But why?",
    "How do I sign up for it?",
    "Why was the Burnley one called off?",
]
# ...and one that names its own subject, or whose "there" points at nothing, stands alone.
STANDS_ALONE = [
    "Is there still going to be a session in Burnley?",
    "Are there any sessions left?",
    "Is there a session in Preston?",
    "Will there be a recording of the Preston session?",
    "There is a conference in Preston, isn't there?",
    "What's this new Change Service thing?",
    "What is happening with children's social care reform?",
    "When is the last employee conference session?",
    "Do I have to go to one of the employee conferences?",
    "Who do I contact about AI and personal data?",
    "Is it true that the Burnley session was cancelled?",
    "Can I use ChatGPT to write a speech for the council leader?",
    "And can I use Copilot to summarise case notes about a family?",
    "So can I use ChatGPT to draft minutes of a child protection conference?",
    "How many beds are being added to the council's children's homes?",
    "what's the IG team's email address?",
    "Who do I tell about a data breach?",
    "hiya",
    "",
]


@pytest.mark.parametrize("message", LEANS)
def test_a_message_that_cannot_stand_alone_leans_on_the_last_question(message):
    assert leans_on_previous(message)


@pytest.mark.parametrize("message", STANDS_ALONE)
def test_a_message_with_a_subject_of_its_own_stands_alone(message):
    assert not leans_on_previous(message)


def test_what_about_names_a_new_subject():
    assert new_subject("what about part-time staff?") == "part-time staff"
    assert new_subject("And what about agency staff?") == "agency staff"
    assert new_subject("and where is it?") is None


def test_a_follow_up_the_quoted_passage_does_not_cover_says_so_and_points_at_it():
    answer = _answer()
    reply = not_covered(answer, "what about part-time staff?")
    assert reply is not None and reply.route is Route.DECLINE
    assert reply.text.startswith("The documents I have don't say anything about part-time staff.")
    assert "[1]" in reply.text and FIRST not in reply.text  # points at the passage, doesn't repeat it
    assert [c.quote for c in reply.citations] == [answer.citations[0].quote]
    # Words the passage or its heading has: covered, answered as usual.
    assert not_covered(answer, "what about the one in Preston?") is None
    assert not_covered(answer, "and the conferences?") is None
    assert not_covered(answer, "and where is it?") is None  # nothing of its own to look for
