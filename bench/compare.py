"""This checkout against other checkouts, in one run, alternating: `python -m bench.compare OTHER [OTHER ...]`.

For each round and each version (the others first, then this one, so every version sees the
same share of the machine's noise): app.py from that checkout, 30 users asking unique questions
(questions only), then the same users with one turn in ten an IG hand-off (bench.handoff). Per
version and round it records throughput, p50/p95, the server's CPU per question from /proc split
into the event loop's thread (the main thread) and every other thread (the batcher, the pool,
ONNX Runtime's), and how many connector posts and roster lookups each question cost. Between
versions, the embedding model alone (bench.embedding's batches of 32, the service's embedder)
gives its batched ceiling and CPU per question in the same run, so the server's CPU can be
judged against it. Medians over the rounds, and the spread (min-max) as the noise.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench.handoff import USERS, HandoffCollector, HandoffLoad
from bench.loadgen import ROOT, Server, unique_questions

ROUNDS = 3
QUESTIONS = USERS * 30  # questions-only: 900 unique questions at 30 users
MIXED_ROUNDS = 3  # mixed: 30 users x 3 rounds of nine questions and one hand-off


def thread_cpu(pid: int) -> tuple[float, float]:
    """(process, main thread) CPU seconds, user + system, from /proc. The main thread runs the event loop."""

    def seconds(path: str) -> float:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    return seconds(f"/proc/{pid}/stat"), seconds(f"/proc/{pid}/task/{pid}/stat")


@dataclass
class Phase:
    """One load pattern against one version: what the users saw and what the server spent."""

    throughput: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    sent_p95: float = float("nan")
    errors: int = 0
    cpu_ms: float = 0.0  # whole process, per question (per turn in the mixed phase)
    loop_ms: float = 0.0  # the event loop's thread
    posts: float = 0.0  # connector posts per question (turn)
    roster: float = 0.0  # roster lookups per question (turn)

    @property
    def workers_ms(self) -> float:
        return self.cpu_ms - self.loop_ms


@dataclass
class Result:
    only: list[Phase] = field(default_factory=list)
    mixed: list[Phase] = field(default_factory=list)


class CountingCollector(HandoffCollector):
    """The connector, counting the roster lookups it serves."""

    def __init__(self) -> None:
        super().__init__()
        self.roster = 0

    async def _member(self, request):  # type: ignore[no-untyped-def]
        self.roster += 1
        return await super()._member(request)


async def measure(index_dir: Path, root: Path) -> tuple[Phase, Phase]:
    collector = await CountingCollector().start()
    server = Server(index_dir, root)
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as http:
            await server.start(http)
            assert server.proc is not None
            pid = server.proc.pid
            load = HandoffLoad(server.url, collector, http)
            await load.closed_loop("warm-up", 10, unique_questions(60, offset=80_000))
            await asyncio.sleep(1.5)  # the warm-up's state and log writes land before the counters start

            async def phase(run_phase) -> tuple[Phase, list]:  # type: ignore[no-untyped-def]
                cpu0, loop0 = thread_cpu(pid)
                posts0, roster0 = collector.count, collector.roster
                runs = await run_phase()
                await asyncio.sleep(1.2)  # writes behind the reply (state, log) count to the phase that made them
                cpu1, loop1 = thread_cpu(pid)
                n = len(runs[0].latencies) + runs[0].errors
                p = Phase(
                    throughput=runs[0].throughput,
                    p50=runs[0].pct(0.5),
                    p95=runs[0].pct(0.95),
                    errors=sum(r.errors for r in runs),
                    cpu_ms=(cpu1 - cpu0) / n * 1000,
                    loop_ms=(loop1 - loop0) / n * 1000,
                    posts=(collector.count - posts0) / n,
                    roster=(collector.roster - roster0) / n,
                )
                return p, runs

            only, _ = await phase(
                lambda: _one(load.closed_loop("questions only", USERS, unique_questions(QUESTIONS, offset=100_000)))
            )
            mixed, runs = await phase(lambda: load.mixed(USERS, MIXED_ROUNDS, offset=200_000))
            mixed.sent_p95 = runs[1].pct(0.95)
    finally:
        server.stop()
        await collector.stop()
    return only, mixed


async def _one(coro):  # type: ignore[no-untyped-def]
    return [await coro]


def embedding() -> dict:
    """The model alone in its own process: batched ceiling (q/s) and CPU ms per question."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.embedding", "--cpu", "300"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT)),
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def med(values: list[float]) -> str:
    values = [v for v in values if v == v]
    if not values:
        return "-"
    m = statistics.median(values)
    spread = f" ({min(values):.3g}–{max(values):.3g})" if len(values) > 1 else ""
    return f"{m:.3g}{spread}"


def report(names: list[str], results: dict[str, Result], model: list[dict]) -> list[str]:
    def row(label: str, get) -> str:  # type: ignore[no-untyped-def]
        return f"| {label} | " + " | ".join(med([get(r) for r in results[n]]) for n in names) + " |"

    def only(get):  # type: ignore[no-untyped-def]
        return lambda res: [get(p) for p in res.only]

    def mixed(get):  # type: ignore[no-untyped-def]
        return lambda res: [get(p) for p in res.mixed]

    def r(label: str, pick) -> str:  # type: ignore[no-untyped-def]
        return f"| {label} | " + " | ".join(med(pick(results[n])) for n in names) + " |"

    emb_cpu = [m["service_cpu_ms"] for m in model]
    emb_qps = [m["service_qps"] for m in model]
    lines = [
        f"| 30 users (medians of {len(model)} alternating rounds; min–max in brackets) | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        r("questions only: throughput q/s", only(lambda p: p.throughput)),
        r("questions only: p50 ms", only(lambda p: p.p50)),
        r("questions only: p95 ms", only(lambda p: p.p95)),
        r("questions only: server CPU ms per question", only(lambda p: p.cpu_ms)),
        r("… of it the event loop's thread", only(lambda p: p.loop_ms)),
        r("… of it other threads (model, pool)", only(lambda p: p.workers_ms)),
        r("questions only: connector posts per question", only(lambda p: p.posts)),
        r("1 hand-off in 10: throughput turns/s", mixed(lambda p: p.throughput)),
        r("1 hand-off in 10: question p50 ms", mixed(lambda p: p.p50)),
        r("1 hand-off in 10: question p95 ms", mixed(lambda p: p.p95)),
        r("1 hand-off in 10: Send → reference p95 ms", mixed(lambda p: p.sent_p95)),
        r("1 hand-off in 10: server CPU ms per turn", mixed(lambda p: p.cpu_ms)),
        r("… of it the event loop's thread", mixed(lambda p: p.loop_ms)),
        r("1 hand-off in 10: connector posts per turn", mixed(lambda p: p.posts)),
        r("1 hand-off in 10: roster lookups per turn", mixed(lambda p: p.roster)),
        r("errors (both loads)", lambda res: [a.errors + b.errors for a, b in zip(res.only, res.mixed)]),
        "",
        f"- The embedding model alone ({model[0]['service_embedder']}, batches of 32, 300 questions), measured "
        f"between the versions in every round: {med(emb_qps)} q/s, {med(emb_cpu)} ms of CPU per question.",
    ]
    if emb_cpu:
        e = statistics.median(emb_cpu)
        ratios = ", ".join(f"{n}: {statistics.median([p.cpu_ms for p in results[n].only]) / e:.2f}x" for n in names)
        lines.append(f"- Server CPU per question (questions only) against the model's own: {ratios}.")
    return lines


async def main(others: list[Path], rounds: int) -> list[str]:
    # Each checkout serves its own index/ (`python -m bot index` in it first): an older version
    # need not read an index built by this one.
    for root in [*others, ROOT]:
        if not (root / "index" / "current").exists():
            raise SystemExit(f"{root} has no index: run `python -m bot index` in it first")
    roots = [*others, ROOT]
    names = [f"{p.name} ({_commit(p)})" for p in others] + [f"this checkout ({_commit(ROOT)})"]
    results = {n: Result() for n in names}
    model: list[dict] = []
    load_start = os.getloadavg()
    for k in range(rounds):
        order = list(zip(names, roots))
        if k % 2:  # alternate who goes first
            order.reverse()
        for name, root in order:
            only, mixed = await measure(root / "index", root)
            results[name].only.append(only)
            results[name].mixed.append(mixed)
            print(f"round {k + 1} {name}: {only} {mixed}", file=sys.stderr, flush=True)
        model.append(embedding())
        print(f"round {k + 1} model: {model[-1]}", file=sys.stderr, flush=True)
    head = [
        f"`python -m bench.compare {' '.join(str(p) for p in others)}` on "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at start "
        f"{' '.join(f'{x:.2f}' for x in load_start)}, at end {' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
        "",
    ]
    return head + report(names, results, model)


def _commit(root: Path) -> str:
    try:
        return subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


if __name__ == "__main__":
    args = sys.argv[1:]
    n = ROUNDS
    if "--rounds" in args:
        i = args.index("--rounds")
        n = int(args[i + 1])
        del args[i : i + 2]
    print("\n".join(asyncio.run(main([Path(a).resolve() for a in args], n))))
