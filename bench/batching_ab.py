"""Batching on against off, with the machine's drift taken out.

`make bench` measures the two settings minutes apart, so a change in the shared machine's load
between them shows up as a difference (runs here vary by about 15%). Here both servers run side
by side and take turns, round after round, on fresh unique questions.

Run: `.venv/bin/python -m bench.batching_ab [--rounds 4]` (about 2 minutes). Prints one row per
round and setting, then the means.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
from pathlib import Path

import click
from aiohttp import ClientSession, ClientTimeout

from bench.loadgen import ROOT, Load, ReplyCollector, Server, unique_questions
from bot.compose import make_embedder
from bot.core.index_store import build_index


async def compare(index_dir: Path, rounds: int, users: int, questions: int) -> dict[str, list[float]]:
    """Throughput per round for each setting, servers taking turns."""
    rates: dict[str, list[float]] = {"true": [], "false": []}
    async with ClientSession(timeout=ClientTimeout(total=120)) as http:
        collector = await ReplyCollector().start()
        servers = {b: Server(index_dir, BATCHING=b) for b in rates}
        try:
            for server in servers.values():
                await server.start(http)
                await Load(server.url, collector, http).closed_loop("warm", 5, unique_questions(40, offset=90_000))
            offset = 5_000
            for _ in range(rounds):
                for batching, server in servers.items():
                    offset += questions
                    run = await Load(server.url, collector, http).closed_loop(
                        f"batching={batching}", users, unique_questions(questions, offset=offset)
                    )
                    rates[batching].append(run.throughput)
                    click.echo(run.row())
        finally:
            for server in servers.values():
                server.stop()
            await collector.stop()
    return rates


@click.command()
@click.option("--rounds", default=4, show_default=True)
@click.option("--users", default=20, show_default=True)
@click.option("--questions", default=300, show_default=True, help="Questions per round and setting.")
def main(rounds: int, users: int, questions: int) -> None:
    """Interleaved comparison of BATCHING=true and BATCHING=false on knowledge/."""
    with tempfile.TemporaryDirectory(prefix="bench-ab-") as tmp:
        build_index(ROOT / "knowledge", Path(tmp), make_embedder())
        rates = asyncio.run(compare(Path(tmp), rounds, users, questions))
    for batching, values in rates.items():
        click.echo(f"batching {'on' if batching == 'true' else 'off'}: mean {statistics.mean(values):.1f} q/s")


if __name__ == "__main__":
    main()
