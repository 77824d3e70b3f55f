"""Durable delivery against a real SMTP server: outages, crashes mid-send, several senders, and the Graph wire format.

Every test that touches the outbox runs on SQLite and on PostgreSQL (the `database_url` fixture).
"""

from __future__ import annotations

import asyncio
import base64
import email
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from aiohttp import web

from bot.mail.sender import OutboxSender
from bot.mail.transports import FolderTransport, GraphTransport, SmtpTransport
from bot.store.db import open_database
from bot.store.escalations import DELIVERED, EscalationStore
from tests.conftest import ROOT
from tests.connector import serve
from tests.mail.smtp_server import SmtpServer, free_port

PASSAGES = [
    {"position": 1, "title": "Bulletin – AI", "source": "staff-bulletin.md", "url": None, "quote": "Contact IG."}
]


@pytest.fixture()
def store(database_url: str) -> EscalationStore:
    return EscalationStore(open_database(database_url))


def _queue(store: EscalationStore, key: str = "key-1"):
    e, _ = store.create(
        key,
        user_name="Test User",
        user_email="test.user@lancashire.gov.uk",
        question="Can I use Copilot on case notes?",
        fields={"question": "Can I use Copilot on case notes?", "ai_tool": "Copilot", "contact": "Test User"},
        passages=PASSAGES,
        conversation_reference=None,
    )
    return e


def _sender(store, transport, **kw) -> OutboxSender:
    kw.setdefault("backoff_initial", 0.05)
    kw.setdefault("backoff_max", 0.2)
    return OutboxSender(store, transport, "bot@example.org", "ig@example.org", poll_seconds=0.1, **kw)


async def test_smtp_down_then_up_delivers_exactly_one_email(store):
    e = _queue(store)
    port = free_port()
    sender = _sender(store, SmtpTransport("127.0.0.1", port, starttls=False, timeout=5))
    assert await sender.send_due() == 0  # nothing listening: the attempt fails, the row stays
    row = store.get(e.id)
    assert row.status == "pending" and row.attempts == 1 and "SMTP" in (row.last_error or "")
    server = SmtpServer(port).start()
    try:
        await asyncio.wait_for(sender.run(until_empty=True), 30)
        await asyncio.sleep(0.3)
        assert [m["Message-ID"] for m in server.handler.accepted] == [row.message_id]
        assert store.get(e.id).status == DELIVERED
        assert store.backlog()["outbox_pending"] == 0
    finally:
        server.stop()


async def test_gives_up_after_max_attempts_and_retry_requeues(store):
    e = _queue(store)
    sender = _sender(store, SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=5), max_attempts=2)
    await asyncio.wait_for(sender.run(until_empty=True), 30)
    assert store.get(e.id).status == "failed" and store.get(e.id).attempts == 2
    assert store.backlog()["outbox_failed"] == 1
    assert store.retry(e.id) and store.get(e.id).status == "pending"


def _run_sender(database_url: str, smtp_port: int, lease_seconds: float = 1.0) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=database_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        OUTBOX_POLL_SECONDS="0.2",
        OUTBOX_BACKOFF_MAX="0.5",
        OUTBOX_LEASE_SECONDS=str(lease_seconds),  # a killed sender's claim lapses quickly here
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "outbox", "--send"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def test_sigkill_mid_send_then_restart_delivers_once_under_one_message_id(store, database_url):
    e = _queue(store, "crash-key")
    server = SmtpServer().start()
    try:
        server.handler.stall.set()  # the server takes the DATA and then hangs: "mid-send"
        proc = _run_sender(database_url, server.port)
        deadline = time.monotonic() + 60
        while not server.handler.attempts:
            assert time.monotonic() < deadline and proc.poll() is None, "the sender never reached DATA"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert store.get(e.id).status == "sending"  # claimed, never marked delivered: the server never said 250

        server.handler.stall.clear()
        server.handler.released.set()
        restarted = _run_sender(database_url, server.port)  # takes the row over once the dead claim lapses
        out, _ = restarted.communicate(timeout=120)
        assert restarted.returncode == 0
        assert len(server.handler.accepted) == 1
        assert set(server.handler.attempts) == {store.get(e.id).message_id}  # the crashed try and the resend
        assert store.get(e.id).status == DELIVERED and "delivered" in out
    finally:
        server.stop()


async def test_graph_transport_speaks_the_real_wire_format():
    seen: dict = {}

    async def token(request: web.Request) -> web.Response:
        seen["token_path"] = request.path
        seen["form"] = dict(await request.post())
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": "tok-123"})

    async def send_mail(request: web.Request) -> web.Response:
        seen["mail_path"] = request.path
        seen["auth"] = request.headers["Authorization"]
        seen["content_type"] = request.headers["Content-Type"]
        seen["mime"] = base64.b64decode(await request.read())
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
    app.router.add_post("/v1.0/users/{mailbox}/sendMail", send_mail)
    runner, base = await serve(app)
    try:
        transport = GraphTransport(
            "tenant-1", "client-1", "s3cret", "bot@lancashire.gov.uk", authority=base, graph_url=base
        )
        msg = email.message.EmailMessage()
        msg["Subject"], msg["Message-ID"], msg["To"] = "[IG-2026-000001] test", "<k1@example.org>", "ig@example.org"
        msg.set_content("hello")
        await transport.send(msg)
        await transport.send(msg)  # the token is reused while valid
    finally:
        await runner.cleanup()
    assert seen["token_path"] == "/tenant-1/oauth2/v2.0/token"
    assert seen["form"] == {
        "grant_type": "client_credentials",
        "client_id": "client-1",
        "client_secret": "s3cret",
        "scope": "https://graph.microsoft.com/.default",
    }
    assert seen["mail_path"] == "/v1.0/users/bot@lancashire.gov.uk/sendMail"
    assert seen["auth"] == "Bearer tok-123" and seen["content_type"].startswith("text/plain")
    sent = email.message_from_bytes(seen["mime"])
    assert sent["Message-ID"] == "<k1@example.org>" and sent["Subject"] == "[IG-2026-000001] test"


async def test_folder_transport_writes_one_eml_per_escalation(store, tmp_path):
    e = _queue(store)
    sender = _sender(store, FolderTransport(tmp_path / "mail"))
    assert await sender.send_due() == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["Message-ID"] == e.message_id and e.reference in msg["Subject"]


def test_two_senders_on_one_database_send_each_email_exactly_once(store, database_url):
    """Two `outbox --send` processes on one outbox (as two replicas would be): no email twice, none lost."""
    queued = [_queue(store, f"pair-{i}") for i in range(60)]
    server = SmtpServer().start()
    try:
        senders = [_run_sender(database_url, server.port, lease_seconds=60) for _ in range(2)]
        outputs = [p.communicate(timeout=180) for p in senders]
        assert [p.returncode for p in senders] == [0, 0], outputs
    finally:
        server.stop()
    sent = Counter(m["Message-ID"] for m in server.handler.accepted)
    assert sorted(sent) == sorted(e.message_id for e in queued)  # every escalation delivered
    assert [mid for mid, n in sent.items() if n > 1] == []  # and none twice
    assert {e.status for e in store.list()} == {DELIVERED}


async def test_two_senders_tell_the_staff_member_once(store):
    """The "delivered" message is claimed too: two senders sweeping at once tell each person once."""
    queued = [_queue(store, f"told-{i}") for i in range(30)]
    told: Counter = Counter()

    async def on_delivered(e) -> None:
        await asyncio.sleep(0.01)  # a real proactive message takes a round trip
        told[e.reference] += 1

    server = SmtpServer().start()
    try:
        senders = [
            _sender(
                store, SmtpTransport("127.0.0.1", server.port, starttls=False, timeout=5), on_delivered=on_delivered
            )
            for _ in range(2)
        ]
        await asyncio.gather(*(s.send_due() for s in senders))
        await asyncio.gather(*(s.notify_delivered() for s in senders))
    finally:
        server.stop()
    assert len(server.handler.accepted) == len(queued)
    assert sorted(told) == sorted(e.reference for e in queued) and set(told.values()) == {1}
    assert store.unnotified() == []
