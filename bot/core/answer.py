"""Compose extractive answers: the best sentences of the best passages, each cited as [n]."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bot.core.models import Citation, Hit
from bot.core.text import sentences, shorten

QUOTE_CHARS = 1000  # the Teams renderer cuts further, to its own limit


@dataclass(frozen=True)
class Extract:
    """Text with [n] markers and the citations they point to."""

    text: str
    citations: tuple[Citation, ...]


def citation(position: int, hit: Hit, quote: str) -> Citation:
    c = hit.chunk
    title = f"{c.doc_title} – {c.section}" if c.section else c.doc_title
    if c.page:
        title += f", page {c.page}"
    return Citation(
        position=position,
        title=title,
        source=c.source,
        url=c.url,
        quote=shorten(quote, QUOTE_CHARS),
        document=c.doc_title,
        date=c.date,
    )


def extract(
    question_vector: np.ndarray,
    hits: list[Hit],
    sentence_vectors: Callable[[list[str]], np.ndarray],
    max_sentences: int = 3,
    margin: float = 0.12,
) -> Extract:
    """Pick sentences close to the question from the given passages.

    Sentences keep document order within a passage, so the answer reads as the source does;
    each passage quoted becomes one numbered citation.
    """
    candidates: list[tuple[int, int, str]] = []  # (hit index, sentence index, text)
    for h, hit in enumerate(hits):
        for s, sent in enumerate(sentences(hit.chunk.text)):
            candidates.append((h, s, sent))
    if not candidates:
        return Extract("", ())
    # The section heading gives a bare sentence its topic ("There is one more session…").
    texts = [f"{hits[h].chunk.section}: {t}" if hits[h].chunk.section else t for h, _, t in candidates]
    scores = sentence_vectors(texts) @ question_vector
    order = np.argsort(-scores)
    best = float(scores[order[0]])
    chosen = [int(i) for i in order[:max_sentences] if scores[i] >= best - margin]
    chosen.sort(key=lambda i: (candidates[i][0], candidates[i][1]))

    parts: list[str] = []
    cites: list[Citation] = []
    by_hit: dict[int, list[str]] = {}
    for i in chosen:
        by_hit.setdefault(candidates[i][0], []).append(candidates[i][2])
    for h, sents in sorted(by_hit.items()):
        position = len(cites) + 1
        cites.append(citation(position, hits[h], " ".join(sents)))
        parts.append(" ".join(sents) + f" [{position}]")
    return Extract(" ".join(parts), tuple(cites))
