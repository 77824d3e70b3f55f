"""A short soak in CI: 50 users asking without pause for ~20 s; nothing lost, nothing fails.

The full five-minute soak with the memory slope is `python -m bench.soak` (docs/benchmarks.md).
"""

from __future__ import annotations

from aiohttp import ClientSession, ClientTimeout

from bench.loadgen import Load, ReplyCollector
from bench.soak import soak
from bot.compose import make_web_app
from bot.config import Settings
from tests.conftest import KNOWLEDGE
from tests.connector import serve, wait_ready


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS:"))


async def test_fifty_users_for_twenty_seconds_get_every_answer(bulletin_index, embedder):
    collector = await ReplyCollector().start()
    settings = Settings(knowledge_dir=KNOWLEDGE, index_dir=bulletin_index, app_id="", app_password="")
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as http:
            await wait_ready(http, base)
            run, samples = await soak(Load(base, collector, http), users=50, seconds=20, sample=_rss_mb, every=2)
            async with http.get(f"{base}/healthz") as r:
                assert r.status == 200
    finally:
        await runner.cleanup()
        await collector.stop()
    assert run.errors == 0
    assert len(run.latencies) >= 50  # every user got at least one answer
    assert collector.types.get("answer", 0) == len(run.latencies)  # one reply per question, none lost
    assert collector.waiting == {}
    print(f"soak: {len(run.latencies)} answers, {run.throughput:.1f} q/s, p95 {run.pct(0.95):.0f} ms, RSS {samples}")
