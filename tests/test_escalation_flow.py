"""Teams activity -> card -> Send -> email at a real SMTP server -> reference and proactive 'delivered'."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid

import pytest
from aiohttp import ClientSession

from bot.compose import make_web_app
from bot.config import Settings
from tests.conftest import DATA, KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready
from tests.databases import BACKENDS, new_postgres_database
from tests.mail.smtp_server import SmtpServer

QUESTION = "Can I use Copilot to summarise case notes about children in care?"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
async def world(request, bulletin_index, embedder, smtp, tmp_path_factory):
    """The service on SQLite, then on PostgreSQL; `db` is the SQLite file, or the PostgreSQL URL."""
    connector = await Connector().start()
    smtp.handler.accepted.clear(), smtp.handler.attempts.clear()  # each backend counts its own emails
    db = tmp_path_factory.mktemp("db") / "bot.sqlite3"
    url = f"sqlite:///{db}"
    if request.param == "postgresql":
        db = url = new_postgres_database(request.getfixturevalue("postgres_server"))
    settings = Settings(
        knowledge_dir=KNOWLEDGE,
        index_dir=bulletin_index,
        app_id="",
        app_password="",
        database_url=url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_starttls=False,
        outbox_poll_seconds=0.5,
    )
    async with ClientSession() as http:
        runner, base = await serve(make_web_app(settings, embedder=embedder))
        await wait_ready(http, base)
        yield http, base, connector, db
        await runner.cleanup()
    await connector.stop()


async def _post(http, base, body):
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status in (200, 201), await r.text()


def _card(messages):
    for m in messages:
        for a in m.get("attachments") or []:
            if a["contentType"] == "application/vnd.microsoft.card.adaptive":
                return a["content"]
    return None


def _submit_value(card: dict, action: str, edits: dict | None = None) -> dict:
    """What Teams posts for an Action.Submit: the action's data merged with the inputs' values."""
    button = next(a for a in card["actions"] if a["title"] == action)
    value = dict(button["data"])
    if button.get("associatedInputs") != "none":
        value.update({e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"})
        value.update(edits or {})
    return value


async def _ask_for_card(http, base, connector, conv, question=QUESTION):
    await _post(http, base, activity(connector.url, question, conversation=conv))
    card = _card(connector.messages(conv))
    assert card is not None, [m.get("text") for m in connector.messages(conv)]
    return card


async def test_card_then_send_emails_ig_and_tells_the_user_twice(world, smtp):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    card = await _ask_for_card(http, base, connector, conv)
    answer = connector.messages(conv)[0]
    assert "Information Governance Team" in answer["text"] and answer["entities"][0]["citation"]
    assert card["version"] == "1.5" and [a["title"] for a in card["actions"]] == ["Send to IG", "Cancel"]
    fields = {e["id"]: e.get("value") for e in card["body"] if e["type"] == "Input.Text"}
    assert fields["question"] == QUESTION and fields["contact"] == "Test User"
    assert "copilot" in fields["ai_tool"] and "case notes" in fields["personal_data"]
    assert smtp.handler.accepted == []  # nothing is sent before the staff member confirms

    submit = _submit_value(card, "Send to IG", {"service": "Children's Social Care", "purpose": "Faster write-ups"})
    await _post(http, base, activity(connector.url, None, conversation=conv, value=submit))
    confirm = await connector.wait_for(lambda a: a["conversation"]["id"] == conv and "IG-" in (a.get("text") or ""))
    reference = re.search(r"IG-\d{4}-\d{6}", confirm[0]["text"]).group(0)

    msg = (await asyncio.to_thread(smtp.handler.wait_accepted, 1))[-1]
    body = msg.get_payload(decode=True).decode()
    assert reference in msg["Subject"] and msg["To"] == "informationgovernance@lancashire.gov.uk"
    for expected in (QUESTION, "Children's Social Care", "Faster write-ups", "Test User", "Asked at:"):
        assert expected in body
    assert "[1]" in body and ".md" in body  # the passages shown, with their sources

    delivered = await connector.wait_for(
        lambda a: a["conversation"]["id"] == conv and "has been delivered" in (a.get("text") or "")
    )
    assert reference in delivered[0]["text"]

    # the same card submitted again: one escalation, one email
    await _post(http, base, activity(connector.url, None, conversation=conv, value=submit))
    again = await connector.wait_for(
        lambda a: a["conversation"]["id"] == conv and "already sent" in (a.get("text") or "")
    )
    assert reference in again[0]["text"]
    await asyncio.sleep(1.0)
    assert [m["Subject"] for m in smtp.handler.accepted].count(msg["Subject"]) == 1

    async with http.get(f"{base}/healthz") as r:
        health = await r.json()
    assert health["outbox_pending"] == 0 and health["outbox_oldest_pending_seconds"] == 0.0


async def test_cancel_sends_and_stores_nothing(world, smtp):
    http, base, connector, db = world
    conv = f"a:{uuid.uuid4().hex}"
    card = await _ask_for_card(http, base, connector, conv)
    before = len(smtp.handler.attempts)
    await _post(http, base, activity(connector.url, None, conversation=conv, value=_submit_value(card, "Cancel")))
    reply = await connector.wait_for(lambda a: a["conversation"]["id"] == conv and "Cancelled" in (a.get("text") or ""))
    assert "nothing was sent" in reply[0]["text"]
    key = card["actions"][0]["data"]["key"]
    await asyncio.sleep(0.5)
    assert len(smtp.handler.attempts) == before and key not in _every_stored_value(db)


async def test_a_foreign_card_value_gets_a_clear_answer(world):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    await _post(http, base, activity(connector.url, None, conversation=conv, value={"action": "send_to_ig"}))
    reply = await connector.wait_for(lambda a: a["conversation"]["id"] == conv and a["type"] == "message")
    assert "couldn't send" in reply[0]["text"]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_personal_data_never_reaches_logs_database_index_or_email(world, smtp, bulletin_index):
    """Every corpus question asked in Teams; the escalations among them sent to IG via the card."""
    http, base, connector, db = world
    rows = [json.loads(line) for line in (DATA / "pii_corpus.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["pii"]][:60]  # keeps the test under a minute
    collect = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    sent = 0
    try:
        for r in rows:
            conv = f"a:{uuid.uuid4().hex}"
            await _post(http, base, activity(connector.url, r["text"], conversation=conv))
            card = _card(connector.messages(conv))
            if card is not None and sent < 12:
                await _post(
                    http,
                    base,
                    activity(connector.url, None, conversation=conv, value=_submit_value(card, "Send to IG")),
                )
                sent += 1
        await asyncio.to_thread(smtp.handler.wait_accepted, 1 + sent)  # plus the first test's email
    finally:
        root.removeHandler(collect)
        root.setLevel(old_level)
    assert sent >= 5
    logs = "\n".join(collect.lines)
    emails = "\n".join(m.as_string() for m in smtp.handler.accepted)
    replies = "\n".join(json.dumps(a) for a in connector.received)
    await asyncio.sleep(1.5)  # the conversation log is written once a second
    rows_text = _every_stored_value(db)
    assert "[name]" in rows_text  # the questions were stored, redacted: the scan below reads real rows
    # an SQLite file's raw bytes too (free pages, the WAL); PostgreSQL is read through its rows
    stored = db.read_bytes() + b"".join(p.read_bytes() for p in db.parent.glob("*.sqlite3-*")) if _file(db) else b""
    index = b"".join(p.read_bytes() for p in bulletin_index.rglob("*") if p.is_file())
    index_text = "\n".join(p.read_text() for p in bulletin_index.rglob("*.json*") if p.is_file())
    leaks = []
    for r in rows:
        for item in r["pii"]:
            pattern = re.compile(rf"(?<![\w]){re.escape(item)}(?![\w])")
            texts = (("logs", logs), ("email", emails), ("teams replies", replies), ("sqlite", rows_text))
            for where, text in (*texts, ("index passages", index_text)):
                if pattern.search(text):
                    leaks.append((where, item))
            # Raw file bytes too (free pages, the WAL), for items long enough that a chance match in
            # binary data (checksums, page headers) is out of the question: "Jo" once was one.
            for where, blob in (("sqlite file", stored), ("index files", index)) if len(item) >= 4 else ():
                if pattern.search(blob.decode("utf-8", "ignore")):
                    leaks.append((where, item))
    assert leaks == []


def _file(db) -> bool:  # type: ignore[no-untyped-def]
    return not isinstance(db, str)


def _every_stored_value(db) -> str:  # type: ignore[no-untyped-def]
    """Every value of every table in the service's database (an SQLite file or a PostgreSQL URL), as text."""
    from sqlalchemy import MetaData, select

    from bot.store.db import make_engine

    engine = make_engine(f"sqlite:///{db}" if _file(db) else db)
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return "\n".join(
            str(value) for table in tables.sorted_tables for row in conn.execute(select(table)) for value in row
        )
