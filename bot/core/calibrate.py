"""Set the decline threshold from labelled questions instead of guessing it.

For each candidate coverage weight, every question's best relevance is computed; the threshold
is the midpoint of the gap that best separates answerable from unanswerable questions, ties
broken by the wider margin.

"Best" weighs a wrongly declined question twice as heavily as a wrongly answered one: an
extractive answer quotes its source, so a reader sees at once when a passage is beside the
point, while a wrong decline hides the council's guidance from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from bot.core.embed import Embedder
from bot.core.index_store import IndexSnapshot
from bot.core.retrieve import Thresholds, search

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)
MISSED_ANSWER_COST = 2.0


@dataclass(frozen=True)
class Calibration:
    coverage_weight: float
    answer_threshold: float
    weighted_accuracy: float
    margin: float


def best_scores(snapshot: IndexSnapshot, embedder: Embedder, questions: list[str], weight: float) -> np.ndarray:
    vectors = embedder.encode(questions)
    hits = search(snapshot, questions, vectors, Thresholds(answer=0.0, coverage_weight=weight))
    return np.array([max((h.score for h in hs), default=0.0) for hs in hits])


def weighted_accuracy(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    """Class-balanced accuracy with answerable questions weighted MISSED_ANSWER_COST to 1."""
    said_yes = scores >= threshold
    tpr = (said_yes & labels).sum() / max(labels.sum(), 1)
    tnr = (~said_yes & ~labels).sum() / max((~labels).sum(), 1)
    return float((MISSED_ANSWER_COST * tpr + tnr) / (MISSED_ANSWER_COST + 1))


def calibrate(snapshot: IndexSnapshot, embedder: Embedder, questions: list[str], answerable: list[bool]) -> Calibration:
    labels = np.array(answerable, dtype=bool)
    best: Calibration | None = None
    for weight in WEIGHTS:
        scores = best_scores(snapshot, embedder, questions, weight)
        ordered = np.sort(scores)
        for lo, hi in pairwise(ordered):
            threshold = float((lo + hi) / 2)
            cand = Calibration(
                weight, round(threshold, 4), weighted_accuracy(scores, labels, threshold), float(hi - lo)
            )
            if best is None or (cand.weighted_accuracy, cand.margin) > (best.weighted_accuracy, best.margin):
                best = cand
    assert best is not None
    return best
