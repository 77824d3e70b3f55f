"""Keyword search (BM25) and keyword coverage, the lexical half of hybrid retrieval.

Dense embeddings miss exact terms ("e-form", "Burnley"); BM25 misses paraphrases. Both run,
and their rankings are fused. Coverage (how much of the question's vocabulary a passage
contains, weighted by rarity) also feeds the decision to decline.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import Stemmer

from bot.core.text import STOPWORDS, words

_stemmer = Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """One word as keyword search stems it ('Cancelled' -> 'cancel')."""
    return _stemmer.stemWord(word.lower())


def terms(text: str) -> list[str]:
    """Stemmed content words: 'cancelled' and 'cancel' match, 'the' is ignored."""
    return list(_terms(text))


@lru_cache(maxsize=8192)
def _terms(text: str) -> tuple[str, ...]:
    # A question's terms are asked for about ten times while it is answered (search, the coverage
    # of each hit, the decision's measures); the quoted sentences come back question after question.
    return tuple(_stemmer.stemWords([w for w in words(text) if w not in STOPWORDS]))


class KeywordIndex:
    """BM25 over passages, plus document frequencies for coverage."""

    def __init__(self, bm25: bm25s.BM25, doc_terms: list[frozenset[str]]) -> None:
        self._bm25 = bm25
        self._doc_terms = doc_terms
        df: Counter[str] = Counter()
        for ts in doc_terms:
            df.update(ts)
        n = max(len(doc_terms), 1)
        self._idf = {t: math.log(1 + n / c) for t, c in df.items()}
        self._unseen_idf = math.log(1 + n)  # a word no passage has is as rare as can be

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        tokens = [terms(t) for t in texts]
        bm25 = bm25s.BM25()
        # bm25s cannot index nothing; an empty knowledge base gets one empty placeholder row
        bm25.index([t or [""] for t in tokens] or [[""]], show_progress=False)
        return cls(bm25, [frozenset(t) for t in tokens])

    def save(self, path: Path) -> None:
        self._bm25.save(str(path), show_progress=False)

    @classmethod
    def load(cls, path: Path, texts: Sequence[str]) -> KeywordIndex:
        bm25 = bm25s.BM25.load(str(path), show_progress=False)
        return cls(bm25, [frozenset(terms(t)) for t in texts])

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top-k (row, BM25 score), best first; only rows sharing a term with the query."""
        q = terms(query)
        if not q or not self._doc_terms:
            return []
        rows, scores = self._bm25.retrieve([q], k=min(k, len(self._doc_terms)), show_progress=False)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0]) if s > 0]

    def coverage(self, query: str, row: int) -> float:
        """Share of the question's rarity-weighted terms that the passage contains (0..1)."""
        q = set(terms(query))
        if not q:
            return 0.0
        weight = {t: self._idf.get(t, self._unseen_idf) for t in q}
        have = sum(w for t, w in weight.items() if t in self._doc_terms[row])
        return have / sum(weight.values())

    def text_coverage(self, query: str, text: str) -> float:
        """Like `coverage`, for any text (a single sentence), weighted by corpus rarity."""
        q = set(terms(query))
        if not q:
            return 0.0
        have_terms = set(terms(text))
        weight = {t: self._idf.get(t, self._unseen_idf) for t in q}
        return sum(w for t, w in weight.items() if t in have_terms) / sum(weight.values())

    def unseen(self, query: str) -> float:
        """Rarity-weighted share of the question's terms that no passage contains at all."""
        q = set(terms(query))
        if not q:
            return 1.0
        weight = {t: self._idf.get(t, self._unseen_idf) for t in q}
        return sum(w for t, w in weight.items() if t not in self._idf) / sum(weight.values())
