"""Flat vs HNSW search: latency per query and HNSW recall@5 against exact search.

Run: python bench/faiss_bench.py [--sizes 10000 100000] [--queries 200]
Vectors are random normal, normalised (384-d like all-MiniLM-L6-v2); queries are stored vectors
plus noise, so each has true near neighbours as real questions do.
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np

from bot.core.index_store import vector_index


def normalised(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'chunks':>8}  {'index':<5}  {'build s':>8}  {'ms/query':>8}  {'recall@5':>8}")
    for n in args.sizes:
        data = normalised(rng.standard_normal((n, 384)))
        picks = rng.choice(n, args.queries, replace=False)
        queries = normalised(data[picks] + 0.5 * rng.standard_normal((args.queries, 384)) / np.sqrt(384))
        truth = None
        for kind, above in (("flat", n), ("hnsw", 0)):
            started = time.perf_counter()
            faiss.omp_set_num_threads(2)
            index = vector_index(data, hnsw_above=above)
            built = time.perf_counter() - started
            faiss.omp_set_num_threads(1)  # one query at a time, as the bot serves them
            started = time.perf_counter()
            found = [index.search(q[None, :], 5)[1][0] for q in queries]
            ms = (time.perf_counter() - started) * 1000 / len(queries)
            if truth is None:
                truth = found
            recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(found, truth)])
            print(f"{n:>8}  {kind:<5}  {built:>8.1f}  {ms:>8.2f}  {recall:>8.3f}")


if __name__ == "__main__":
    main()
