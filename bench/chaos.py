"""Chaos run of the escalation outbox: several replicas' senders and a CLI sender on one database,
an SMTP outage, and a `kill -9` of one replica mid-run. Counts what reached the IG mailbox.

    python -m bench.chaos [--backend postgresql|sqlite] [--escalations 300] [--replicas 3]

Each "replica" is a process running the service's outbox sender (bot.mail.sender.OutboxSender on
bot.store.escalations.EscalationStore, as app.py starts it) whose staff notification posts to a
local sink, as the proactive "delivered" message would go to Teams. `python -m bot outbox --send`
joins mid-run as the CLI sender. The SMTP server is aiosmtpd, stopped for a few seconds.

Counted at the end:
- lost: escalations whose email never reached the server (must be 0);
- duplicate Message-IDs beyond the kill window: an email accepted twice, other than those the
  killed replica held a claim on when it died (at-least-once there, by design; must be 0);
- staff told other than exactly once, beyond the kill window (must be 0).

PostgreSQL comes from TEST_POSTGRES_URL, else a throwaway cluster (scripts/postgres.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import email
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from aiohttp import ClientSession, web
from aiosmtpd.controller import Controller
from sqlalchemy import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.store.db import open_database  # noqa: E402
from bot.store.escalations import DELIVERED, SENDING, EscalationStore, escalations, outbox  # noqa: E402

LEASE_S = 3.0  # short, so the killed replica's claims lapse within the run


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the IG mailbox and the Teams side ---------------------------------------------------------


class Mailbox:
    """aiosmtpd handler: every Message-ID it answered 250 to, in order. Each message takes a moment."""

    def __init__(self) -> None:
        self.accepted: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        await asyncio.sleep(0.02)  # a real server takes a while: sends are in flight when the kill comes
        message_id = email.message_from_bytes(envelope.content)["Message-ID"]
        self.accepted.append("".join(str(message_id).split()))  # a long header arrives folded
        return "250 OK"


class Smtp:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def up(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


class Sink:
    """Where the replicas' "your escalation was delivered" messages go; counts them per reference."""

    def __init__(self) -> None:
        self.told: Counter[str] = Counter()
        self.url = ""

    async def start(self) -> web.AppRunner:
        async def told(request: web.Request) -> web.Response:
            self.told[(await request.json())["reference"]] += 1
            return web.json_response({})

        app = web.Application()
        app.router.add_post("/told", told)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        self.url = f"http://127.0.0.1:{port}/told"
        return runner


# --- one replica's sender (a subprocess) -------------------------------------------------------


async def replica(url: str, smtp_port: int, sink: str) -> None:
    from bot.mail.sender import OutboxSender
    from bot.mail.transports import SmtpTransport

    store = EscalationStore(open_database(url), lease_seconds=LEASE_S)
    async with ClientSession() as http:

        async def on_delivered(e) -> None:  # type: ignore[no-untyped-def]
            async with http.post(sink, json={"reference": e.reference}) as r:
                r.raise_for_status()

        sender = OutboxSender(
            store,
            SmtpTransport("127.0.0.1", smtp_port, starttls=False, timeout=5),
            "governance-assistant@example.org",
            "ig@example.org",
            on_delivered=on_delivered,
            max_attempts=10_000,  # an outage must delay, never give up, within a run
            backoff_initial=0.1,
            backoff_max=1.0,
            poll_seconds=0.2,
        )
        print("ready", flush=True)
        await sender.run()


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Result:
    backend: str
    replicas: int
    escalations: int
    seconds: float = 0.0
    accepted: int = 0
    lost: int = 0
    duplicate_message_ids: int = 0
    kill_window: int = 0  # emails (and notifications) claimed by anyone when the replica died
    duplicates_beyond_kill_window: int = 0
    told_not_once: int = 0
    told_not_once_beyond_kill_window: int = 0
    notes: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return self.lost == 0 and self.duplicates_beyond_kill_window == 0 and self.told_not_once_beyond_kill_window == 0

    def row(self) -> str:
        return (
            f"| {self.backend} | {self.replicas} + CLI | {self.escalations} | {self.lost} "
            f"| {self.duplicate_message_ids} "
            f"| {self.kill_window} | {self.duplicates_beyond_kill_window} | {self.told_not_once_beyond_kill_window} "
            f"| {self.seconds:.0f} |"
        )


ROW_HEAD = (
    "| database | senders | escalations | lost | duplicate Message-IDs | kill window | duplicates beyond it "
    "| staff told ≠ once beyond it | seconds |\n|---|---|---|---|---|---|---|---|---|"
)


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )


def _in_flight(store: EscalationStore) -> tuple[set[str], set[str]]:
    """Message-IDs being sent, and references being told, right now (claims held)."""
    with store.engine.connect() as conn:
        sending = {r[0] for r in conn.execute(select(outbox.c.message_id).where(outbox.c.status == SENDING))}
        telling = {
            r[0]
            for r in conn.execute(
                select(escalations.c.reference).where(
                    escalations.c.notified_at.is_(None), escalations.c.notify_lease_until.is_not(None)
                )
            )
        }
    return sending, telling


async def run(url: str, backend: str, n: int, replicas: int, timeout: float = 300.0) -> Result:
    result = Result(backend, replicas, n)
    store = EscalationStore(open_database(url), lease_seconds=LEASE_S)
    smtp, sink = Smtp(), Sink()
    smtp.up()
    sink_runner = await sink.start()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [_spawn(["-m", "bench.chaos", "replica", url, str(smtp.port), sink.url], env) for _ in range(replicas)]
    cli_env = dict(
        env,
        DATABASE_URL=url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        SMTP_STARTTLS="false",
        OUTBOX_POLL_SECONDS="0.2",
        OUTBOX_BACKOFF_MAX="1",
        OUTBOX_MAX_ATTEMPTS="10000",
        OUTBOX_LEASE_SECONDS=str(LEASE_S),
    )
    cli: subprocess.Popen | None = None
    window_mail: set[str] = set()
    window_told: set[str] = set()
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    try:
        for p in procs:  # every replica is up before the escalations come
            line = await loop.run_in_executor(None, p.stdout.readline)
            if line.strip() != "ready":
                raise RuntimeError("a replica failed to start")
        references: dict[str, str] = {}
        for i in range(n):
            e, _ = await loop.run_in_executor(
                None,
                lambda i=i: store.create(
                    f"chaos-{backend}-{i}-{os.getpid()}",
                    user_name="Chaos User",
                    user_email="chaos.user@example.org",
                    question=f"Can I use Copilot on case notes? ({i})",
                    fields={"question": "Can I use Copilot on case notes?"},
                    passages=[],
                    conversation_reference={"conversation": {"id": f"a:{i}"}},
                ),
            )
            references[e.message_id] = e.reference
            if i == n // 4:  # the mail server goes away for a while
                smtp.down()
                result.notes.append(f"SMTP down after {i} escalations")
                loop.call_later(3.0, smtp.up)
            if i == n // 2:  # a replica dies, whatever it was doing
                await asyncio.sleep(0.3)
                sending, telling = await loop.run_in_executor(None, _in_flight, store)
                window_mail, window_told = sending, telling
                procs[0].send_signal(signal.SIGKILL)
                result.notes.append(f"replica 0 killed after {i} escalations ({len(sending)} sends in flight)")
            if i == (3 * n) // 5:
                cli = _spawn(["-m", "bot", "outbox", "--send"], cli_env)
                result.notes.append(f"CLI sender started after {i} escalations")
            await asyncio.sleep(0.01)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = await loop.run_in_executor(None, lambda: store.backlog()["outbox_pending"] == 0)
            if done and not await loop.run_in_executor(None, store.unnotified) and len(sink.told) >= n:
                break
            await asyncio.sleep(0.3)
        await asyncio.sleep(1.0)  # anything still on its way lands
    finally:
        for p in [*procs, *([cli] if cli else [])]:
            if p.poll() is None:
                p.terminate()
        for p in [*procs, *([cli] if cli else [])]:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        smtp.down()
        await sink_runner.cleanup()
    result.seconds = time.monotonic() - started
    sent = Counter(smtp.mailbox.accepted)
    result.accepted = len(smtp.mailbox.accepted)
    result.lost = sum(1 for mid in references if sent[mid] == 0)
    result.duplicate_message_ids = sum(1 for mid in references if sent[mid] > 1)
    result.kill_window = len(window_mail | {m for m, r in references.items() if r in window_told})
    result.duplicates_beyond_kill_window = sum(1 for mid in references if sent[mid] > 1 and mid not in window_mail)
    told = sink.told
    result.told_not_once = sum(1 for r in references.values() if told[r] != 1)
    result.told_not_once_beyond_kill_window = sum(
        1 for m, r in references.items() if told[r] != 1 and r not in window_told and m not in window_mail
    )
    statuses = Counter(e.status for e in store.list())
    if statuses != Counter({DELIVERED: n}):
        result.notes.append(f"outbox states at the end: {dict(statuses)}")
    store.engine.dispose()
    return result


def _postgres_server(state: Path) -> str:
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    out = subprocess.run(["bash", ROOT / "scripts" / "postgres.sh", "start", state], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"could not start PostgreSQL: {out.stderr.strip()[-300:]}")
    return out.stdout.strip().splitlines()[-1]


def fresh_database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'chaos.sqlite3'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    server = make_url(_postgres_server(folder / "pg")).set(drivername="postgresql+psycopg")
    name = f"chaos_{os.getpid()}_{int(time.time())}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.set(database=name).render_as_string(hide_password=False)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "replica":
        asyncio.run(replica(sys.argv[2], int(sys.argv[3]), sys.argv[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--escalations", type=int, default=300)
    parser.add_argument("--replicas", type=int, default=None, help="default: 3 on PostgreSQL, 2 on SQLite")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args()
    replicas = args.replicas or (3 if args.backend == "postgresql" else 2)
    with tempfile.TemporaryDirectory(prefix="chaos-") as tmp:
        folder = Path(tmp)
        url = fresh_database(args.backend, folder)
        try:
            result = asyncio.run(run(url, args.backend, args.escalations, replicas))
        finally:
            if (folder / "pg").exists():
                subprocess.run(["bash", ROOT / "scripts" / "postgres.sh", "stop", folder / "pg"], capture_output=True)
    if args.json:
        print(json.dumps(asdict(result)))
    else:
        print(ROW_HEAD)
        print(result.row())
        for note in result.notes:
            print(f"- {note}")
    return 0 if result.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
