"""Build, write and load the search index: FAISS vectors, the chunk store and a manifest.

Layout of an index folder:
    current -> builds/<build id>     (a symlink, replaced atomically)
    builds/<build id>/vectors.faiss  inner-product index over normalised embeddings
    builds/<build id>/chunks.jsonl   one chunk per line, row i = vector i
    builds/<build id>/manifest.json  model, build time, files with content hashes, counts
A build is written in full under builds/ before `current` moves, so a reader never sees half an
index, and a killed build leaves the previous one serving.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import faiss
import numpy as np

from bot.core.chunk import chunk_document
from bot.core.embed import DIMENSIONS, MODEL_NAME, Embedder
from bot.core.keywords import KeywordIndex
from bot.core.load import LoadError, file_hash, iter_knowledge_files, load_document
from bot.core.records import Chunk
from bot.errors import IndexInconsistent, IndexMissing

log = logging.getLogger(__name__)

CURRENT = "current"
BUILDS = "builds"
KEEP_BUILDS = 2
# Exact search up to this many passages (about 1 ms per query at 10k); HNSW above, where flat
# search grows linearly (17 ms at 100k). Measured by bench/faiss_bench.py (docs/index-benchmarks.md):
# on 10k real passage embeddings HNSW finds 99.6-99.8% of the exact top 5 at efSearch 64-128 in
# 0.2 ms; on random vectors, HNSW's worst case, recall@5 at 100k is only 0.50 at efSearch 128.
# efSearch 128 is a margin over 64 for corpora larger than we could measure with real text.
HNSW_ABOVE = 20_000
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


@dataclass
class BuildReport:
    """What a build changed, for the summary line and for the IG team."""

    build_id: str = ""
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"index {self.build_id}: {len(self.added)} added, {len(self.changed)} changed, "
            f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, {len(self.failed)} failed; "
            f"{self.chunks} chunks ({self.embedded} embedded) in {self.seconds:.1f}s"
        )


@dataclass(frozen=True)
class IndexSnapshot:
    """A loaded, immutable index: safe to share between concurrent requests."""

    build_id: str
    path: Path
    chunks: tuple[Chunk, ...]
    vectors: faiss.Index
    keywords: KeywordIndex
    manifest: dict

    def search(self, query: np.ndarray, k: int) -> list[list[tuple[int, float]]]:
        """Top-k (row, cosine) per query row."""
        if not self.chunks:
            return [[] for _ in range(len(query))]
        # One OpenMP thread for searches (a setting of the calling thread only): FAISS spreads a
        # batch's queries over OpenMP threads, whose start-up and spin-waiting cost a batch of 16
        # short questions 4.4 ms of CPU over the shipped index instead of 0.15 ms, and took a core
        # from the embedding model under load. The same arithmetic, the same results.
        faiss.omp_set_num_threads(1)
        scores, rows = self.vectors.search(np.ascontiguousarray(query, dtype=np.float32), min(k, len(self.chunks)))
        return [[(int(r), float(s)) for r, s in zip(rr, ss) if r >= 0] for rr, ss in zip(rows, scores)]

    def section_of(self, chunk: Chunk, window: int = 3) -> Chunk:
        """The hit widened to its neighbours in the same section (small to big).

        Passages are kept small so that retrieval is precise; the answer is read from the
        surrounding section so that a sentence split from its context still counts.
        """
        rows = self._sections().get((chunk.source, chunk.section), [])
        texts = [self.chunks[r].text for r in rows]
        if chunk.text not in texts:
            return chunk
        i = texts.index(chunk.text)
        return replace(chunk, text=" ".join(texts[max(0, i - window) : i + window + 1]))

    def _sections(self) -> dict[tuple[str, str], list[int]]:
        cached = self.__dict__.get("_section_rows")
        if cached is None:
            cached = {}
            for row, c in enumerate(self.chunks):
                cached.setdefault((c.source, c.section), []).append(row)
            object.__setattr__(self, "_section_rows", cached)
        return cached

    def similarity(self, query: np.ndarray, row: int) -> float:
        """Cosine between one query vector and one stored passage."""
        return float(self.vectors.reconstruct(row) @ query)


def restricted(snapshot: IndexSnapshot, sources: frozenset[str]) -> IndexSnapshot:
    """The same index with only these documents' passages: a smaller knowledge base without
    embedding anything again (fitting the decision on many sizes, bot/core/calibrate.py)."""
    rows = [r for r, c in enumerate(snapshot.chunks) if c.source in sources]
    chunks = tuple(snapshot.chunks[r] for r in rows)
    dims = snapshot.vectors.d
    matrix = np.stack([snapshot.vectors.reconstruct(r) for r in rows]) if rows else np.zeros((0, dims), np.float32)
    return IndexSnapshot(
        build_id=f"{snapshot.build_id}/{len(sources)}-of-{len({c.source for c in snapshot.chunks})}:{hash(sources):x}",
        path=snapshot.path,
        chunks=chunks,
        vectors=vector_index(matrix),
        keywords=KeywordIndex.build([c.embedding_text() for c in chunks]),
        manifest=snapshot.manifest,
    )


def current_build(index_dir: Path) -> Path | None:
    """The folder `current` points at, or None when no index was built."""
    link = index_dir / CURRENT
    if not link.exists():
        return None
    return link.resolve()


def load_index(index_dir: Path) -> IndexSnapshot:
    """Read the current build fully into memory."""
    path = current_build(index_dir)
    if path is None:
        raise IndexMissing(f"no index at {index_dir} (build it with: python -m bot index)")
    manifest = json.loads((path / "manifest.json").read_text())
    with (path / "chunks.jsonl").open(encoding="utf-8") as fh:
        chunks = tuple(Chunk(**json.loads(line)) for line in fh if line.strip())
    vectors = faiss.read_index(str(path / "vectors.faiss"))
    if vectors.ntotal != len(chunks):
        raise IndexInconsistent(f"index at {path} is inconsistent: {vectors.ntotal} vectors, {len(chunks)} chunks")
    keywords = KeywordIndex.load(path / "keywords", [c.embedding_text() for c in chunks])
    return IndexSnapshot(
        build_id=manifest["build_id"], path=path, chunks=chunks, vectors=vectors, keywords=keywords, manifest=manifest
    )


def read_manifest(index_dir: Path) -> dict | None:
    """The current build's manifest (build id, time, files, failures), or None without an index."""
    path = current_build(index_dir)
    if path is None:
        return None
    try:
        return json.loads((path / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def _previous(index_dir: Path) -> tuple[dict, dict[str, list[Chunk]], dict[str, np.ndarray]]:
    """Manifest, chunks by source and vectors by chunk id of the current build, if any.

    Only what a rebuild reuses is read: the keyword index is rebuilt anyway.
    """
    try:
        path = current_build(index_dir)
        if path is None:
            raise IndexMissing(str(index_dir))
        manifest = json.loads((path / "manifest.json").read_text())
        with (path / "chunks.jsonl").open(encoding="utf-8") as fh:
            chunks = [Chunk(**json.loads(line)) for line in fh if line.strip()]
        index = faiss.read_index(str(path / "vectors.faiss"))
        if index.ntotal != len(chunks):
            raise ValueError(f"{index.ntotal} vectors for {len(chunks)} chunks")
        matrix = index.reconstruct_n(0, index.ntotal) if chunks else np.zeros((0, 0))
    except (IndexMissing, OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        if (index_dir / CURRENT).exists():
            log.warning("previous index unreadable, rebuilding from scratch: %s", exc)
        return {}, {}, {}
    by_source: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    vectors = {c.id: matrix[i] for i, c in enumerate(chunks)}
    return manifest, by_source, vectors


def _unchanged(knowledge_dir: Path, manifest: dict | None) -> list[str] | None:
    """Sources, when every file hashes as in the current build (and no file came or went).

    This costs a hash per file and no model, so an unchanged refresh takes well under a second.
    """
    if not manifest:
        return None
    known = {**manifest.get("failed_hashes", {}), **manifest.get("files", {})}
    sources = []
    for path in iter_knowledge_files(knowledge_dir):
        source = path.relative_to(knowledge_dir).as_posix()
        if source not in known:
            return None
        try:
            digest = file_hash(path)
        except OSError:
            return None
        if digest != known[source] and digest != manifest.get("failed_hashes", {}).get(source):
            return None
        sources.append(source)
    return sources if set(sources) == set(known) else None


EmbedderSource = Embedder | Callable[[], Embedder]


def build_index(
    knowledge_dir: Path,
    index_dir: Path,
    embedder: EmbedderSource,
    progress: Callable[[int], None] | None = None,
    planned: Callable[[int], None] | None = None,
    hnsw_above: int = HNSW_ABOVE,
) -> BuildReport:
    """Build from knowledge_dir, re-embedding only chunks not in the current build, then swap.

    `embedder` may be a factory: the model is then loaded only if something must be embedded.
    `planned` hears how many passages will be embedded, `progress` how many were just done.
    A file that fails to load is reported; its chunks from the previous build are kept.
    """
    started = time.perf_counter()
    report = BuildReport()
    manifest_now = read_manifest(index_dir)
    same = _unchanged(knowledge_dir, manifest_now)
    if same is not None and manifest_now is not None:
        failed = manifest_now.get("failed", {})
        report.build_id = manifest_now["build_id"]
        report.unchanged = [s for s in same if s not in failed]
        report.failed = {s: failed[s] for s in same if s in failed}
        report.chunks = manifest_now.get("chunks", 0)
        report.seconds = time.perf_counter() - started
        return report
    old_manifest, old_chunks, old_vectors = _previous(index_dir)
    old_files: dict[str, str] = old_manifest.get("files", {})

    chunks: list[Chunk] = []
    files: dict[str, str] = {}
    failed_hashes: dict[str, str] = {}
    for path in iter_knowledge_files(knowledge_dir):
        source = path.relative_to(knowledge_dir).as_posix()
        try:
            doc = load_document(path, knowledge_dir)
        except LoadError as exc:
            report.failed[source] = str(exc)
            with contextlib.suppress(OSError):
                failed_hashes[source] = file_hash(path)
            log.warning("skipped %s", exc)
            if source in old_files:  # keep serving the last good version
                files[source] = old_files[source]
                chunks.extend(old_chunks.get(source, []))
            continue
        files[source] = doc.content_hash
        if source not in old_files:
            report.added.append(source)
        elif old_files[source] != doc.content_hash:
            report.changed.append(source)
        else:
            report.unchanged.append(source)
        chunks.extend(chunk_document(doc))
    report.removed = sorted(set(old_files) - set(files))

    # Identical passages (a repeated footer) would be indistinguishable: keep the first.
    seen: set[str] = set()
    chunks = [c for c in chunks if not (c.id in seen or seen.add(c.id))]

    todo = [i for i, c in enumerate(chunks) if c.id not in old_vectors]
    report.embedded = len(todo)
    report.chunks = len(chunks)
    if not (report.added or report.changed or report.removed) and old_manifest and not todo:
        report.build_id = old_manifest["build_id"]
        report.seconds = time.perf_counter() - started
        return report  # nothing to swap: the current build already is this build

    if planned:
        planned(len(todo))
    if todo or hasattr(embedder, "encode"):
        model = embedder if hasattr(embedder, "encode") else embedder()  # type: ignore[operator]
        name, dims = model.name, model.dimensions
    else:  # nothing new to embed (files removed): no need to load the model at all
        model = None
        name, dims = old_manifest.get("model", MODEL_NAME), int(old_manifest.get("dimensions", DIMENSIONS))
    matrix = np.zeros((len(chunks), dims), dtype=np.float32)
    for i, c in enumerate(chunks):
        if c.id in old_vectors:
            matrix[i] = old_vectors[c.id]
    batch = 64
    for start in range(0, len(todo), batch):
        rows = todo[start : start + batch]
        matrix[rows] = model.encode([chunks[i].embedding_text() for i in rows])  # type: ignore[union-attr]
        if progress:
            progress(len(rows))

    report.build_id = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]
    manifest = {
        "build_id": report.build_id,
        "model": name,
        "dimensions": dims,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": files,
        "failed": report.failed,
        "failed_hashes": failed_hashes,
        "chunks": len(chunks),
        "index_type": "hnsw" if len(chunks) > hnsw_above else "flat",
    }
    _write_build(index_dir, report.build_id, chunks, matrix, manifest, hnsw_above)
    report.seconds = time.perf_counter() - started
    return report


def vector_index(matrix: np.ndarray, hnsw_above: int = HNSW_ABOVE) -> faiss.Index:
    """Exact inner-product search for a council-sized corpus; HNSW (approximate) when larger."""
    dims = matrix.shape[1]
    if len(matrix) > hnsw_above:
        index = faiss.IndexHNSWFlat(dims, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        index = faiss.IndexFlatIP(dims)
    if len(matrix):
        index.add(np.ascontiguousarray(matrix, dtype=np.float32))
    return index


def _write_build(
    index_dir: Path,
    build_id: str,
    chunks: list[Chunk],
    matrix: np.ndarray,
    manifest: dict,
    hnsw_above: int = HNSW_ABOVE,
) -> None:
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    tmp = builds / f".tmp-{build_id}"
    tmp.mkdir()
    vectors = vector_index(matrix, hnsw_above)
    faiss.write_index(vectors, str(tmp / "vectors.faiss"))
    KeywordIndex.build([c.embedding_text() for c in chunks]).save(tmp / "keywords")
    with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as fh:
        for c in chunks:
            fh.write(json.dumps(asdict(c), ensure_ascii=False) + "\n")
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2))
    final = builds / build_id
    os.replace(tmp, final)
    _fsync_dir(builds)
    link_tmp = index_dir / f".{CURRENT}-{uuid.uuid4().hex[:6]}"
    os.symlink(Path(BUILDS) / build_id, link_tmp)
    os.replace(link_tmp, index_dir / CURRENT)  # atomic on POSIX: readers see old or new
    _fsync_dir(index_dir)
    _prune(builds, keep=final.name)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(builds: Path, keep: str) -> None:
    """Keep the newest builds (a running bot may still be loading the previous one)."""
    done = sorted((p for p in builds.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    for old in done[:-KEEP_BUILDS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in builds.glob(".tmp-*"):  # left by a killed build
        if stale.name != f".tmp-{keep}":
            shutil.rmtree(stale, ignore_errors=True)
