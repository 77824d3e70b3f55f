"""Model-side figures, in their own process: the embedding ceiling, one query alone, index builds.

Prints one JSON object. Run by bench/run.py before any server starts, so nothing competes.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.loadgen import ROOT, unique_questions
from bot.compose import make_embedder
from bot.core.embed import MiniLMEmbedder
from bot.core.index_store import build_index


def rates(embedder, questions: list[str]) -> dict[str, float]:
    """Batched throughput (median of 3 runs, batches of 32) and one query alone (p50, p95)."""
    embedder.encode(questions[:64])
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        embedder.encode(questions)
        runs.append(len(questions) / (time.perf_counter() - t))
    single = []
    for q in questions[:60]:
        t = time.perf_counter()
        embedder.encode([q])
        single.append(time.perf_counter() - t)
    single.sort()
    return {
        "qps": statistics.median(runs),
        "single_p50_ms": single[len(single) // 2] * 1000,
        "single_p95_ms": single[int(0.95 * len(single))] * 1000,
    }


def cpu_only(n: int) -> None:
    """`--cpu`: the service's embedder alone, batched (batches of 32): q/s and CPU ms per question,
    median of 3 (process CPU time, so ONNX Runtime's own threads count)."""
    questions = unique_questions(n, offset=70_000)
    embedder = make_embedder()
    embedder.encode(questions[:64])
    qps, cpu = [], []
    for _ in range(3):
        t, c = time.perf_counter(), time.process_time()
        embedder.encode(questions)
        qps.append(n / (time.perf_counter() - t))
        cpu.append((time.process_time() - c) / n * 1000)
    print(
        json.dumps(
            {
                "service_embedder": type(embedder).__name__,
                "service_qps": statistics.median(qps),
                "service_cpu_ms": statistics.median(cpu),
            }
        )
    )


def main() -> None:
    if sys.argv[1:2] == ["--cpu"]:
        del sys.argv[1]
        return cpu_only(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    index_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp())
    questions = unique_questions(n)
    # The ceiling the throughput target is measured against: batched sentence-transformers.
    reference = rates(MiniLMEmbedder(), questions)
    embedder = make_embedder()  # what the service uses (ONNX Runtime unless unavailable)
    service = rates(embedder, questions)
    corpus = ROOT / "tests" / "eval_corpus"
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        report = build_index(corpus, Path(tmp), embedder)
        build_s = time.perf_counter() - t
        chunks = report.embedded
    build_index(ROOT / "knowledge", index_dir, embedder)  # what the benchmark servers serve
    files = len([p for p in corpus.iterdir() if p.suffix == ".md"])
    print(
        json.dumps(
            {
                "ceiling_qps": reference["qps"],
                "single_p50_ms": reference["single_p50_ms"],
                "single_p95_ms": reference["single_p95_ms"],
                "service_embedder": type(embedder).__name__,
                "service_qps": service["qps"],
                "service_single_p50_ms": service["single_p50_ms"],
                "service_single_p95_ms": service["single_p95_ms"],
                "build_files": files,
                "build_s": build_s,
                "build_report": report.summary(),
                "build_chunks": chunks,
                "index_dir": str(index_dir),
            }
        )
    )


if __name__ == "__main__":
    main()
