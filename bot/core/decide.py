"""Answer or decline: a small logistic regression over retrieval and sentence features.

One threshold on one relevance score did not carry from one corpus to another. The decision
now weighs several signals a person can check, each computed from what retrieval and sentence
choice already produced:

- dense_top, coverage_top: the best passage's cosine and keyword coverage;
- agree: the dense and the keyword rankings put the same document first;
- gap: how far the best passage's cosine is ahead of the best one from another document;
- bm25_top: the best keyword (BM25) score, log-scaled;
- sentence_sim, sentence_coverage: how close the best sentence is, and how much of the
  question's vocabulary it holds;
- type_asked, type_found: the question asks for a date, money, a contact, a place or a period,
  and the chosen sentences hold one;
- unseen: the share of the question's words that appear in no document at all;
- detail_missing: the question asks for a clock time, a phone number, a postal address or a
  named person, and no quoted passage gives one (answer_type.Detail): a near miss.

Each of these is measured on the index it came from, and judged against that index's own
background (bot/core/background.py): how many background spreads it stands above what a bank of
everyday questions scores there. Raw BM25 grows with the corpus, and even the best cosine is
higher by chance over 250 passages than over 12, so weights fitted on the 35-document corpus
declined plain questions about the shipped bulletin alone. The yes/no measures are kept as they
are, and the two cosines also as they are (a cosine's scale does not grow with the corpus).

The weights are fitted on every tuning set measured on knowledge bases of many sizes (the
shipped bulletin alone, draws of 1, 3 and 10 documents, all 35), each size weighed the same
(bot/core/calibrate.py). Earlier features tried and left out are listed in
docs/answer-quality.md.

Weights live in decision_model.json, fitted by `python -m bot calibrate` on labelled tuning
questions (never the held-out ones).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from bot.core.background import Background

# What judge() measures for a question (Assistant.judge).
MEASURES = (
    "dense_top",
    "coverage_top",
    "agree",
    "gap",
    "bm25_top",
    "sentence_sim",
    "sentence_coverage",
    "type_asked",
    "type_found",
    "unseen",
    "detail_missing",
)
# Yes/no measures mean the same on any index; the others are judged against the index's
# background (bot/core/background.py). The two cosines are also kept as they are: a cosine's
# scale does not grow with the corpus, and near 0.7 it says "the same thing" on any index.
FLAGS = ("agree", "type_asked", "type_found", "detail_missing")
SCALED = tuple(n for n in MEASURES if n not in FLAGS)
COSINES = ("dense_top", "sentence_sim")
NAMES = (*(f"{n}_vs_background" for n in SCALED), *FLAGS, *(f"{n}_cosine" for n in COSINES))
MODEL_FILE = "decision_model.json"


@dataclass(frozen=True)
class Features:
    """The decision's inputs for one question, by name (logged and tested, never the question)."""

    values: dict[str, float]

    def vector(self) -> np.ndarray:
        return np.array([self.values[n] for n in NAMES], dtype=np.float64)


def inputs(measured: dict[str, float], background: Background) -> Features:
    """The decision's inputs from what judge() measured, against this index's background."""
    values = {f"{n}_vs_background": background.standing(n, measured[n]) for n in SCALED}
    values.update({n: measured[n] for n in FLAGS})
    values.update({f"{n}_cosine": measured[n] for n in COSINES})
    return Features(values)


@dataclass(frozen=True)
class DecisionModel:
    """Standardised logistic regression: p = sigmoid(coef . (x - mean) / scale + intercept)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5
    fitted_on: str = ""
    cv: dict | None = None

    def probability(self, features: Features) -> float:
        z = float(self.coef @ ((features.vector() - self.mean) / self.scale)) + self.intercept
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def answers(self, features: Features) -> bool:
        return self.probability(features) >= self.threshold

    def to_dict(self) -> dict:
        r = lambda xs: [round(float(x), 6) for x in xs]  # noqa: E731
        return {
            "features": list(NAMES),
            "mean": r(self.mean),
            "scale": r(self.scale),
            "coef": r(self.coef),
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 4),
            "fitted_on": self.fitted_on,
            "cross_validated": self.cv or {},
        }

    @classmethod
    def unfitted(cls) -> DecisionModel:
        """Weights of zero: what fitting starts from, so refitting never needs the old weights
        (which no longer load once a feature is added)."""
        n = len(NAMES)
        return cls(np.zeros(n), np.ones(n), np.zeros(n), 0.0, fitted_on="nothing")

    @classmethod
    def from_dict(cls, data: dict) -> DecisionModel:
        if list(data["features"]) != list(NAMES):
            raise ValueError("decision model features differ from the code's: refit with `python -m bot calibrate`")
        arr = lambda k: np.asarray(data[k], dtype=np.float64)  # noqa: E731
        return cls(
            arr("mean"),
            arr("scale"),
            arr("coef"),
            float(data["intercept"]),
            float(data.get("threshold", 0.5)),
            data.get("fitted_on", ""),
            data.get("cross_validated"),
        )


@lru_cache(maxsize=1)
def committed() -> DecisionModel:
    """The weights in the repository, read once per process."""
    return DecisionModel.from_dict(json.loads(resources.files("bot.core").joinpath(MODEL_FILE).read_text()))
