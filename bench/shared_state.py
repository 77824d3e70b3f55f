"""What shared conversation state costs per question: the app from two source trees, same load, alternated.

    python -m bench.shared_state --before DIR [--after DIR] [--rounds 2] [--users 30] [--questions 600]

DIR is a source tree to run app.py from (e.g. `git archive main | tar -x -C /tmp/before`); --after
defaults to this checkout. Every other question is a follow-up ("and where is it?"), the only kind
that reads the shared state. Reports p50/p95 latency and the server's CPU milliseconds per question.
Compare the two columns of one run, never numbers across machines.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from aiohttp import ClientSession

from bench.loadgen import ROOT, Load, ReplyCollector, Server, unique_questions

FOLLOW_UPS = ["and where is it?", "and who do I ask about that?", "what about the deadline for it?"]


def questions(n: int, offset: int) -> list[str]:
    fresh = unique_questions(n, offset)
    return [q if i % 2 == 0 else FOLLOW_UPS[i % len(FOLLOW_UPS)] for i, q in enumerate(fresh)]


async def measure(root: Path, index_dir: Path, http: ClientSession, users: int, n: int, offset: int) -> dict:
    server = await Server(index_dir, root).start(http)
    collector = await ReplyCollector().start()
    try:
        load = Load(server.url, collector, http)
        await load.closed_loop("warm-up", users, unique_questions(users * 2, 900_000 + offset))
        cpu0 = server.cpu_seconds()
        run = await load.closed_loop(str(root), users, questions(n, offset))
        cpu = server.cpu_seconds() - cpu0
    finally:
        await collector.stop()
        server.stop()
    return {
        "p50": run.pct(0.5),
        "p95": run.pct(0.95),
        "cpu_ms": cpu * 1000 / max(1, len(run.latencies)),
        "errors": run.errors,
    }


async def main(before: Path, after: Path, rounds: int, users: int, n: int) -> None:
    index_dir = Path(tempfile.mkdtemp(prefix="bench-index-"))
    subprocess.run([sys.executable, "-m", "bot", "index", "--index", str(index_dir)], cwd=ROOT, check=True)
    results: dict[str, list[dict]] = {"before": [], "after": []}
    async with ClientSession() as http:
        for r in range(rounds):
            for name, root in (("before", before), ("after", after)):
                results[name].append(await measure(root, index_dir, http, users, n, offset=r * 10_000))
                print(name, results[name][-1], file=sys.stderr)
    print(f"{users} users, {n} questions per run (half follow-ups), {rounds} alternated rounds")
    print("| build | p50 ms | p95 ms | server CPU ms/question | errors |\n|---|---|---|---|---|")
    for name, rows in results.items():
        cells = [f"{min(r[k] for r in rows):.1f}-{max(r[k] for r in rows):.1f}" for k in ("p50", "p95", "cpu_ms")]
        print(f"| {name} | {' | '.join(cells)} | {sum(r['errors'] for r in rows)} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--questions", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(main(args.before, args.after, args.rounds, args.users, args.questions))
