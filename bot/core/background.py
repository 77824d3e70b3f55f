"""How well questions that no council document answers happen to match one knowledge base.

A relevance score means nothing on its own: the best BM25 score over 12 passages and over 250
are on different scales, and even a cosine is higher, by chance, for the best of many passages
than for the best of a few. A decision fitted on one corpus declined plain questions about the
other (the bulletin alone, docs/answer-quality.md). So each index is measured against a fixed
bank of everyday questions that no council document answers (background_questions.txt: cooking,
sport, travel...), and a question's scores are judged by how far they stand above that index's
own background: (value - background mean) / background spread, like a z-score. The bar then
moves with the knowledge base, whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

BANK_FILE = "background_questions.txt"


@lru_cache(maxsize=1)
def bank() -> tuple[str, ...]:
    """The fixed bank of off-topic questions, read once per process."""
    text = resources.files("bot.core").joinpath(BANK_FILE).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@dataclass(frozen=True)
class Background:
    """Per measure: its mean and spread over the bank, on one index."""

    mean: dict[str, float]
    spread: dict[str, float]
    n: int = 0

    @classmethod
    def of(cls, rows: list[dict[str, float]]) -> Background:
        """The background of these measures (one dict per bank question)."""
        if not rows:
            return cls.neutral()
        names = list(rows[0])
        x = np.array([[r[n] for n in names] for r in rows], dtype=np.float64)
        spread = x.std(axis=0)
        spread[spread < 1e-6] = 1e-6  # a measure the bank never moves: any difference stands out
        return cls(dict(zip(names, x.mean(axis=0).tolist())), dict(zip(names, spread.tolist())), len(rows))

    @classmethod
    def neutral(cls) -> Background:
        """No background: values pass through unchanged (mean 0, spread 1)."""
        return cls({}, {}, 0)

    def standing(self, name: str, value: float) -> float:
        """How many background spreads `value` stands above the background mean."""
        return (value - self.mean.get(name, 0.0)) / self.spread.get(name, 1.0)
