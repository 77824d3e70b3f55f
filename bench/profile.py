"""Where the server's CPU goes per question: py-spy on app.py under the 30-user load, per thread.

    python -m bench.profile [CHECKOUT] [--mixed] [--out FILE]

Starts CHECKOUT's app.py (default: this one), warms it up, then samples it with py-spy
(`record --threads --nonblocking`, 200 Hz, raw collapsed stacks) while 30 users ask 900 unique
questions (with `--mixed`: one turn in ten an IG hand-off). py-spy says what each thread was
doing; /proc says how much CPU each thread used, so a thread's samples share out its measured
CPU (a thread py-spy saw "busy" while it waited costs nothing, and threads py-spy cannot see,
ONNX Runtime's own pool, are counted as native). Each sample goes to the first rule in PATHS
that matches anywhere on its stack. Prints CPU ms per question by path and kind of thread
(the event loop is the main thread), and keeps the raw stacks in FILE for flamegraph.pl or
speedscope. Needs `pip install py-spy` and ptrace rights (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout

from bench.handoff import USERS, HandoffCollector, HandoffLoad
from bench.loadgen import ROOT, Server, unique_questions

RATE = 200
# (label, a regular expression matched against the whole stack, outermost first). First match wins.
PATHS = [
    ("embedding model (ONNX / torch)", r"embed_onnx|sentence_transformers|torch|onnxruntime|tokenizers"),
    ("name tagger (spaCy / Presidio)", r"spacy|presidio|thinc"),
    ("redaction (privacy.redact)", r"privacy\.py"),
    ("roster lookup", r"roster\.py|teams_info"),
    ("conversation state (SQL)", r"conversation_state\.py"),
    ("offers and escalations (SQL)", r"offers\.py|escalations\.py|escalation_card|teams/escalation\.py"),
    ("conversation log (SQL)", r"turn_writer\.py|turns\.py"),
    ("suggestions (Neighbourhood)", r"suggest\.py"),
    ("decision: judge / measure", r"_measure|judge|decide\.py|background\.py"),
    ("retrieval (search, BM25, FAISS)", r"retrieve\.py|keywords\.py|bm25s|index_store\.py|faiss"),
    ("answer extraction", r"answer\.py|attribution\.py|answer_type\.py"),
    ("other core (assistant, glossary, supersede, text)", r"bot/core/"),
    ("replies: serialise and post (aiohttp client)", r"replies\.py|wire\.py|render\.py|client_reqrep|connector\.py"),
    ("Bot Framework: auth, activity parsing", r"botbuilder|botframework|jwt|adapter\.py|msrest"),
    ("aiohttp server", r"aiohttp/web|web_protocol|http_parser|streams\.py"),
    ("thread pool hand-offs", r"concurrent/futures/thread\.py|threading\.py|_worker|run_in_executor"),
    ("asyncio event loop", r"asyncio"),
]


def classify(stack: str) -> str:
    for label, pattern in PATHS:
        if re.search(pattern, stack):
            return label
    return "other"


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) of every thread of the process, by thread id, from /proc."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def aggregate(raw: Path, pid: int, cpu: dict[int, float], questions: int) -> tuple[dict[str, Counter], int]:
    """ms of CPU per question by (kind of thread, path). py-spy's samples say what each thread was
    doing; /proc says how much CPU it used, so a thread's samples share out its measured CPU (a
    thread py-spy saw as busy while it waited costs nothing). Threads py-spy never saw (ONNX
    Runtime's own pool, native) are counted as such."""
    seen: dict[int, Counter] = {}
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        match = re.match(r"thread \((\d+)\)", stack)
        if not match or not count.isdigit():
            continue
        samples += int(count)
        seen.setdefault(int(match.group(1)), Counter())[classify(stack)] += int(count)
    by: dict[str, Counter] = {"event loop": Counter(), "Python threads": Counter(), "native threads": Counter()}
    for tid, seconds in cpu.items():
        ms = seconds * 1000 / questions
        kind = "event loop" if tid == pid else "Python threads"
        paths = seen.get(tid)
        if not paths:
            by["native threads" if tid != pid else kind]["native (ONNX Runtime pool, SQLite, ...)"] += ms
            continue
        total = sum(paths.values())
        for path, n in paths.items():
            by[kind][path] += ms * n / total
    return by, samples


async def run(root: Path, mixed: bool, out: Path) -> str:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    index_dir = root / "index"  # each checkout serves its own (`python -m bot index` in it first)
    collector = await HandoffCollector().start()
    server = Server(index_dir, root)
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as http:
            await server.start(http)
            assert server.proc is not None
            load = HandoffLoad(server.url, collector, http)
            await load.closed_loop("warm-up", 10, unique_questions(60, offset=80_000))
            await asyncio.sleep(1.5)
            args = [spy, "record", "--pid", str(server.proc.pid), "--threads", "--nonblocking", "--rate", str(RATE)]
            recorder = subprocess.Popen(
                [*args, "--format", "raw", "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            await asyncio.sleep(1.0)  # py-spy attaches
            before = thread_cpu(server.proc.pid)
            if mixed:
                asked, _ = await load.mixed(USERS, 3, offset=200_000)
                n = len(asked.latencies)
            else:
                run_ = await load.closed_loop("questions", USERS, unique_questions(USERS * 30, offset=100_000))
                n = len(run_.latencies)
            await asyncio.sleep(1.2)  # the writes behind the reply
            after = thread_cpu(server.proc.pid)
            pid = server.proc.pid
            recorder.send_signal(signal.SIGINT)
            _, err = recorder.communicate(timeout=60)
    finally:
        server.stop()
        await collector.stop()
    if not out.exists():
        raise RuntimeError(f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}")
    cpu = {t: after[t] - before.get(t, 0.0) for t in after}
    by, samples = aggregate(out, pid, cpu, n)
    kinds = list(by)
    lines = [f"{root} ({'1 hand-off in 10' if mixed else 'questions only'}), {n} questions, {samples} samples", ""]
    lines += ["| path, CPU ms per question | " + " | ".join(kinds) + " |", "|---|" + "---|" * len(kinds)]
    paths = sorted(set().union(*by.values()), key=lambda p: -sum(by[k][p] for k in by))
    for p in paths:
        lines.append(f"| {p} | " + " | ".join(f"{by[k][p]:.2f}" for k in kinds) + " |")
    lines.append("| total | " + " | ".join(f"{sum(by[k].values()):.2f}" for k in kinds) + " |")
    lines.append(f"\nprocess total: {sum(cpu.values()) * 1000 / n:.2f} ms per question")
    return "\n".join(lines)


def main() -> None:
    args = sys.argv[1:]
    mixed = "--mixed" in args
    args = [a for a in args if a != "--mixed"]
    out = None
    if "--out" in args:
        i = args.index("--out")
        out = Path(args[i + 1])
        del args[i : i + 2]
    root = Path(args[0]).resolve() if args else ROOT
    if out is None:
        out = Path(tempfile.gettempdir()) / f"profile-{root.name}-{os.getpid()}.txt"
    print(asyncio.run(run(root, mixed, out)))
    print(f"\nraw stacks: {out}")


if __name__ == "__main__":
    main()
