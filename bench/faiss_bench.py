"""Flat vs HNSW search: latency per query and HNSW recall@5 against exact search, per efSearch.

Run: python -m bench.faiss_bench [--sizes 10000 100000] [--queries 200] [--real INDEX_DIR]
Synthetic vectors are random normal, normalised (384-d like all-MiniLM-L6-v2): the hardest
case for HNSW, as they have no structure. `--real` also measures the vectors of a built index
(for example the 1,000-page corpus of bench/index_bench.py), which are real text embeddings.
Queries are stored vectors plus noise, so each has true near neighbours as real questions do.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import faiss
import numpy as np

from bot.core.index_store import HNSW_EF_SEARCH, vector_index

EF_SEARCH = (64, 128, 256, 512)


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def timed_search(index: faiss.Index, queries: np.ndarray) -> tuple[list[np.ndarray], float]:
    faiss.omp_set_num_threads(1)  # one query at a time, as the bot serves them
    started = time.perf_counter()
    found = [index.search(q[None, :], 5)[1][0] for q in queries]
    return found, (time.perf_counter() - started) * 1000 / len(queries)


def measure(label: str, data: np.ndarray, queries: np.ndarray) -> None:
    faiss.omp_set_num_threads(2)
    started = time.perf_counter()
    flat = vector_index(data, hnsw_above=len(data))
    flat_build = time.perf_counter() - started
    truth, flat_ms = timed_search(flat, queries)
    print(f"{label:<10} {len(data):>8}  {'flat':<12}  {flat_build:>8.1f}  {flat_ms:>8.2f}  {1.0:>8.3f}")
    faiss.omp_set_num_threads(2)
    started = time.perf_counter()
    hnsw = vector_index(data, hnsw_above=0)
    built = time.perf_counter() - started
    for ef in EF_SEARCH:
        hnsw.hnsw.efSearch = ef
        found, ms = timed_search(hnsw, queries)
        recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(found, truth)])
        name = f"hnsw ef={ef}" + ("*" if ef == HNSW_EF_SEARCH else "")
        print(f"{label:<10} {len(data):>8}  {name:<12}  {built:>8.1f}  {ms:>8.2f}  {recall:>8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--real", type=Path, help="an index folder whose vectors to measure too")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(
        f"(* = the efSearch the bot uses)\n{'vectors':<10} {'chunks':>8}  {'index':<12}  {'build s':>8}  "
        f"{'ms/query':>8}  {'recall@5':>8}"
    )

    def noisy(data: np.ndarray) -> np.ndarray:
        picks = rng.choice(len(data), min(args.queries, len(data)), replace=False)
        return normalised(data[picks] + 0.5 * rng.standard_normal((len(picks), data.shape[1])) / np.sqrt(384))

    for n in args.sizes:
        data = normalised(rng.standard_normal((n, 384)))
        measure("random", data, noisy(data))
    if args.real:
        stored = faiss.read_index(str(args.real / "current" / "vectors.faiss"))
        data = normalised(stored.reconstruct_n(0, stored.ntotal))
        measure("real text", data, noisy(data))


if __name__ == "__main__":
    main()
