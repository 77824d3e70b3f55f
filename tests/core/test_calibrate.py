"""The answer/decline decision: committed weights, refitting, and what staff see from it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.core.calibrate import (
    KnowledgeBase,
    Labelled,
    Row,
    answerable_here,
    cross_validate,
    fit,
    held_out,
    knowledge_bases,
    labels_from_rows,
    summary,
    weights,
)
from bot.core.decide import NAMES, DecisionModel, Features, committed
from bot.core.records import Route

EVAL = Path(__file__).resolve().parent.parent / "eval_corpus"


def test_committed_weights_are_inspectable_and_were_cross_validated():
    data = json.loads((Path(__file__).resolve().parents[2] / "bot/core/decision_model.json").read_text())
    assert data["features"] == list(NAMES)
    cv = data["cross_validated"]
    # every tuning set, each on knowledge bases of 1 to 35 documents and on the shipped bulletin
    assert cv["n"] >= 10_000
    # These floors catch a broken fit (a constant model scores 0.83 / 1.0 / 0.0), not a small drift.
    assert cv["accuracy"] >= 0.85 and cv["answer_recall"] >= 0.85 and cv["decline_specificity"] >= 0.8
    # On every size of knowledge base, by a fit that never saw the question's label set: what
    # the background (bot/core/background.py) is for. The old decision scored 0.80 on one
    # document and 0.72 on all 35 here (docs/answer-quality.md).
    sizes = cv["by_knowledge_base_size"]
    assert set(sizes) == {"shipped", "1", "3", "10", "35"}
    assert sizes["shipped"]["balanced_accuracy"] >= 0.93 and sizes["1"]["balanced_accuracy"] >= 0.9
    assert all(s["balanced_accuracy"] >= 0.75 for s in sizes.values())
    model = committed()
    # the closeness of the best sentence and keyword evidence push towards answering
    assert model.coef[NAMES.index("sentence_sim_cosine")] > 0 and model.coef[NAMES.index("bm25_top_vs_background")] > 0


def test_the_decision_answers_a_reworded_question_and_declines_an_uncovered_one(assistant):
    # "last session" is not the bulletin's wording; the old single threshold declined similar ones
    answered = assistant.answer("Where will the final employee conference take place?")
    assert answered.route is Route.ANSWER and "County Hall" in answered.text
    declined = assistant.answer("How much sick pay do I get after two years?")
    assert declined.route is Route.DECLINE and not declined.citations


def test_labels_come_from_eval_cases_and_scope_questions_and_skip_other_routes():
    rows = [
        {"question": "a", "route": "answer"},
        {"question": "b", "route": "decline"},
        {"question": "c", "route": "escalate"},
        {"question": "d", "route": "not-escalate"},
        {"question": "e", "answerable": False},
    ]
    assert [(lab.question, lab.answerable) for lab in labels_from_rows(rows, "x")] == [
        ("a", True),
        ("b", False),
        ("e", False),
    ]


def test_a_fitted_model_round_trips_and_separates_what_it_was_shown():
    rng = np.random.default_rng(0)
    good = [Features(dict(zip(NAMES, rng.normal(1.0, 0.3, len(NAMES))))) for _ in range(40)]
    bad = [Features(dict(zip(NAMES, rng.normal(0.0, 0.3, len(NAMES))))) for _ in range(40)]
    model = fit(good + bad, [True] * 40 + [False] * 40, fitted_on="synthetic")
    again = DecisionModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again.answers(good[0]) and not again.answers(bad[0])
    assert model.cv["accuracy"] >= 0.9
    x = np.stack([f.vector() for f in good + bad])
    assert cross_validate(x, np.array([1] * 40 + [0] * 40))["n"] == 80


def test_each_set_is_scored_by_a_fit_that_never_saw_it():
    rng = np.random.default_rng(1)

    def labelled(signal: str, n: int = 40):
        # only the `signal` feature tells answerable from not in this set; the rest is noise
        features, labels = [], []
        for answerable in [True] * n + [False] * n:
            values = dict(zip(NAMES, rng.normal(0.0, 0.3, len(NAMES))))
            values[signal] = (1.0 if answerable else -1.0) + rng.normal(0.0, 0.3)
            features.append(Features(values))
            labels.append(answerable)
        return features, labels

    sets = {"a": labelled(NAMES[0]), "b": labelled(NAMES[1])}
    rows = [Row(f, lab, name, "any") for name, (fs, ls) in sets.items() for f, lab in zip(fs, ls)]
    # a fit that had seen a set would learn its signal; one that never saw it is left guessing
    assert max(s["accuracy"] for s in summary(rows, held_out(rows), "label_set").values()) <= 0.7
    everything = fit(sets["a"][0] + sets["b"][0], sets["a"][1] + sets["b"][1])
    assert np.mean([everything.answers(f) == lab for f, lab in zip(*sets["a"])]) >= 0.9


def test_calibrate_prints_cross_validated_figures_and_writes_nothing_unless_asked(tmp_path, embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("annual-leave-policy.md", "printing-guidance.md", "cctv-policy.md"):
        (docs / name).write_text((EVAL / name).read_text())
    questions = [
        ("How many days of annual leave do I get?", True),
        ("When does the leave year start?", True),
        ("Can I carry over unused leave?", True),
        ("How much does colour printing cost?", True),
        ("How long is CCTV footage kept?", True),
        ("Who can view CCTV images?", True),
        ("What is the pension contribution rate?", False),
        ("How do I book a meeting room?", False),
        ("What's the wifi password?", False),
        ("Tell me a joke.", False),
        ("Where can I charge my electric car?", False),
    ]
    cases = tmp_path / "labels.jsonl"
    cases.write_text("\n".join(json.dumps({"question": q, "answerable": a}) for q, a in questions))
    committed_file = Path(__file__).resolve().parents[2] / "bot/core/decision_model.json"
    before = committed_file.read_bytes()
    monkeypatch.setattr("bot.compose.make_embedder", lambda: embedder)

    result = CliRunner().invoke(main, ["calibrate", "--labels", f"{cases}:{docs}"])
    assert result.exit_code == 0, result.output
    assert "cross-validated" in result.output and '"answer_recall"' in result.output
    assert "sentence_sim_cosine" in result.output  # every weight is shown
    assert "not written" in result.output
    assert committed_file.read_bytes() == before


def test_smaller_knowledge_bases_are_cut_from_the_corpus_and_relabelled():
    sources = [f"doc{i}.md" for i in range(12)]
    kbs = knowledge_bases(sources, frozenset({"doc0.md"}))
    assert kbs[0].size == "shipped" and kbs[-1].sources == frozenset(sources)
    assert {kb.size for kb in kbs} == {"shipped", "1", "3", "10", "12"}
    assert all(len(kb.sources) == int(kb.size) for kb in kbs[1:])
    small = KnowledgeBase("one", "1", frozenset({"doc3.md"}))
    # answerable only where the document that answers it is held; a decline stays a decline
    assert answerable_here(Labelled("q", True, "set", "doc3.md"), small)
    assert not answerable_here(Labelled("q", True, "set", "doc4.md"), small)
    assert not answerable_here(Labelled("q", False, "set", None), small)


def test_each_size_weighs_the_same_with_seven_tenths_on_answerable_questions():
    labels = np.array([1, 0, 0, 0, 1, 1, 1, 1, 1, 0])
    groups = ["small"] * 4 + ["big"] * 6
    w = weights(labels, groups)
    small, big = w[:4], w[4:]
    assert small.sum() == pytest.approx(big.sum())
    assert small[labels[:4] == 1].sum() / small.sum() == pytest.approx(0.7)
