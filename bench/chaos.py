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

from aiohttp import ClientSession, ClientTimeout, web
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


# --- the outage run: the real service, its database stopped, its mail server refusing -----------

OUTAGE_S = 40.0  # longer than every timeout and lease: the database's connect timeout is 10 s, a claim 30 s
SMTP_DOWN_S = 30.0
ESCALATE = "Can I use Copilot to summarise case notes about children in care?"
PLAIN = "When is the last employee conference session?"


class HoldingMailbox(Mailbox):
    """The IG mailbox, which can refuse connections (stopped) or hold a DATA until released, then refuse
    it (the sender that was killed mid-send never had its message accepted)."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = False
        self.held_peers: list[int] = []  # the client port of each held DATA: which process was sending
        self.release = asyncio.Event()
        self.times: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        if self.holding:
            self.held_peers.append(session.peer[1])
            await self.release.wait()
            return "451 4.3.0 try again later"
        answer = await super().handle_DATA(server, session, envelope)
        self.times.setdefault(self.accepted[-1], time.monotonic())
        return answer


def _owner_of_port(port: int, pids: list[int]) -> int | None:
    """Which of `pids` has a TCP socket on local port `port` (/proc; no psutil needed)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                link = os.readlink(fd)
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    return pid
        except OSError:
            continue
    return None


@dataclass
class OutageResult:
    replicas: int
    outage_seconds: float = 0.0
    smtp_down_seconds: float = 0.0
    acknowledged: int = 0  # escalations staff were told are on their way
    emailed_once: int = 0
    emailed_twice: int = 0
    never_emailed: int = 0
    told_delivered_once: int = 0
    told_not_once: int = 0
    last_email_after_outage_s: float = 0.0  # from the database's restart
    last_email_after_smtp_s: float = 0.0  # from the mail server's return
    during: dict[str, int] = field(default_factory=dict)  # what staff saw while the database was down
    healthz_during: dict[str, int] = field(default_factory=dict)  # status: count, polled every second
    healthz_error_during: str = ""
    healthz_ready_again_after_s: float = -1.0
    healthz_after: int = 0
    restarted: bool = False
    kill_delivery_s: float = -1.0
    killed_was_sending: bool = False
    kill_told: int = 0
    shutdown_exit_codes: list[int] = field(default_factory=list)  # SIGTERM to the survivors afterwards
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return (
            self.acknowledged > 0
            and self.emailed_once == self.acknowledged
            and self.told_delivered_once == self.acknowledged
            and self.healthz_during.get("503", 0) > 0
            and self.healthz_after == 200
            and not self.restarted
            and 0 <= self.kill_delivery_s <= 60
            and self.kill_told == 1
            and self.shutdown_exit_codes
            and all(code == 0 for code in self.shutdown_exit_codes)
        )


def _ref(text: str) -> str | None:
    import re

    found = re.search(r"IG-\d{4}-\d{6}", text)
    return found.group(0) if found else None


async def outage_run(folder: Path, replicas: int = 2) -> OutageResult:
    """Staff asking and escalating through the real app.py replicas while PostgreSQL is stopped for 40 s
    and the mail server refuses for 30 s; then a `kill -9` of the replica that is sending an email."""
    from bench.loadgen import Server
    from tests.connector import Connector, activity

    result = OutageResult(replicas)
    started = time.monotonic()
    script = ROOT / "scripts" / "postgres.sh"
    pg_state = folder / "pg"

    def pg(action: str) -> str:
        out = subprocess.run(["bash", script, action, pg_state], capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"postgres.sh {action}: {out.stderr.strip()[-300:]}")
        return out.stdout

    server_url = pg("start").strip().splitlines()[-1]
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "outage"'))
    admin.dispose()
    url = make_url(server_url).set(database="outage").render_as_string(hide_password=False)

    mailbox = HoldingMailbox()
    smtp = Smtp()
    smtp.mailbox = mailbox
    smtp.up()
    connector = await Connector().start()
    users = [f"29:staff-{i}" for i in range(6)]
    for i, user in enumerate(users):
        connector.members[user] = {"id": user, "name": f"Staff {i}", "email": f"staff.{i}@example.org"}
    env = {
        "DATABASE_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "OUTBOX_POLL_SECONDS": "5",  # the defaults otherwise: backoff, attempts, a 30 s lease
    }
    index = folder / "index"
    servers = [Server(index, **env) for _ in range(replicas)]
    acknowledged: set[str] = set()
    health: list[tuple[float, int, int, dict]] = []  # (time, replica, status, body)
    polling = True

    async def post(http: ClientSession, base: str, body: dict) -> tuple[int, dict]:
        try:
            async with http.post(f"{base}/api/messages", json=body) as r:
                return r.status, (await r.json(content_type=None)) if r.status not in (201, 202) else {}
        except Exception as exc:  # a killed replica, say
            return 599, {"error": type(exc).__name__}

    def conversation(user: str) -> str:
        return f"a:chaos-{user.split('-')[1]}"

    def said(conv: str, after: int) -> list[str]:
        return [m.get("text") or "" for m in connector.messages(conv)[after:]]

    def body_for(user: str, text_: str | None, **extra) -> dict:  # type: ignore[no-untyped-def]
        body = activity(connector.url, text_, conversation=conversation(user), **extra)
        body["from"] = {"id": user, "name": connector.members[user]["name"]}
        return body

    async def ask(http, base, user, question):  # type: ignore[no-untyped-def]
        conv = conversation(user)
        before = len(connector.messages(conv))
        status, _ = await post(http, base, body_for(user, question))
        texts = said(conv, before)
        cards = [
            a["content"]
            for m in connector.messages(conv)[before:]
            for a in m.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]
        return status, texts, (cards[-1] if cards else None)

    async def press(http, base, user, card):  # type: ignore[no-untyped-def]
        button = next(a for a in card["actions"] if a["title"] == "Send to IG")
        data = {**button["data"], **{e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"}}
        body = body_for(user, None, type="invoke", name="adaptiveCard/action")
        body["value"] = {"action": {"type": "Action.Execute", "verb": button["verb"], "data": data}}
        status, response = await post(http, base, body)
        value = response.get("value") if isinstance(response, dict) else None
        card_text = json.dumps(value) if isinstance(value, dict) else str(value)
        reference = _ref(card_text) if "Sent: IG-" in card_text else None
        if reference:
            acknowledged.add(reference)
        return status, card_text, (value if isinstance(value, dict) and value.get("actions") else None), reference

    async def poll_health(http: ClientSession) -> None:
        while polling:
            for i, srv in enumerate(servers):
                try:
                    async with http.get(f"{srv.url}/healthz", timeout=ClientTimeout(total=3)) as r:
                        health.append((time.monotonic(), i, r.status, await r.json(content_type=None)))
                except Exception:
                    health.append((time.monotonic(), i, 0, {}))
            await asyncio.sleep(1.0)

    async with ClientSession(timeout=ClientTimeout(total=60)) as http:
        try:
            await servers[0].start(http)  # the first builds the index; the others load it
            await asyncio.gather(*(s.start(http) for s in servers[1:]))
            pids = [s.proc.pid for s in servers]
            watcher = asyncio.create_task(poll_health(http))
            bases = [s.url for s in servers]
            # Before: everyone gets the IG form; half of them send it at once.
            cards: dict[str, dict] = {}
            for i, user in enumerate(users):
                _, _, card = await ask(http, bases[i % replicas], user, ESCALATE)
                if card is None:
                    raise RuntimeError("no IG form offered before the outage")
                cards[user] = card
            for i, user in enumerate(users[:3]):
                await press(http, bases[i % replicas], user, cards.pop(user))

            # The database goes away for OUTAGE_S; the mail server refuses for SMTP_DOWN_S from its last 15 s.
            await asyncio.to_thread(pg, "pause")
            down_at = time.monotonic()
            result.notes.append(f"PostgreSQL stopped (pg_ctl -m fast) at {down_at - started:.0f} s")
            during: Counter[str] = Counter()
            smtp_down_at = smtp_up_at = 0.0
            round_ = 0
            while time.monotonic() - down_at < OUTAGE_S:
                if not smtp_down_at and time.monotonic() - down_at >= OUTAGE_S - 15:
                    smtp.down()
                    smtp_down_at = time.monotonic()
                for i, user in enumerate(users):
                    base = bases[(i + round_) % replicas]
                    if user in cards and round_ % 2 == 1:  # Send during the outage
                        status, card_text, returned, reference = await press(http, base, user, cards[user])
                        if reference:
                            during["send: sent"] += 1
                            cards.pop(user)
                        elif "Not sent" in card_text and returned is not None:
                            during["send: 'not sent, try again' card with the fields kept"] += 1
                            cards[user] = returned
                        else:
                            during[f"send: HTTP {status} {card_text[:60]}"] += 1
                        continue
                    question = ESCALATE if round_ % 3 == 2 else PLAIN
                    status, texts, _ = await ask(http, base, user, question)
                    joined = " ".join(texts)
                    if "went wrong" in joined:
                        kind = "something went wrong"
                    elif "couldn't open the form" in joined:
                        kind = "answer, and 'couldn't open the form: email IG'"
                    elif texts:
                        kind = "answer"
                    else:
                        kind = f"no reply (HTTP {status})"
                    during[f"{'escalation' if question == ESCALATE else 'question'}: {kind}"] += 1
                round_ += 1
                await asyncio.sleep(3.0)
            await asyncio.to_thread(pg, "resume")
            up_at = time.monotonic()
            result.outage_seconds = round(up_at - down_at, 1)
            result.during = dict(during)

            # After: the forms handed back are sent again until accepted, and new escalations come in.
            async def resend(i: int, user: str) -> None:
                deadline = time.monotonic() + 60
                while user in cards and time.monotonic() < deadline:
                    _, _, returned, reference = await press(http, bases[i % replicas], user, cards[user])
                    if reference:
                        cards.pop(user)
                    elif returned is not None:
                        cards[user] = returned
                        await asyncio.sleep(2.0)
                    else:
                        await asyncio.sleep(2.0)

            await asyncio.gather(*(resend(i, u) for i, u in enumerate(users) if u in cards))
            for i, user in enumerate(users[:2]):  # asked and sent while the mail server still refuses
                _, _, card = await ask(http, bases[i % replicas], user, ESCALATE)
                if card is not None:
                    await press(http, bases[i % replicas], user, card)
            remaining = SMTP_DOWN_S - (time.monotonic() - smtp_down_at)
            await asyncio.sleep(max(0.0, remaining))
            smtp.up()
            smtp_up_at = time.monotonic()
            result.smtp_down_seconds = round(smtp_up_at - smtp_down_at, 1)

            # Every acknowledged escalation emailed, and its staff member told, within 3 minutes.
            def told() -> Counter[str]:
                found: Counter[str] = Counter()
                for m in connector.messages():
                    text_ = m.get("text") or ""
                    if "has been delivered to the" in text_ and _ref(text_):
                        found[_ref(text_)] += 1
                return found

            store = EscalationStore(open_database(url))
            by_mid: dict[str, str] = {}
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                by_mid = {"".join(e.message_id.split()): e.reference for e in store.list()}
                mailed = Counter(by_mid.get(m, m) for m in mailbox.accepted)
                if all(mailed[r] >= 1 for r in acknowledged) and all(told()[r] >= 1 for r in acknowledged):
                    break
                await asyncio.sleep(0.5)
            await asyncio.sleep(3.0)  # a duplicate would land now
            mailed = Counter(by_mid.get(m, m) for m in mailbox.accepted)
            times = {by_mid.get(m, m): t for m, t in mailbox.times.items()}
            result.acknowledged = len(acknowledged)
            result.emailed_once = sum(1 for r in acknowledged if mailed[r] == 1)
            result.emailed_twice = sum(1 for r in acknowledged if mailed[r] > 1)
            result.never_emailed = sum(1 for r in acknowledged if mailed[r] == 0)
            result.told_delivered_once = sum(1 for r in acknowledged if told()[r] == 1)
            result.told_not_once = result.acknowledged - result.told_delivered_once
            late = [times[r] for r in acknowledged if r in times]
            if late:
                result.last_email_after_outage_s = round(max(late) - up_at, 1)
                result.last_email_after_smtp_s = round(max(late) - smtp_up_at, 1)
            window = [h for h in health if down_at + 3 <= h[0] <= up_at]
            result.healthz_during = dict(Counter(str(h[2]) for h in window))
            errors = [h[3].get("error") for h in window if h[2] == 503]
            result.healthz_error_during = str(errors[0]) if errors else ""
            back = [h[0] for h in health if h[0] > up_at and h[2] == 200]
            result.healthz_ready_again_after_s = round(min(back) - up_at, 1) if back else -1.0
            result.restarted = [s.proc.pid for s in servers] != pids or any(s.proc.poll() is not None for s in servers)

            # kill -9 of the replica that is sending an email: the other sends it within a minute.
            mailbox.holding = True
            user = users[5]
            _, _, card = await ask(http, bases[0], user, ESCALATE)
            _, _, _, reference = await press(http, bases[0], user, card)
            for _ in range(200):
                if mailbox.held_peers:
                    break
                await asyncio.sleep(0.1)
            owner = _owner_of_port(mailbox.held_peers[0], pids) if mailbox.held_peers else None
            victim = owner or pids[0]
            result.killed_was_sending = owner is not None
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            mailbox.holding = False
            mailbox.release.set()  # the dead sender's message is refused: it was never accepted
            while time.monotonic() - killed_at < 120:
                by_mid = {"".join(e.message_id.split()): e.reference for e in store.list()}
                if reference and any(by_mid.get(m) == reference for m in mailbox.accepted):
                    result.kill_delivery_s = round(time.monotonic() - killed_at, 1)
                    break
                await asyncio.sleep(0.2)
            for _ in range(100):  # and its staff member is told, once
                if told()[reference]:
                    break
                await asyncio.sleep(0.2)
            await asyncio.sleep(2.0)
            result.kill_told = told()[reference]
            result.notes.append(f"kill -9 of replica pid {victim} while it held {reference}'s SMTP DATA")
            last = [h for h in health if h[0] > up_at + 5 and h[1] != pids.index(victim)]
            result.healthz_after = last[-1][2] if last else 0
            store.engine.dispose()
            polling = False
            await watcher
            for srv in servers:  # a clean shutdown after all that: SIGTERM, exit status 0
                if srv.proc.pid != victim:
                    srv.proc.terminate()
                    code = await asyncio.to_thread(srv.proc.wait, 60)
                    result.shutdown_exit_codes.append(code)
        finally:
            polling = False
            for srv in servers:
                if srv.proc is not None and srv.proc.poll() is None:
                    srv.stop()
            smtp.down()
            await connector.stop()
            subprocess.run(["bash", script, "stop", pg_state], capture_output=True, timeout=120)
    result.seconds = round(time.monotonic() - started, 1)
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
    parser.add_argument(
        "--outage",
        action="store_true",
        help="the real service (app.py replicas) on PostgreSQL stopped for 40 s, SMTP refusing for 30 s, "
        "then a kill -9 mid-send",
    )
    args = parser.parse_args()
    if args.outage:
        with tempfile.TemporaryDirectory(prefix="chaos-outage-") as tmp:
            outcome = asyncio.run(outage_run(Path(tmp), args.replicas or 2))
        print(json.dumps(asdict(outcome), indent=None if args.json else 2))
        return 0 if outcome.ok() else 1
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
