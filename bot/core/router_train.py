"""Fit the router's classifier on labelled questions (train split only) and measure it.

Kept out of escalation_classifier.py so that answering needs numpy only; fitting needs scikit-learn.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.core.embed import Embedder
from bot.core.escalation_classifier import RouterModel, escalation_signal, features, rule_terms

ESCALATE = "escalate"


def load_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _matrix(questions: list[str], vectors: np.ndarray) -> np.ndarray:
    rows = []
    for q, v in zip(questions, vectors):
        ai, personal = rule_terms(q)
        rows.append(features(v, bool(ai), bool(personal)))
    return np.stack(rows)


def fit(
    questions: list[str],
    labels: list[bool],
    embedder: Embedder,
    c: float = 1.0,
    folds: int = 5,
    margin: float = 1.0,
    spare: int = 2,
) -> RouterModel:
    """Fit on all the given questions; the threshold comes from out-of-fold predictions.

    The threshold is `margin` times the out-of-fold probability of the (spare+1)-th least
    confident positive the rules miss: biased towards escalating, but not set by one outlier.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    x = _matrix(questions, embedder.encode(questions))
    y = np.asarray(labels, dtype=int)
    rules = np.array([all(rule_terms(q)) for q in questions])

    def model() -> LogisticRegression:
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y):
        oof[test] = model().fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    missed_by_rules = (y == 1) & ~rules
    ranked = np.sort(oof[missed_by_rules])
    lowest = float(ranked[min(spare, len(ranked) - 1)]) if len(ranked) else 0.5
    threshold = min(0.5, lowest * margin)
    final = model().fit(x, y)
    return RouterModel(final.coef_[0].astype(np.float32), float(final.intercept_[0]), threshold)


@dataclass(frozen=True)
class Score:
    n: int
    positives: int
    true_pos: int
    false_pos: int
    negatives: int

    @property
    def recall(self) -> float:
        return self.true_pos / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        flagged = self.true_pos + self.false_pos
        return self.true_pos / flagged if flagged else 1.0

    @property
    def false_escalation_rate(self) -> float:
        return self.false_pos / self.negatives if self.negatives else 0.0

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "false_escalation_rate": round(self.false_escalation_rate, 4),
            "true_pos": self.true_pos,
            "false_pos": self.false_pos,
        }


def evaluate(rows: list[dict], embedder: Embedder, model: RouterModel | None) -> tuple[Score, list[dict]]:
    """Score the router (rules + classifier) on labelled rows; also return the wrong rows."""
    vectors = embedder.encode([r["question"] for r in rows])
    tp = fp = 0
    wrong = []
    for r, v in zip(rows, vectors):
        said = escalation_signal(r["question"], v, model=model).escalate
        want = r["label"] == ESCALATE
        tp += said and want
        fp += said and not want
        if said != want:
            wrong.append(r)
    pos = sum(r["label"] == ESCALATE for r in rows)
    return Score(len(rows), pos, tp, fp, len(rows) - pos), wrong
