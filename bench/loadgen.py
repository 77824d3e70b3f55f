"""A load generator that behaves like many Teams users, and a connector that takes the replies.

Each simulated user posts Bot Framework message activities to /api/messages; the connector
records when each reply arrives (matched on replyToId), so latency is measured from the post
to the reply received, as a user would see it.
"""

from __future__ import annotations

import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

ROOT = Path(__file__).resolve().parent.parent
BASE = [
    "When is the last employee conference session?",
    "Who do I contact about AI and personal data?",
    "How much is being invested in children's homes?",
    "What is the Change Service?",
    "Why was the Burnley session cancelled?",
    "Which policy covers generative AI?",
    "Where was the first staff conference?",
    "What does Data Protection by Design mean for AI projects?",
]


def unique_questions(n: int, offset: int = 0) -> list[str]:
    """Distinct questions, so neither the answer cache nor anything else can short-cut them."""
    return [f"{BASE[i % len(BASE)]} (query {i})" for i in range(offset, offset + n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ANSWER_ENTITY = "https://schema.org/Message"


class ReplyCollector:
    """The Bot Framework connector's reply endpoint; wakes whoever waits for a given reply."""

    def __init__(self) -> None:
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.count = 0
        self.types: dict[str, int] = {}
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.count += 1
        kind = body.get("type", "?")
        if kind == "message" and any(e.get("type") == ANSWER_ENTITY for e in body.get("entities") or []):
            kind = "answer"  # the AI-labelled answer, as opposed to suggestions or a hand-off card
        self.types[kind] = self.types.get(kind, 0) + 1
        if body.get("type") == "message":
            fut = self.waiting.pop(request.match_info.get("reply_to", ""), None)
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())
        return web.json_response({"id": uuid.uuid4().hex})

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._reply)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._reply)

    async def start(self) -> ReplyCollector:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()


def activity(service_url: str, text: str, user: int) -> dict:
    return {
        "type": "message",
        "id": uuid.uuid4().hex,
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {
            "id": f"29:user-{user}",
            "name": f"User {user}",
            "aadObjectId": f"00000000-0000-0000-0000-{user:012d}",
        },
        "conversation": {"id": f"a:conv-{user}", "conversationType": "personal", "tenantId": "tenant-1"},
        "recipient": {"id": "28:bot", "name": "Governance Assistant"},
        "text": text,
        "locale": "en-GB",
        "channelData": {"tenant": {"id": "tenant-1"}},  # as Teams sends it (the roster lookup reads it)
    }


@dataclass
class Run:
    """Latencies (seconds) of one load pattern, and what went wrong."""

    name: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    wall: float = 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def row(self) -> str:
        return (
            f"| {self.name} | {len(self.latencies)} | {self.pct(0.5):.0f} | {self.pct(0.95):.0f} | "
            f"{self.pct(0.99):.0f} | {self.throughput:.1f} | {self.errors} |"
        )


ROW_HEAD = "| load | questions | p50 ms | p95 ms | p99 ms | throughput q/s | errors |\n|---|---|---|---|---|---|---|"


class Load:
    """Posts questions to a running bot and waits for each reply at the collector."""

    def __init__(self, bot_url: str, collector: ReplyCollector, http: ClientSession) -> None:
        self.bot_url = bot_url
        self.collector = collector
        self.http = http

    async def ask(self, text: str, user: int, run: Run) -> None:
        body = activity(self.collector.url, text, user)
        arrived = asyncio.get_running_loop().create_future()
        self.collector.waiting[body["id"]] = arrived
        started = time.perf_counter()
        try:
            async with self.http.post(f"{self.bot_url}/api/messages", json=body) as r:
                await r.read()
                if r.status >= 300:
                    run.errors += 1
                    return
            done = await asyncio.wait_for(arrived, 60)
            run.latencies.append(done - started)
        except Exception:
            run.errors += 1
        finally:
            self.collector.waiting.pop(body["id"], None)

    async def closed_loop(self, name: str, users: int, questions: list[str]) -> Run:
        """`users` users, each asking its next question as soon as the last is answered."""
        run = Run(name)
        per_user = len(questions) // users

        async def user(u: int) -> None:
            for k in range(per_user):
                await self.ask(questions[u * per_user + k], u, run)

        t0 = time.perf_counter()
        await asyncio.gather(*(user(u) for u in range(users)))
        run.wall = time.perf_counter() - t0
        return run

    async def open_loop(self, name: str, rate: float, questions: list[str]) -> Run:
        """Questions arrive at a fixed rate whatever the bot's speed (as a crowd does)."""
        run = Run(name)
        tasks = []
        t0 = time.perf_counter()
        for i, q in enumerate(questions):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(self.ask(q, 10_000 + i, run)))
        await asyncio.gather(*tasks)
        run.wall = time.perf_counter() - t0
        return run


class Server:
    """app.py in its own process, as `make run` starts it."""

    def __init__(self, index_dir: Path, root: Path = ROOT, **env: str) -> None:
        self.root = root  # the source tree whose app.py runs (another checkout, to compare versions)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # Its own database: thousands of benchmark turns must not land in the checkout's data/.
        self._data = tempfile.TemporaryDirectory(prefix="bench-server-")
        self.env = {
            **os.environ,
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "INDEX_DIR": str(index_dir),
            "DATABASE_URL": f"sqlite:///{Path(self._data.name) / 'bot.sqlite3'}",
            "HF_HUB_OFFLINE": "1",
            "MicrosoftAppId": "",
            "MicrosoftAppPassword": "",
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.proc: subprocess.Popen | None = None
        self.cold_start = 0.0

    async def start(self, http: ClientSession) -> Server:
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=self.root,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2400):
            try:
                async with http.get(f"{self.url}/healthz", timeout=ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        self.cold_start = time.perf_counter() - t0
                        return self
            except Exception:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("app.py exited during start-up")
            await asyncio.sleep(0.05)
        raise RuntimeError("app.py never became healthy")

    def rss_mb(self, key: str = "VmRSS") -> float:
        """VmRSS (now) or VmHWM (peak) of the server process, in MB."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used (less sensitive to a busy machine than wall time)."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._data.cleanup()


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MB) samples, in MB per minute."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression([t for t, _ in samples], [m for _, m in samples]).slope * 60
