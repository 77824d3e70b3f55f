"""Sentence choice: the sentence that holds the asked-for kind of fact, and its neighbour when
that completes the answer. Real model, real passages."""

from __future__ import annotations

import pytest

from bot.core.answer import extract
from bot.core.answer_type import AnswerType, asked, has
from bot.core.records import Chunk, Hit


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When does the leave year start?", AnswerType.DATE),
        ("How much is the mileage rate?", AnswerType.MONEY),
        ("Who do I tell about a lost key?", AnswerType.CONTACT),
        ("Where do I save my files?", AnswerType.PLACE),
        ("How long do I have to appeal?", AnswerType.PERIOD),
        ("How many mental health first aiders are there?", AnswerType.NUMBER),
        ("Can I work from home?", None),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question, kind):
    assert asked(question) is kind


def test_a_sentence_has_the_kind_of_fact_or_not():
    assert has(AnswerType.MONEY, "Cars are paid 52p per mile.") and not has(AnswerType.MONEY, "Use your own car.")
    assert has(AnswerType.CONTACT, "Email sar@lancashire.gov.uk today.")
    assert has(AnswerType.DATE, "Nominations close on Friday 4 April.") and not has(AnswerType.DATE, "Nominate now.")
    assert has(AnswerType.PERIOD, "Appeal within 14 calendar days.")


def _hit(section: str, text: str) -> Hit:
    return Hit(Chunk("c1", "policy.md", "Expenses Policy", section, text), 1.0)


def _answer(embedder, question: str, hit: Hit):
    return extract(embedder.encode([question])[0], [hit], embedder.encode, asked(question))


def test_the_neighbouring_sentence_that_holds_the_date_is_taken(embedder):
    hit = _hit(
        "Late claims",
        "Claims for travel must be submitted through Employee Self Service with receipts attached. "
        "The deadline for submitting them is 60 days after the journey. "
        "Managers can see every claim in their team's dashboard.",
    )
    ex = _answer(embedder, "What is the deadline for travel claims in Employee Self Service?", hit)
    assert "60 days" in ex.text and "dashboard" not in ex.text
    assert ex.type_found


def test_a_sentence_that_leans_on_the_previous_one_brings_it_along(embedder):
    hit = _hit(
        "Bicycles",
        "Staff who cycle to meetings can claim 20p per mile. "
        "This also applies to electric bicycles. "
        "Helmets are not provided.",
    )
    ex = _answer(embedder, "Does the bike rate also apply to electric bicycles?", hit)
    assert "20p per mile" in ex.text and "This also applies to electric bicycles" in ex.text


def test_answers_stay_short(embedder):
    text = " ".join(f"Rule {n}: staff must fill in form F{n} for request type {n}." for n in range(1, 12))
    ex = _answer(embedder, "Which form is for request type 7?", _hit("Forms", text))
    assert "F7" in ex.text and len(ex.text.split()) <= 45


def test_a_detail_finer_than_a_date_or_a_team_is_asked_for_and_looked_for():
    from bot.core.answer_type import Detail, asked_detail, gives

    assert asked_detail("What time does the County Hall conference start?") is Detail.CLOCK
    assert asked_detail("What's the phone number for the IG team?") is Detail.PHONE
    assert asked_detail("Who is the head of the Change Service?") is Detail.PERSON
    assert asked_detail("What's the address of the Whitecross Neighbourhood Centre?") is Detail.ADDRESS
    # a date, a team and an email address are not these details
    for question in ("When is the last conference?", "Who do I contact about AI?", "What's the IG email address?"):
        assert asked_detail(question) is None
    assert gives(Detail.CLOCK, "Doors open at 9.30am.") and not gives(Detail.CLOCK, "On Wednesday 27 November.")
    assert gives(Detail.PHONE, "Call 01772 533000.") and not gives(Detail.PHONE, "Contact the IG Team.")
