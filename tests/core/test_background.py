"""The decision judged against each index's own background (bot/core/background.py): the same
kind of question is answered over one bulletin and over 35 documents, and off-topic ones are
declined on both."""

from __future__ import annotations

import pytest

from bot.core.assistant import Assistant
from bot.core.background import Background, bank
from bot.core.records import Route
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def served(snapshot, embedder) -> Assistant:
    """As the service runs it: with the IG team's synonyms ("IG" -> Information Governance)."""
    return Assistant(snapshot, embedder, knowledge=[ROOT / "knowledge"])


def test_the_bank_is_a_few_hundred_distinct_everyday_questions():
    questions = bank()
    assert len(questions) >= 300 and len(set(q.lower() for q in questions)) == len(questions)


def test_standing_is_distance_from_the_background_in_its_own_spreads():
    b = Background.of([{"x": 1.0}, {"x": 3.0}])
    assert b.standing("x", 2.0) == 0.0 and b.standing("x", 4.0) == pytest.approx(2.0)
    assert Background.neutral().standing("x", 0.7) == 0.7  # nothing to judge against: unchanged


def test_the_background_moves_with_the_knowledge_base(assistant, snapshot):
    # one bulletin of 12 passages: off-topic questions match it less well than a big corpus
    here = assistant.background(snapshot)
    assert here.n == len(bank()) and 0.0 < here.mean["dense_top"] < 0.3


@pytest.mark.parametrize(
    "question,fact",
    [
        # declined by the decision fitted on the 35-document corpus alone (issue 20's examples)
        ("When is the last conference?", "27 November"),
        ("Will the conference be recorded?", "record"),
        ("What's the IG team's email address?", "informationgovernance@lancashire.gov.uk"),
        ("where do i find the form for sharing peoples data?", "e-form"),
        ("what day of the week is the preston one", "Wednesday"),
    ],
)
def test_plain_questions_the_shipped_bulletin_answers_are_answered(served, question, fact):
    answer = served.answer(question)
    assert answer.route is Route.ANSWER and fact in answer.text and answer.citations


@pytest.mark.parametrize(
    "question",
    ["How much sick pay do I get?", "What's the best way to cook a turkey?", "Who won the 1966 World Cup?"],
)
def test_questions_the_bulletin_does_not_answer_are_declined(served, question):
    assert served.answer(question).route is Route.DECLINE
