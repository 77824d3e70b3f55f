"""Find the passages most relevant to a question, and say when none is relevant enough.

Hybrid retrieval: dense (FAISS) and keyword (BM25) rankings fused by reciprocal rank fusion.
Whether to answer at all is decided by a relevance score (cosine + weight x keyword coverage)
whose threshold and weight are calibrated on labelled questions (`python -m bot calibrate`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import numpy as np

from bot.core.index_store import IndexSnapshot
from bot.core.models import Hit

RRF_K = 60
POOL = 20
# Two passages whose embeddings are at least this close say the same kind of thing (tuned on
# tests/eval_cases/tuning.jsonl only): when they come from different documents, the older one
# is dropped if the newer one is about as relevant, so a superseded policy is not quoted.
SAME_GROUND = 0.7


class Mode(StrEnum):
    HYBRID = "hybrid"
    DENSE = "dense"
    KEYWORD = "keyword"


@dataclass(frozen=True)
class Thresholds:
    """Relevance cut-offs, calibrated on labelled questions."""

    coverage_weight: float = 0.5  # how much keyword coverage adds to cosine similarity
    passage_margin: float = 0.08  # further passages must score within this of the best

    @classmethod
    def calibrated(cls) -> Thresholds:
        data = json.loads(resources.files("bot.core").joinpath("calibration.json").read_text())
        return cls(coverage_weight=data["coverage_weight"])


def _rrf(rankings: list[list[int]]) -> list[int]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (RRF_K + rank + 1)
    return sorted(fused, key=lambda r: -fused[r])


def search(
    snapshot: IndexSnapshot,
    questions: list[str],
    vectors: np.ndarray,
    thresholds: Thresholds,
    k: int = 5,
    mode: Mode = Mode.HYBRID,
) -> list[list[Hit]]:
    """Top-k passages per question in fused order, each with its relevance score."""
    dense_all = snapshot.search(vectors, POOL) if mode != Mode.KEYWORD else [[] for _ in questions]
    results: list[list[Hit]] = []
    for question, vector, dense in zip(questions, vectors, dense_all):
        keyword = snapshot.keywords.search(question, POOL) if mode != Mode.DENSE else []
        rows = _rrf([[r for r, _ in dense], [r for r, _ in keyword]])[:k]
        cos = dict(dense)
        hits = []
        for row in rows:
            d = cos[row] if row in cos else snapshot.similarity(vector, row)
            cov = snapshot.keywords.coverage(question, row)
            hits.append(Hit(snapshot.chunks[row], d + thresholds.coverage_weight * cov, d, cov))
        results.append(prefer_newer(snapshot, rows, hits, thresholds.passage_margin))
    return results


def prefer_newer(snapshot: IndexSnapshot, rows: list[int], hits: list[Hit], margin: float) -> list[Hit]:
    """Drop a passage when a newer document covers the same ground about as relevantly.

    Policies are reissued (expenses 2023, then 2025) and both stay on the intranet; quoting the
    older one gives staff outdated rules. "Newer" is the front-matter date; "the same ground" is
    passage similarity of at least SAME_GROUND; "about as relevant" is within the passage margin.
    """
    dated = [i for i, h in enumerate(hits) if h.chunk.date]
    if len(dated) < 2:
        return hits
    vecs = {i: snapshot.vectors.reconstruct(rows[i]) for i in dated}
    dropped: set[int] = set()
    for i in dated:
        for j in dated:
            older, newer = hits[i], hits[j]
            if (
                older.chunk.source != newer.chunk.source
                and str(older.chunk.date) < str(newer.chunk.date)
                and newer.score >= older.score - margin
                and float(vecs[i] @ vecs[j]) >= SAME_GROUND
            ):
                dropped.add(i)
                break
    return [h for i, h in enumerate(hits) if i not in dropped]


def relevant(hits: list[Hit], thresholds: Thresholds, limit: int = 3) -> list[Hit]:
    """Hits worth quoting, best first: close to the best one. Whether to answer at all is the
    decision model's call (bot.core.decide), not a cut-off on this score."""
    ranked = sorted(hits, key=lambda h: -h.score)
    if not ranked:
        return []
    floor = ranked[0].score - thresholds.passage_margin
    return [h for h in ranked if h.score >= floor][:limit]
