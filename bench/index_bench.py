"""Index build throughput on a generated 1,000-page corpus, and refresh of the unchanged corpus.

Run: python bench/index_bench.py [--pages 1000] [--dir /tmp/bench-index]
A "page" is a Markdown file of about 450 words in five sections (roughly one printed page).
Timings exclude the model load for the first build (reported separately); the unchanged
refresh is timed as `python -m bot index` does it, with a model factory that is never called.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path

from bot.compose import make_embedder
from bot.core.index_store import build_index

TOPICS = ["expenses", "annual leave", "data breaches", "records retention", "IT security", "procurement", "wellbeing"]
VERBS = ["must", "should", "may", "will"]
THINGS = ["claims", "requests", "reports", "forms", "approvals", "records", "passwords", "devices"]


def page(i: int, rng: random.Random) -> str:
    topic = rng.choice(TOPICS)
    parts = [f"---\ntitle: {topic.title()} guidance {i}\ndate: 2025-{i % 12 + 1:02d}-01\n---\n"]
    for s in range(5):
        parts.append(f"## {topic.title()} section {s + 1}\n")
        sents = []
        for _ in range(4):
            sents.append(
                f"Staff in team {rng.randint(1, 400)} {rng.choice(VERBS)} submit {rng.choice(THINGS)} about "
                f"{topic} within {rng.randint(1, 60)} days to the {rng.choice(THINGS)} officer at site {i}."
            )
        parts.append(" ".join(sents) + "\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bench-index"))
    args = parser.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    knowledge, index = args.dir / "knowledge", args.dir / "index"
    knowledge.mkdir(parents=True)
    rng = random.Random(0)
    for i in range(args.pages):
        (knowledge / f"page-{i:04d}.md").write_text(page(i, rng))

    started = time.perf_counter()
    embedder = make_embedder()  # the service's embedder: ONNX Runtime unless unavailable
    print(f"model load ({type(embedder).__name__}): {time.perf_counter() - started:.1f} s")
    report = build_index(knowledge, index, embedder)
    print(
        f"full build: {report.chunks} chunks from {args.pages} pages in {report.seconds:.1f} s "
        f"= {report.chunks / report.seconds:.1f} chunks/s"
    )

    def never():
        raise AssertionError("model needed for an unchanged corpus")

    times = []
    for _ in range(3):
        again = build_index(knowledge, index, never)
        times.append(again.seconds)
    print(
        f"unchanged refresh: {min(times):.2f} s best of 3 ({', '.join(f'{t:.2f}' for t in times)}), "
        f"{again.embedded} embedded"
    )
    (knowledge / "page-0000.md").write_text(page(10_000, rng))
    one = build_index(knowledge, index, embedder)
    print(f"one page changed: {one.embedded} embedded, {one.seconds:.1f} s")


if __name__ == "__main__":
    main()
