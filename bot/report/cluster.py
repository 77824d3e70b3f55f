"""Group similar questions so the IG team reads twenty kinds of gap, not two hundred questions.

Average-linkage agglomerative clustering over the same sentence embeddings the bot answers
with (all-MiniLM-L6-v2, normalised), cut at a cosine similarity: questions in a group are on
average at least that similar to each other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

SIMILARITY = 0.55  # paraphrases of one question score about 0.6-0.9 with MiniLM; unrelated ones under 0.3
# Agglomerative clustering holds n*(n-1)/2 distances (3,000 questions: 36 MB); above that, a
# single pass assigns each question to the first group leader it is similar enough to.
MAX_AGGLOMERATIVE = 3000

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Group:
    """Questions that ask much the same thing; `label` is the one nearest the group's centre."""

    label: str
    questions: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.questions)


def group_similar(
    questions: Sequence[str],
    encode: Encode | None,
    similarity: float = SIMILARITY,
    max_agglomerative: int = MAX_AGGLOMERATIVE,
) -> list[Group]:
    """Groups of similar questions, largest first (ties: alphabetical). Without a model, exact repeats only."""
    if not questions:
        return []
    vectors = None if encode is None else np.asarray(encode(list(questions)), dtype=np.float64)
    if vectors is None or len(questions) == 1:
        labels = _exact(questions)
    elif len(questions) > max_agglomerative:
        labels = _leaders(vectors, similarity)
    else:
        from scipy.cluster.hierarchy import fcluster, linkage

        tree = linkage(vectors, method="average", metric="cosine")
        labels = list(fcluster(tree, t=1.0 - similarity, criterion="distance"))
    members: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        members.setdefault(int(label), []).append(i)
    groups = []
    for rows in members.values():
        texts = tuple(questions[i] for i in rows)
        label = min(texts, key=len)
        if vectors is not None and len(rows) > 2:
            own = vectors[rows]
            label = texts[int(np.argmax(own @ own.mean(axis=0)))]
        groups.append(Group(label, tuple(sorted(texts))))
    return sorted(groups, key=lambda g: (-g.count, g.label.lower()))


def _exact(questions: Sequence[str]) -> list[int]:
    seen: dict[str, int] = {}
    return [seen.setdefault(" ".join(q.lower().split()), len(seen)) for q in questions]


def _leaders(vectors: np.ndarray, similarity: float) -> list[int]:
    """One pass: a question joins the most similar leader at or above `similarity`, else leads a group."""
    leaders: list[int] = []
    labels = []
    for i, v in enumerate(vectors):
        if leaders:
            scores = vectors[leaders] @ v
            best = int(np.argmax(scores))
            if scores[best] >= similarity:
                labels.append(best)
                continue
        leaders.append(i)
        labels.append(len(leaders) - 1)
    return labels
