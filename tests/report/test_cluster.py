"""Declined questions are grouped by meaning with the real model, however many there are."""

from __future__ import annotations

import pytest

from bot.report.cluster import group_similar

QUESTIONS = [
    "What time does the canteen at County Hall close?",
    "When does the County Hall canteen shut?",
    "How do I book a parking space at County Hall?",
    "Where can I park at County Hall?",
    "Who won the football last night?",
]


@pytest.mark.parametrize("max_agglomerative", [3000, 2], ids=["agglomerative", "single-pass"])
def test_paraphrases_share_a_group_and_unrelated_questions_do_not(embedder, max_agglomerative):
    groups = group_similar(QUESTIONS, embedder.encode, max_agglomerative=max_agglomerative)
    assert sorted(sorted(g.questions) for g in groups) == sorted(
        [sorted(QUESTIONS[:2]), sorted(QUESTIONS[2:4]), [QUESTIONS[4]]]
    )
    assert [g.count for g in groups] == [2, 2, 1]


def test_without_a_model_only_repeats_are_grouped():
    groups = group_similar(["Canteen hours?", "canteen  HOURS?", "Parking?"], None)
    assert [(g.count, g.label) for g in groups] == [(2, "Canteen hours?"), (1, "Parking?")]
