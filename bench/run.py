"""`make bench`: latency and throughput of the bot over HTTP, written to docs/benchmarks.md.

Everything is measured in one run on this machine: the embedding ceiling (batched
sentence-transformers on the same questions, no HTTP), then app.py with batching off and on,
driven by simulated Teams users with a local connector collecting the replies.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench import handoff
from bench.loadgen import ROOT, ROW_HEAD, Load, ReplyCollector, Run, Server, unique_questions

OUT = ROOT / "docs" / "benchmarks.md"


def machine() -> dict[str, str]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    mem_kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
    import torch

    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "Python": platform.python_version(),
        "torch": torch.__version__,
        "torch threads": str(torch.get_num_threads()),
        "OS": platform.platform(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


async def warm(load: Load) -> None:
    run = Run("warm-up")
    for i, q in enumerate(unique_questions(16, offset=90_000)):
        await load.ask(q, 99_000 + i, run)


async def serve_and_measure(index_dir: Path, batching: bool, http: ClientSession, full: bool) -> dict:
    collector = await ReplyCollector().start()
    server = Server(index_dir, BATCHING="true" if batching else "false")
    out: dict = {}
    try:
        await server.start(http)
        out["cold_start_s"] = server.cold_start
        load = Load(server.url, collector, http)
        await warm(load)
        runs: list[Run] = []
        offset = 0

        def qs(n: int) -> list[str]:  # fresh questions for every run: none may hit the answer cache
            nonlocal offset
            offset += n
            return unique_questions(n, offset=offset - n)

        # 200 questions alone: a p95 over 40 would be the second-slowest answer, too noisy to judge by
        levels = [(1, 200), (5, 100), (20, 300), (50, 400)] if full else [(20, 300)]
        for users, n in levels:
            cpu = server.cpu_seconds()
            runs.append(await load.closed_loop(f"{users} closed-loop users", users, qs(n)))
            if users == 20:
                out["cpu_ms_per_question"] = (server.cpu_seconds() - cpu) / n * 1000
        runs.append(await load.open_loop("open loop, 50 questions/s for 10 s", 50, qs(500)))
        if full:
            repeated = unique_questions(20, offset=50_000) * 10
            await load.closed_loop("prime", 20, repeated[:20])
            runs.append(await load.closed_loop("20 users, repeated questions (cache)", 20, repeated))
        out["runs"] = runs
        out["peak_rss_mb"] = server.rss_mb("VmHWM")
        out["replies"] = dict(collector.types)
    finally:
        server.stop()
        await collector.stop()
    return out


COMPARE_HEAD = "## This checkout against others, alternating (`python -m bench.compare`)"


def with_comparison(text: str, section: list[str]) -> str:
    """docs/benchmarks.md with its comparison section replaced (or added before the soak)."""
    block = "\n".join([COMPARE_HEAD, "", *section, ""]) + "\n"
    if COMPARE_HEAD in text:
        start = text.index(COMPARE_HEAD)
        nxt = text.find("\n## ", start + len(COMPARE_HEAD))
        return text[:start] + block + (text[nxt + 1 :] if nxt >= 0 else "")
    at = text.find("\n## Soak")
    return text + "\n" + block if at < 0 else text[: at + 1] + block + text[at + 1 :]


async def comparison(others: list[Path], rounds: int) -> list[str]:
    from bench import compare

    return await compare.main(others, rounds)


async def main(others: list[Path] | None = None, rounds: int = 3, only_compare: bool = False) -> int:
    """The whole report; with `others` (`--compare OTHER_CHECKOUT`, repeatable) also this checkout
    against them, alternating in the same run (bench.compare); `--only-compare` runs just that
    and updates its section of docs/benchmarks.md."""
    if only_compare:
        section = await comparison(others or [], rounds)
        OUT.write_text(with_comparison(OUT.read_text() if OUT.exists() else "# Benchmarks\n", section))
        print("\n".join(section))
        return 0
    info = machine()
    index_dir = Path(tempfile.mkdtemp(prefix="bench-index-"))
    model = subprocess.run(
        [sys.executable, "-m", "bench.embedding", "300", str(index_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT)),
    )
    emb = json.loads(model.stdout.strip().splitlines()[-1])
    ceiling = emb["ceiling_qps"]
    async with ClientSession(timeout=ClientTimeout(total=120)) as http:
        off = await serve_and_measure(index_dir, False, http, full=False)
        on = await serve_and_measure(index_dir, True, http, full=True)
    handoff_lines = handoff.report(await handoff.measure(index_dir))
    info["load average at end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    at20_on = next(r for r in on["runs"] if r.name == "20 closed-loop users")
    at20_off = next(r for r in off["runs"] if r.name == "20 closed-loop users")
    open_on = next(r for r in on["runs"] if r.name.startswith("open loop"))
    open_off = next(r for r in off["runs"] if r.name.startswith("open loop"))
    single = next(r for r in on["runs"] if r.name == "1 closed-loop users")
    ratio = at20_on.throughput / ceiling
    yes = {True: "yes", False: "no"}
    single_ms = emb["service_single_p50_ms"]  # the stricter yardstick: the embedder the service runs
    service_ratio = at20_on.throughput / emb["service_qps"]
    errors = sum(r.errors for r in on["runs"] + off["runs"])
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run`) on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. "
        "Latency is from posting an activity to /api/messages to the reply arriving at the local connector. "
        "Questions are unique (`<question> (query N)`), so the answer cache cannot help except in the "
        "row that says so. The machine is shared: the load averages below show how busy it was.",
        "",
        "## Machine",
        "",
        *[f"- {k}: {v}" for k, v in info.items()],
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| 20 closed-loop users reach >= 60% of the embedding ceiling | {at20_on.throughput:.1f} / "
        f"{ceiling:.1f} q/s = {ratio:.2f} | {'yes' if ratio >= 0.6 else 'no'} |",
        f"| open loop at 50 q/s: p95 < 150 ms | {open_on.pct(0.95):.0f} ms | {yes[open_on.pct(0.95) < 150]} |",
        f"| one user's p95 <= 3x one raw query embedding ({single_ms:.1f} ms, ONNX Runtime, p50) | "
        f"{single.pct(0.95):.0f} ms = {single.pct(0.95) / single_ms:.1f}x | {yes[single.pct(0.95) <= 3 * single_ms]} |",
        f"| the same against sentence-transformers' single query ({emb['single_p50_ms']:.1f} ms, p50) | "
        f"{single.pct(0.95) / emb['single_p50_ms']:.1f}x | {yes[single.pct(0.95) <= 3 * emb['single_p50_ms']]} |",
        f"| 0 errors | {errors} | {yes[errors == 0]} |",
        "",
        "## Latency, batching on (the default)",
        "",
        ROW_HEAD,
        *[r.row() for r in on["runs"]],
        "",
        "## Batching on against off (same run, same questions' shape)",
        "",
        "| load | off: q/s | off: p50 / p95 ms | on: q/s | on: p50 / p95 ms |",
        "|---|---|---|---|---|",
        f"| 20 closed-loop users | {at20_off.throughput:.1f} | {at20_off.pct(0.5):.0f} / {at20_off.pct(0.95):.0f} | "
        f"{at20_on.throughput:.1f} | {at20_on.pct(0.5):.0f} / {at20_on.pct(0.95):.0f} |",
        f"| server CPU per question at 20 users | {off['cpu_ms_per_question']:.1f} ms | | "
        f"{on['cpu_ms_per_question']:.1f} ms | |",
        f"| open loop 50 q/s | {open_off.throughput:.1f} | {open_off.pct(0.5):.0f} / {open_off.pct(0.95):.0f} | "
        f"{open_on.throughput:.1f} | {open_on.pct(0.5):.0f} / {open_on.pct(0.95):.0f} |",
        "",
        "## Model and service",
        "",
        f"- Embedding ceiling (sentence-transformers, batches of 32, 300 such questions, median of 3): "
        f"{ceiling:.1f} q/s",
        f"- HTTP throughput at 20 users as a fraction of the ceiling: {ratio:.2f}",
        f"- The service's own embedder ({emb['service_embedder']}), same questions and batches: "
        f"{emb['service_qps']:.1f} q/s; HTTP throughput at 20 users is {service_ratio:.2f} of it",
        f"- One query embedded alone, sentence-transformers: p50 {emb['single_p50_ms']:.1f} ms, "
        f"p95 {emb['single_p95_ms']:.1f} ms; ONNX Runtime: p50 {emb['service_single_p50_ms']:.1f} ms, "
        f"p95 {emb['service_single_p95_ms']:.1f} ms",
        f"- Index build ({emb['build_files']} files of tests/eval_corpus, from scratch): {emb['build_chunks']} "
        f"chunks in {emb['build_s']:.1f} s = {emb['build_chunks'] / emb['build_s']:.1f} chunks/s, "
        f"{emb['build_files'] / emb['build_s']:.1f} files/s",
        f"- Cold start, process start to /healthz 200 (imports, model, index, warm-up): {on['cold_start_s']:.1f} s",
        f"- Peak RSS of app.py (VmHWM) after all runs: {on['peak_rss_mb']:.0f} MB",
        f"- Activities the connector received (batching on): {on['replies']}",
        "",
        *handoff_lines,
        "Soak (5 minutes at 50 users, memory slope): `python -m bench.soak`, results in the section below when run.",
        "",
        "Why the 60% target is not reached, what was tried, and batching on against off with the servers taking",
        "turns (`python -m bench.batching_ab`): `docs/throughput.md`.",
        "",
    ]
    soak = ROOT / "docs" / "soak.md"
    if soak.exists():
        lines += [soak.read_text()]
    text = "\n".join(lines)
    if others:
        text = with_comparison(text, await comparison(others, rounds))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(text)
    print("\n".join(lines))
    return 0


def _args(argv: list[str]) -> tuple[list[Path], int, bool]:
    others, rounds, only = [], 3, False
    it = iter(argv)
    for a in it:
        if a == "--compare":
            others.append(Path(next(it)).resolve())
        elif a == "--rounds":
            rounds = int(next(it))
        elif a == "--only-compare":
            only = True
        else:
            raise SystemExit(f"unknown argument {a!r}: [--compare OTHER_CHECKOUT]... [--rounds N] [--only-compare]")
    return others, rounds, only


if __name__ == "__main__":
    others, rounds, only = _args(sys.argv[1:])
    sys.exit(asyncio.run(main(others, rounds, only)))
