"""Find the passages most relevant to a question.

Hybrid retrieval: dense (FAISS) and keyword (BM25) rankings fused by reciprocal rank fusion.
Each hit carries a relevance score (cosine + weight x keyword coverage) used to pick the
passages worth quoting; whether to answer at all is the decision model's call (decide.py).
A document another one says it replaces is returned only for a question that names it
(supersede.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources

import numpy as np

from bot.core.index_store import IndexSnapshot
from bot.core.records import Hit
from bot.core.supersede import Doc, documents, family, named_past, replaced_by

RRF_K = 60
POOL = 20
# Two passages whose embeddings are at least this close say the same kind of thing (tuned on
# tests/eval_cases/tuning.jsonl only): an older issue of a series (staff bulletins) is dropped
# when a newer issue's passage says the same kind of thing.
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


class Ranked(list[Hit]):
    """A question's hits, with the first row of each plain ranking retrieval made on the way
    (the whole index, replaced documents included): the decision weighs them (assistant.judge),
    which then needs no second search. None where this search did not rank that way."""

    dense_first: list[tuple[int, float]] | None = None
    keyword_first: list[tuple[int, float]] | None = None


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
    all_gone = _superseded_rows(snapshot)
    dense_all = snapshot.search(vectors, POOL + len(all_gone)) if mode != Mode.KEYWORD else [[] for _ in questions]
    results: list[list[Hit]] = []
    for question, vector, dense in zip(questions, vectors, dense_all):
        firsts: tuple[list[tuple[int, float]] | None, list[tuple[int, float]] | None] = (
            dense[:1] if mode != Mode.KEYWORD else None,
            None,
        )
        back = asked_about_replaced(snapshot, question)
        if back:  # the question names a replaced document: answer from it, or from nothing
            dense, keyword = _within(snapshot, back, question, vector, mode)
        else:
            keyword = snapshot.keywords.search(question, POOL + len(all_gone)) if mode != Mode.DENSE else []
            firsts = (firsts[0], keyword[:1] if mode != Mode.DENSE else None)
            dense = [(r, s) for r, s in dense if r not in all_gone][:POOL]
            keyword = [(r, s) for r, s in keyword if r not in all_gone][:POOL]
        rows = _rrf([[r for r, _ in dense], [r for r, _ in keyword]])[:k]
        cos = dict(dense)
        hits = []
        for row in rows:
            d = cos[row] if row in cos else snapshot.similarity(vector, row)
            cov = snapshot.keywords.coverage(question, row)
            hits.append(Hit(snapshot.chunks[row], d + thresholds.coverage_weight * cov, d, cov))
        ranked = Ranked(latest_issue(snapshot, rows, hits))
        ranked.dense_first, ranked.keyword_first = firsts
        results.append(ranked)
    return results


def _within(
    snapshot: IndexSnapshot, sources: frozenset[str], question: str, vector: np.ndarray, mode: Mode
) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """Dense and keyword rankings over the passages of `sources` only."""
    rows = {r for r, c in enumerate(snapshot.chunks) if c.source in sources}
    dense = sorted(((r, snapshot.similarity(vector, r)) for r in rows), key=lambda x: -x[1])
    keyword = [(r, s) for r, s in snapshot.keywords.search(question, len(snapshot.chunks)) if r in rows]
    return (dense[:POOL] if mode != Mode.KEYWORD else []), (keyword[:POOL] if mode != Mode.DENSE else [])


def replacements(snapshot: IndexSnapshot) -> dict[str, str]:
    """Replaced document -> a document replacing it, worked out once per snapshot (a reload
    brings a new one)."""
    cached = snapshot.__dict__.get("_replacements")
    if cached is None:
        cached = replaced_by(snapshot.chunks)
        object.__setattr__(snapshot, "_replacements", cached)
    return cached


def asked_about_replaced(snapshot: IndexSnapshot, question: str) -> frozenset[str]:
    """The replaced documents this question names, and so may be quoted for it."""
    cached: list[Doc] | None = snapshot.__dict__.get("_replaced_documents")
    if cached is None:  # their titles, years and versions: once per snapshot, not per question
        cached = documents(snapshot.chunks, replacements(snapshot))
        object.__setattr__(snapshot, "_replaced_documents", cached)
    return named_past(question, cached)


def held_documents(snapshot: IndexSnapshot) -> list[Doc]:
    """Every document of the snapshot with its title, date and version (for unheld_version)."""
    cached: list[Doc] | None = snapshot.__dict__.get("_held_documents")
    if cached is None:
        cached = documents(snapshot.chunks, {c.source for c in snapshot.chunks})
        object.__setattr__(snapshot, "_held_documents", cached)
    return cached


def _superseded_rows(snapshot: IndexSnapshot) -> frozenset[int]:
    """Rows of replaced documents, worked out once per snapshot."""
    cached = snapshot.__dict__.get("_superseded_rows")
    if cached is None:
        gone = replacements(snapshot)
        cached = frozenset(r for r, c in enumerate(snapshot.chunks) if c.source in gone)
        object.__setattr__(snapshot, "_superseded_rows", cached)
    return cached


def latest_issue(snapshot: IndexSnapshot, rows: list[int], hits: list[Hit]) -> list[Hit]:
    """Drop an older issue's passage when a newer issue of the same series says the same kind
    of thing: the 9 June bulletin's survey date, not the 2 June one's. A series is documents
    with the same title apart from dates and versions (supersede.family); documents of
    different families never push each other out, however close their scores."""
    dated = [i for i, h in enumerate(hits) if h.chunk.date]
    if len(dated) < 2:
        return hits
    vecs = {i: snapshot.vectors.reconstruct(rows[i]) for i in dated}
    fams = {i: family(hits[i].chunk.doc_title) for i in dated}
    dropped: set[int] = set()
    for i in dated:
        for j in dated:
            older, newer = hits[i], hits[j]
            if (
                older.chunk.source != newer.chunk.source
                and fams[i] == fams[j]
                and str(older.chunk.date) < str(newer.chunk.date)
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
