"""Whose words an answer quotes, and how current they are (pure: no model)."""

from __future__ import annotations

from datetime import date

from bot.core.attribution import attribute, source_name
from bot.core.records import Answer, Citation, Route


def _cite(position: int, document: str, when: str | None) -> Citation:
    return Citation(position, f"{document} – Section", "doc.md", None, "quote", document=document, date=when)


def test_a_document_is_named_as_a_sentence_would_name_it():
    assert (
        source_name("Staff bulletin, week of 18 November 2024", "2024-11-18")
        == "the staff bulletin of 18 November 2024"
    )
    assert source_name("Use of Generative AI Policy", None) == "the Use of Generative AI Policy"
    assert source_name("Annual Leave Policy", "2025-04-01") == "the Annual Leave Policy of 1 April 2025"
    assert source_name("The Constitution", "bad date") == "The Constitution"


def test_quotes_are_attributed_per_document_and_the_bots_own_words_left_alone():
    answer = Answer(
        Route.ESCALATE,
        "This is for the IG team to decide.\n\nWe will contact you. [1] Our policy applies. [2]\n\nAsk us. [3]",
        (
            _cite(1, "Staff bulletin", "2024-11-18"),
            _cite(2, "Staff bulletin", "2024-11-18"),
            _cite(3, "AI Policy", None),
        ),
    )
    text = attribute(answer, date(2025, 1, 1)).text
    assert text == (
        "This is for the IG team to decide.\n\n"
        "From the staff bulletin of 18 November 2024: “We will contact you.” [1] “Our policy applies.” [2]\n\n"
        "From the AI Policy: “Ask us.” [3]"
    )


def test_an_old_source_gets_a_gentle_line_and_a_recent_one_does_not():
    answer = Answer(Route.ANSWER, "We meet on 27 November. [1]", (_cite(1, "Staff bulletin", "2024-11-18"),))
    assert "may be out of date" not in attribute(answer, date(2025, 11, 17)).text
    old = attribute(answer, date(2025, 11, 19)).text
    assert old.endswith(
        "is more than 12 months old, so this may be out of date. Check the intranet for anything newer."
    )
    assert "may be out of date" not in attribute(answer, date(2026, 11, 19), stale_after_months=36).text


def test_a_decline_is_left_as_it_is():
    answer = Answer(Route.DECLINE, "I can't find that. [1]", (_cite(1, "Staff bulletin", "2020-01-01"),))
    assert attribute(answer, date(2026, 1, 1)) == answer
