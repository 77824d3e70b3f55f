"""Durable delivery against a real SMTP server: outages, crashes mid-send, and the Graph wire format."""

from __future__ import annotations

import asyncio
import base64
import email
import os
import signal
import subprocess
import sys
import time

from aiohttp import web

from bot.mail.sender import OutboxSender
from bot.mail.transports import FolderTransport, GraphTransport, SmtpTransport
from bot.store.db import create_all, make_engine
from bot.store.escalations import DELIVERED, EscalationStore
from tests.conftest import ROOT
from tests.connector import serve
from tests.mail.smtp_server import SmtpServer, free_port

PASSAGES = [
    {"position": 1, "title": "Bulletin – AI", "source": "staff-bulletin.md", "url": None, "quote": "Contact IG."}
]


def _store(path) -> EscalationStore:
    engine = make_engine(f"sqlite:///{path}")
    create_all(engine)
    return EscalationStore(engine)


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


async def test_smtp_down_then_up_delivers_exactly_one_email(tmp_path):
    store = _store(tmp_path / "db.sqlite3")
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


async def test_gives_up_after_max_attempts_and_retry_requeues(tmp_path):
    store = _store(tmp_path / "db.sqlite3")
    e = _queue(store)
    sender = _sender(store, SmtpTransport("127.0.0.1", free_port(), starttls=False, timeout=5), max_attempts=2)
    await asyncio.wait_for(sender.run(until_empty=True), 30)
    assert store.get(e.id).status == "failed" and store.get(e.id).attempts == 2
    assert store.backlog()["outbox_failed"] == 1
    assert store.retry(e.id) and store.get(e.id).status == "pending"


def _run_sender(db, smtp_port) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{db}",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_STARTTLS="false",
        OUTBOX_POLL_SECONDS="0.2",
        OUTBOX_BACKOFF_MAX="0.5",
    )
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "outbox", "--send"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


def test_sigkill_mid_send_then_restart_delivers_once_under_one_message_id(tmp_path):
    db = tmp_path / "shared.sqlite3"
    store = _store(db)
    e = _queue(store, "crash-key")
    server = SmtpServer().start()
    try:
        server.handler.stall.set()  # the server takes the DATA and then hangs: "mid-send"
        proc = _run_sender(db, server.port)
        deadline = time.monotonic() + 60
        while not server.handler.attempts:
            assert time.monotonic() < deadline and proc.poll() is None, "the sender never reached DATA"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert store.get(e.id).status == "pending"  # not marked delivered: the server never said 250

        server.handler.stall.clear()
        server.handler.released.set()
        restarted = _run_sender(db, server.port)
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


async def test_folder_transport_writes_one_eml_per_escalation(tmp_path):
    store = _store(tmp_path / "db.sqlite3")
    e = _queue(store)
    sender = _sender(store, FolderTransport(tmp_path / "mail"))
    assert await sender.send_due() == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 1
    msg = email.message_from_bytes(files[0].read_bytes())
    assert msg["Message-ID"] == e.message_id and e.reference in msg["Subject"]
