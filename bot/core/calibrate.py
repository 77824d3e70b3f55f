"""Fit the answer/decline decision (bot.core.decide) on labelled questions, with honest figures.

A label set is a file of questions marked answerable or not, and the documents they were
written against. Eval cases ({"route": "answer" | "decline", ...}) and scope questions
({"answerable": bool}) are both accepted; escalations and "not-escalate" cases say nothing
about answering and are skipped. Figures are cross-validated (stratified folds, out-of-fold
predictions), so they say how the decision does on questions it was not fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from bot.core.decide import NAMES, DecisionModel, Features

FOLDS = 5
C = 1.0  # inverse regularisation strength; the features are few and standardised


# The share of answerable questions each knowledge-base size is weighted to, whatever share a
# size's labels hold: about what staff ask (two thirds to three quarters of every evaluation set
# is answerable). Without it the small knowledge bases, where most labels are not answerable by
# the few documents held, would teach the decision to decline.
ANSWERABLE_SHARE = 0.7
# Knowledge bases the decision is fitted and measured on: the shipped bulletin alone, random
# draws of 1, 3 and 10 documents, and the whole corpus (size: draws).
DRAWS = {1: 4, 3: 4, 10: 3}


@dataclass(frozen=True)
class Labelled:
    question: str
    answerable: bool
    source: str  # which label set, for the report
    doc: str | None = None  # the document that answers it, when the set says


def labels_from_rows(rows: list[dict[str, Any]], source: str) -> list[Labelled]:
    """Answerable-or-not labels from eval cases or scope questions; other routes are skipped."""
    out = []
    for r in rows:
        if "answerable" in r:
            out.append(Labelled(r["question"], bool(r["answerable"]), source))
        elif r.get("route") in ("answer", "decline"):
            out.append(Labelled(r["question"], r["route"] == "answer", source, r.get("doc")))
    return out


def _model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def weights(labels: np.ndarray, groups: list[str] | None) -> np.ndarray | None:
    """Each group (a knowledge-base size) weighs the same, with ANSWERABLE_SHARE of its weight
    on its answerable questions; None (equal weights) without groups."""
    if groups is None:
        return None
    g = np.asarray(groups)
    w = np.zeros(len(labels))
    names = sorted(set(groups))
    for name in names:
        here = g == name
        pos, neg = here & (labels == 1), here & (labels == 0)
        w[pos] = ANSWERABLE_SHARE / max(pos.sum(), 1)
        w[neg] = (1 - ANSWERABLE_SHARE) / max(neg.sum(), 1)
    return w * len(labels) / w.sum()


def _fit_predict(x: np.ndarray, y: np.ndarray, unseen: np.ndarray, groups: list[str] | None = None) -> np.ndarray:
    """P(answerable) for `unseen`, from a model fitted on standardised (x, y) alone."""
    mean, scale = _standardise(x)
    m = _model().fit((x - mean) / scale, y, sample_weight=weights(y, groups))
    return m.predict_proba((unseen - mean) / scale)[:, 1]


def cross_validate(
    x: np.ndarray, y: np.ndarray, threshold: float = 0.5, groups: list[str] | None = None
) -> dict[str, float]:
    """Out-of-fold accuracy, answer recall (answerable questions answered) and decline
    specificity (unanswerable questions declined)."""
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y):
        oof[test] = _fit_predict(x[train], y[train], x[test], [groups[i] for i in train] if groups else None)
    said = oof >= threshold
    pos, neg = y == 1, y == 0
    return {
        "folds": FOLDS,
        "n": len(y),
        "accuracy": round(float((said == pos).mean()), 4),
        "answer_recall": round(float(said[pos].mean()), 4) if pos.any() else 0.0,
        "decline_specificity": round(float((~said[neg]).mean()), 4) if neg.any() else 0.0,
        "log_loss": round(float(-np.mean(y * np.log(oof + 1e-9) + (1 - y) * np.log(1 - oof + 1e-9))), 4),
    }


def fit(
    features: list[Features], labels: list[bool], fitted_on: str = "", groups: list[str] | None = None
) -> DecisionModel:
    """Fit on everything given; the cross-validated figures are kept with the weights.
    `groups` names each label's knowledge-base size, weighed equally (see `weights`)."""
    x = np.stack([f.vector() for f in features])
    y = np.asarray(labels, dtype=int)
    cv = cross_validate(x, y, groups=groups)
    mean, scale = _standardise(x)
    m = _model().fit((x - mean) / scale, y, sample_weight=weights(y, groups))
    return DecisionModel(mean, scale, m.coef_[0].astype(np.float64), float(m.intercept_[0]), 0.5, fitted_on, cv)


def weights_table(model: DecisionModel) -> str:
    """One line per feature: its standardised weight, largest effect first."""
    order = np.argsort(-np.abs(model.coef))
    return "\n".join(f"  {NAMES[i]:<18} {model.coef[i]:+.3f}" for i in order)


@dataclass(frozen=True)
class KnowledgeBase:
    """Some documents of a corpus, as a knowledge base of its own to fit and measure on."""

    name: str  # "bulletin", "3 documents #2", "35 documents"
    size: str  # the group it is weighed and reported in
    sources: frozenset[str]


def knowledge_bases(sources: list[str], shipped: frozenset[str], seed: int = 0) -> list[KnowledgeBase]:
    """The shipped documents alone, random draws of DRAWS' sizes, and every document."""
    import random

    rng = random.Random(seed)
    ordered = sorted(sources)
    out = [KnowledgeBase("shipped", "shipped", shipped)]
    for size, draws in DRAWS.items():
        for d in range(draws if size < len(ordered) else 0):
            out.append(KnowledgeBase(f"{size} documents #{d}", str(size), frozenset(rng.sample(ordered, size))))
    out.append(KnowledgeBase(f"{len(ordered)} documents", str(len(ordered)), frozenset(ordered)))
    return out


def answerable_here(label: Labelled, kb: KnowledgeBase) -> bool:
    """A question is answerable by a smaller knowledge base only if it holds the document that
    answers it; a question with no named document keeps its label."""
    return label.answerable and (label.doc is None or label.doc in kb.sources)


@dataclass
class Row:
    """One labelled question on one knowledge base: what the decision saw, and the truth."""

    features: Features
    answerable: bool
    label_set: str
    size: str


def held_out(rows: list[Row]) -> np.ndarray:
    """Each row's answer-or-decline from a fit, weighed by size, that never saw its label set."""
    said = np.zeros(len(rows), dtype=bool)
    for name in sorted({r.label_set for r in rows}):
        train = [r for r in rows if r.label_set != name]
        test = [i for i, r in enumerate(rows) if r.label_set == name]
        if not test or len({r.answerable for r in train}) < 2:
            continue
        x = np.stack([r.features.vector() for r in train])
        y = np.asarray([r.answerable for r in train], dtype=int)
        p = _fit_predict(x, y, np.stack([rows[i].features.vector() for i in test]), [r.size for r in train])
        said[test] = p >= 0.5
    return said


def summary(rows: list[Row], said: np.ndarray, key: str) -> dict[str, dict[str, float]]:
    """Accuracy, answer recall, decline specificity and their balanced mean, per `key` (the
    knowledge-base "size" or the "label_set")."""
    from collections import defaultdict

    groups: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        groups[getattr(r, key)].append(i)
    out: dict[str, dict[str, float]] = {}
    for name, idx in groups.items():
        truth = np.array([rows[i].answerable for i in idx])
        guess = said[idx]
        recall = float(guess[truth].mean()) if truth.any() else float("nan")
        specificity = float((~guess[~truth]).mean()) if (~truth).any() else float("nan")
        out[name] = {
            "n": len(idx),
            "accuracy": round(float((guess == truth).mean()), 4),
            "answer_recall": round(recall, 4),
            "decline_specificity": round(specificity, 4),
            "balanced_accuracy": round((recall + specificity) / 2, 4),
        }
    return out


def by_size(rows: list[Row]) -> dict[str, dict[str, float]]:
    """For each knowledge-base size: how a fit that never saw the question's label set does."""
    return summary(rows, held_out(rows), "size")
