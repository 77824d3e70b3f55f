"""Soak: N closed-loop users for a while against app.py; errors and the memory slope.

`python -m bench.soak [--minutes 5] [--users 50]` writes docs/soak.md (included in
docs/benchmarks.md by `make bench`). Memory is the server's RSS sampled every 5 s; the slope
is a least-squares fit over the second half (after caches and allocator pools have filled).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench.loadgen import ROOT, Load, ReplyCollector, Run, Server, slope_per_minute, unique_questions
from bot.core.embed import MiniLMEmbedder
from bot.core.index_store import build_index


async def soak(load: Load, users: int, seconds: float, sample, every: float = 5.0) -> tuple[Run, list]:
    run = Run(f"{users} users for {seconds / 60:.1f} min")
    counter = itertools.count()
    deadline = time.perf_counter() + seconds
    samples: list[tuple[float, float]] = []

    async def user(u: int) -> None:
        while time.perf_counter() < deadline:
            await load.ask(unique_questions(1, offset=next(counter))[0], u, run)

    async def sampler() -> None:
        t0 = time.perf_counter()
        while time.perf_counter() < deadline:
            samples.append((time.perf_counter() - t0, sample()))
            await asyncio.sleep(every)

    t0 = time.perf_counter()
    await asyncio.gather(sampler(), *(user(u) for u in range(users)))
    run.wall = time.perf_counter() - t0
    return run, samples


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    index = Path(tempfile.mkdtemp(prefix="soak-index-"))
    build_index(ROOT / "knowledge", index, MiniLMEmbedder())
    collector = await ReplyCollector().start()
    server = Server(index)
    async with ClientSession(timeout=ClientTimeout(total=120)) as http:
        await server.start(http)
        try:
            load = Load(server.url, collector, http)
            run, samples = await soak(load, args.users, args.minutes * 60, server.rss_mb)
        finally:
            peak = server.rss_mb("VmHWM")
            server.stop()
            await collector.stop()
    second_half = samples[len(samples) // 2 :]
    text = "\n".join(
        [
            "## Soak",
            "",
            f"`python -m bench.soak --minutes {args.minutes:g} --users {args.users}` "
            f"({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
            "",
            f"- questions answered: {len(run.latencies)}, errors: {run.errors}, throughput {run.throughput:.1f} q/s",
            f"- latency p50 {run.pct(0.5):.0f} ms, p95 {run.pct(0.95):.0f} ms, p99 {run.pct(0.99):.0f} ms",
            f"- RSS: first sample {samples[0][1]:.0f} MB, last {samples[-1][1]:.0f} MB, peak {peak:.0f} MB",
            f"- RSS slope over the whole run {slope_per_minute(samples):+.2f} MB/min; "
            f"over the second half {slope_per_minute(second_half):+.2f} MB/min",
            "",
        ]
    )
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "soak.md").write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
