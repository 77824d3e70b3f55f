"""The comparison report and the profile's arithmetic, without starting servers."""

from __future__ import annotations

from pathlib import Path

from bench.compare import Phase, Result, report
from bench.profile import aggregate, classify
from bench.run import COMPARE_HEAD, with_comparison


def test_the_report_gives_medians_and_the_spread_and_the_ratio_to_the_model():
    results = {
        "old": Result(only=[Phase(throughput=t, cpu_ms=c, loop_ms=4) for t, c in [(100, 13), (90, 14), (110, 12)]]),
        "new": Result(only=[Phase(throughput=t, cpu_ms=c, loop_ms=2) for t, c in [(130, 9), (120, 10), (140, 8)]]),
    }
    for r in results.values():
        r.mixed = [Phase(sent_p95=200.0, roster=0.1) for _ in r.only]
    model = [{"service_embedder": "Onnx", "service_qps": q, "service_cpu_ms": 5.0} for q in (300, 310, 320)]
    text = "\n".join(report(["old", "new"], results, model))
    assert "| questions only: throughput q/s | 100 (90–110) | 130 (120–140) |" in text
    assert "| … of it other threads (model, pool) | 9 (8–10) | 7 (6–8) |" in text
    assert "old: 2.60x, new: 1.80x" in text
    assert "310 (300–320) q/s, 5 (5–5) ms of CPU per question" in text


def test_the_comparison_section_is_replaced_not_repeated():
    text = "# Benchmarks\n\nnumbers\n\n## Soak\n\nsoak numbers\n"
    once = with_comparison(text, ["first"])
    twice = with_comparison(once, ["second"])
    assert twice.count(COMPARE_HEAD) == 1 and "second" in twice and "first" not in twice
    assert twice.index(COMPARE_HEAD) < twice.index("## Soak") and "soak numbers" in twice


def test_the_profile_shares_each_threads_measured_cpu_out_by_its_samples(tmp_path: Path):
    raw = tmp_path / "raw.txt"
    raw.write_text(
        "thread (100): MainThread;run (asyncio/base_events.py:1);send (bot/teams/replies.py:5) 3\n"
        "thread (100): MainThread;run (asyncio/base_events.py:1);_norm (bot/core/suggest.py:47) 1\n"
        "thread (101): batch_0;_worker (concurrent/futures/thread.py:1);encode (bot/core/embed_onnx.py:9) 10\n"
    )
    by, samples = aggregate(raw, 100, {100: 0.4, 101: 1.0, 102: 0.2}, questions=100)
    assert samples == 14
    assert abs(by["event loop"][classify("bot/teams/replies.py")] - 3.0) < 1e-9  # 3/4 of 4 ms over 100
    assert abs(by["event loop"]["suggestions (Neighbourhood)"] - 1.0) < 1e-9
    assert abs(by["Python threads"]["embedding model (ONNX / torch)"] - 10.0) < 1e-9
    assert abs(by["native threads"]["native (ONNX Runtime pool, SQLite, ...)"] - 2.0) < 1e-9
