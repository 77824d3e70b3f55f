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


@dataclass(frozen=True)
class Labelled:
    question: str
    answerable: bool
    source: str  # which label set, for the report


def labels_from_rows(rows: list[dict[str, Any]], source: str) -> list[Labelled]:
    """Answerable-or-not labels from eval cases or scope questions; other routes are skipped."""
    out = []
    for r in rows:
        if "answerable" in r:
            out.append(Labelled(r["question"], bool(r["answerable"]), source))
        elif r.get("route") in ("answer", "decline"):
            out.append(Labelled(r["question"], r["route"] == "answer", source))
    return out


def _model():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000)


def _standardise(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale < 1e-9] = 1.0
    return mean, scale


def _fit_predict(x: np.ndarray, y: np.ndarray, unseen: np.ndarray) -> np.ndarray:
    """P(answerable) for `unseen`, from a model fitted on standardised (x, y) alone."""
    mean, scale = _standardise(x)
    m = _model().fit((x - mean) / scale, y)
    return m.predict_proba((unseen - mean) / scale)[:, 1]


def cross_validate(x: np.ndarray, y: np.ndarray, threshold: float = 0.5) -> dict[str, float]:
    """Out-of-fold accuracy, answer recall (answerable questions answered) and decline
    specificity (unanswerable questions declined)."""
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(FOLDS, shuffle=True, random_state=0).split(x, y):
        oof[test] = _fit_predict(x[train], y[train], x[test])
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


def fit(features: list[Features], labels: list[bool], fitted_on: str = "") -> DecisionModel:
    """Fit on everything given; the cross-validated figures are kept with the weights."""
    x = np.stack([f.vector() for f in features])
    y = np.asarray(labels, dtype=int)
    cv = cross_validate(x, y)
    mean, scale = _standardise(x)
    m = _model().fit((x - mean) / scale, y)
    return DecisionModel(mean, scale, m.coef_[0].astype(np.float64), float(m.intercept_[0]), 0.5, fitted_on, cv)


def leave_one_set_out(sets: dict[str, tuple[list[Features], list[bool]]]) -> dict[str, float]:
    """For each label set: the accuracy of a fit on all the other sets. Folds mix every set's
    questions; this says how the decision does on a set written apart, in its own wording."""
    out = {}
    for name, (features, labels) in sets.items():
        rest = [(f, lab) for other, (fs, ls) in sets.items() if other != name for f, lab in zip(fs, ls)]
        if not rest or not features:
            continue
        x = np.stack([f.vector() for f, _ in rest])
        y = np.asarray([lab for _, lab in rest], dtype=int)
        if len(set(y)) < 2:
            continue
        p = _fit_predict(x, y, np.stack([f.vector() for f in features]))
        out[name] = round(float(((p >= 0.5) == np.asarray(labels)).mean()), 4)
    return out


def weights_table(model: DecisionModel) -> str:
    """One line per feature: its standardised weight, largest effect first."""
    order = np.argsort(-np.abs(model.coef))
    return "\n".join(f"  {NAMES[i]:<18} {model.coef[i]:+.3f}" for i in order)
