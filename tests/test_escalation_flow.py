"""Teams activity -> card -> Send -> email at a real SMTP server -> reference and proactive 'delivered'."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import uuid
from datetime import datetime
from pathlib import Path

import pytest

from tests.conftest import DATA, KNOWLEDGE
from tests.connector import Connector, activity, local_settings, running_service
from tests.databases import BACKENDS, new_postgres_database
from tests.mail.smtp_server import SmtpServer

QUESTION = "Can I use Copilot to summarise case notes about children in care?"


@pytest.fixture(scope="module")
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


# The running world's own knowledge folder and index (the index is built by the service at start,
# and rebuilt by the IG team's `refresh`, so a leak into a build made after questions would show).
PATHS: dict[str, Path] = {}
IG_MEMBER = "00000000-0000-0000-0000-000000000001"  # Test User is in the IG team here (for `refresh`)


@pytest.fixture(scope="module", params=BACKENDS)
async def world(request, embedder, smtp, tmp_path_factory):
    """The service on SQLite, then on PostgreSQL; `db` is the SQLite file, or the PostgreSQL URL."""
    PATHS["knowledge"] = tmp_path_factory.mktemp("knowledge") / "knowledge"
    shutil.copytree(KNOWLEDGE, PATHS["knowledge"])
    PATHS["index"] = tmp_path_factory.mktemp("index")
    connector = await Connector().start()
    smtp.handler.accepted.clear(), smtp.handler.attempts.clear()  # each backend counts its own emails
    connector.members["29:user-1"] = {
        "id": "29:user-1",
        "name": "Test User",
        "aadObjectId": "00000000-0000-0000-0000-000000000001",
        "email": ROSTER_EMAIL,
        "userPrincipalName": ROSTER_EMAIL,
        "tenantId": "tenant-1",
        "userRole": "user",
    }
    db = tmp_path_factory.mktemp("db") / "bot.sqlite3"
    url = f"sqlite:///{db}"
    if request.param == "postgresql":
        db = url = new_postgres_database(request.getfixturevalue("postgres_server"))
    settings = local_settings(PATHS["knowledge"], PATHS["index"], url, smtp.port, ig_members=IG_MEMBER)
    async with running_service(settings, embedder) as (http, base):
        yield http, base, connector, db
    await connector.stop()


ROSTER_EMAIL = "test.user@lancashire.gov.uk"


async def _post(http, base, body):
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status in (200, 201), await r.text()


def _card(messages):
    for m in messages:
        for a in m.get("attachments") or []:
            if a["contentType"] == "application/vnd.microsoft.card.adaptive":
                return a["content"]
    return None


def _data(card: dict, title: str, edits: dict | None = None) -> tuple[str, dict]:
    """What Teams puts in an Action.Execute invoke: the verb, and the data with the inputs merged in."""
    button = next(a for a in card["actions"] if a["title"] == title)
    data = dict(button["data"])
    if button.get("associatedInputs") != "none":
        data.update({e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"})
        data.update(edits or {})
    return button["verb"], data


def _invoke_activity(connector, conv: str, verb: str, data: dict, **extra) -> dict:
    body = activity(connector.url, None, conversation=conv, **extra)
    body.update(
        type="invoke",
        name="adaptiveCard/action",
        value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
    )
    return body


async def _press(http, base, connector, conv: str, card: dict, title: str, edits: dict | None = None, **extra):
    """Click a card button as Teams does: an invoke whose response body replaces the card."""
    verb, data = _data(card, title, edits)
    async with http.post(f"{base}/api/messages", json=_invoke_activity(connector, conv, verb, data, **extra)) as r:
        assert r.status == 200, await r.text()
        return await r.json()


def _replacement(response: dict) -> dict:
    assert response["statusCode"] == 200 and response["type"] == "application/vnd.microsoft.card.adaptive", response
    card = response["value"]
    assert "actions" not in card and not [e for e in card["body"] if e["type"].startswith("Input.")]  # read-only
    return card


def _card_text(card: dict) -> str:
    return json.dumps(card["body"])


async def _ask_for_card(http, base, connector, conv, question=QUESTION):
    await _post(http, base, activity(connector.url, question, conversation=conv))
    card = _card(connector.messages(conv))
    assert card is not None, [m.get("text") for m in connector.messages(conv)]
    return card


def _rows(db, sql: str, **params) -> list[tuple]:  # type: ignore[no-untyped-def]
    """The service's own database (the SQLite file or the PostgreSQL URL), read or changed as an operator would."""
    from sqlalchemy import text

    from bot.store.db import make_engine

    engine = make_engine(f"sqlite:///{db}" if _file(db) else db)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


async def test_card_then_send_emails_ig_with_a_reply_address_and_replaces_the_card(world, smtp):
    http, base, connector, db = world
    conv = f"a:{uuid.uuid4().hex}"
    card = await _ask_for_card(http, base, connector, conv)
    answer = connector.messages(conv)[0]
    assert "Information Governance Team" in answer["text"] and answer["entities"][0]["citation"]
    assert card["version"] == "1.5" and [a["title"] for a in card["actions"]] == ["Send to IG", "Cancel"]
    # The buttons carry an opaque offer id and nothing else: no passages, no field named `key`.
    assert all(list(a["data"]) == ["offer"] and a["type"] == "Action.Execute" for a in card["actions"])
    fields = {e["id"]: e.get("value") for e in card["body"] if e["type"] == "Input.Text"}
    assert fields["question"] == QUESTION and fields["reply_to"] == ROSTER_EMAIL  # from the Teams roster
    assert "copilot" in fields["ai_tool"] and "case notes" in fields["personal_data"]
    assert smtp.handler.accepted == []  # nothing is sent before the staff member confirms

    edits = {"service": "Children's Social Care", "purpose": "Faster write-ups"}
    response = await _press(http, base, connector, conv, card, "Send to IG", edits)
    sent_card = _replacement(response)
    reference = re.search(r"IG-\d{4}-\d{6}", _card_text(sent_card)).group(0)
    assert f"Sent: {reference}" in _card_text(sent_card) and "Faster write-ups" in _card_text(sent_card)
    confirm = await connector.wait_for(lambda a: a["conversation"]["id"] == conv and reference in (a.get("text") or ""))
    assert ROSTER_EMAIL in confirm[0]["text"]

    msg = (await asyncio.to_thread(smtp.handler.wait_accepted, 1))[-1]
    body = msg.get_payload(decode=True).decode()
    assert reference in msg["Subject"] and msg["To"] == "informationgovernance@lancashire.gov.uk"
    assert msg["Reply-To"] == ROSTER_EMAIL  # the IG Team's Reply goes to the staff member
    for expected in (QUESTION, "Children's Social Care", "Faster write-ups", "Test User", ROSTER_EMAIL, "Asked at:"):
        assert expected in body
    assert "[1]" in body and ".md" in body  # the passages shown, with their sources

    delivered = await connector.wait_for(
        lambda a: a["conversation"]["id"] == conv and "has been delivered" in (a.get("text") or "")
    )
    assert reference in delivered[0]["text"]

    # the same card pressed again (a second click, or a replay): one escalation, one email
    again = _replacement(await _press(http, base, connector, conv, card, "Send to IG", edits))
    assert reference in _card_text(again)
    await asyncio.sleep(1.0)
    assert [m["Subject"] for m in smtp.handler.accepted].count(msg["Subject"]) == 1
    assert _rows(db, f"SELECT user_email FROM escalation WHERE reference = '{reference}'") == [(ROSTER_EMAIL,)]
    offer = card["actions"][0]["data"]["offer"]
    assert _rows(db, f"SELECT outcome FROM escalation_offer WHERE id = '{offer}'") == [("sent",)]

    async with http.get(f"{base}/healthz") as r:
        health = await r.json()
    assert health["outbox_pending"] == 0 and health["outbox_oldest_pending_seconds"] == 0.0


async def test_cancel_sends_and_stores_nothing_and_the_card_cannot_be_sent_after(world, smtp):
    http, base, connector, db = world
    conv = f"a:{uuid.uuid4().hex}"
    card = await _ask_for_card(http, base, connector, conv)
    before = len(smtp.handler.attempts)
    closed = _replacement(await _press(http, base, connector, conv, card, "Cancel"))
    assert "Cancelled" in _card_text(closed) and "nothing was sent" in _card_text(closed)
    late = _replacement(await _press(http, base, connector, conv, card, "Send to IG"))
    assert "Cancelled" in _card_text(late)
    await asyncio.sleep(0.5)
    offer = card["actions"][0]["data"]["offer"]
    assert len(smtp.handler.attempts) == before
    assert _rows(db, f"SELECT count(*) FROM escalation WHERE idempotency_key = '{offer}'") == [(0,)]


async def test_without_a_roster_address_the_card_asks_for_one_and_sends_nothing_until_given(world, smtp):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    stranger = {"id": "29:not-in-roster", "name": "New Starter", "aadObjectId": "00000000-0000-0000-0000-00000000000f"}
    await _post(http, base, activity(connector.url, QUESTION, conversation=conv, **{"from": stranger}))
    card = _card(connector.messages(conv))
    fields = {e["id"]: e for e in card["body"] if e["type"] == "Input.Text"}
    assert fields["reply_to"]["value"] == "" and fields["reply_to"]["isRequired"] is True

    back = await _press(http, base, connector, conv, card, "Send to IG", **{"from": stranger})
    assert back["type"] == "application/vnd.microsoft.card.adaptive"
    assert "email address" in _card_text(back["value"]) and back["value"]["actions"]  # the form, handed back
    bad = await _press(
        http, base, connector, conv, card, "Send to IG", {"reply_to": "not an address"}, **{"from": stranger}
    )
    assert "doesn't look right" in bad["value"]
    before = len(smtp.handler.accepted)
    typed = "new.starter@lancashire.gov.uk"
    sent = _replacement(
        await _press(http, base, connector, conv, card, "Send to IG", {"reply_to": typed}, **{"from": stranger})
    )
    assert typed in _card_text(sent)
    msg = (await asyncio.to_thread(smtp.handler.wait_accepted, before + 1))[-1]
    assert msg["Reply-To"] == typed


async def test_forged_replayed_expired_and_tampered_submits_send_nothing(world, smtp):
    http, base, connector, db = world
    conv = f"a:{uuid.uuid4().hex}"
    card = await _ask_for_card(http, base, connector, conv)
    offer = card["actions"][0]["data"]["offer"]
    await asyncio.sleep(1.0)
    before = len(smtp.handler.attempts)
    escalations_before = _rows(db, "SELECT count(*) FROM escalation")

    # Forged: 25 submits naming offers that were never made, as invokes and as card-like messages.
    for i in range(25):
        verb, data = _data(card, "Send to IG", {"question": f"forged {i}"})
        data["offer"] = uuid.uuid4().hex
        async with http.post(f"{base}/api/messages", json=_invoke_activity(connector, conv, verb, data)) as r:
            assert r.status == 200 and "wasn't offered to you" in (await r.json())["value"]
    message_conv = f"a:{uuid.uuid4().hex}"
    forged = {"verb": "send_to_ig", "offer": offer, "question": "forged", "passages": [{"quote": "x"}]}
    await _post(http, base, activity(connector.url, None, conversation=message_conv, value=forged))
    refused = await connector.wait_for(lambda a: a["conversation"]["id"] == message_conv)
    assert "wasn't offered to you" in refused[0]["text"]

    # Replayed: the real offer, from another chat, and by another person in the same chat.
    other_chat = _replacement_or_message(
        await _press(http, base, connector, f"a:{uuid.uuid4().hex}", card, "Send to IG")
    )
    intruder = {"id": "29:user-2", "name": "Someone Else", "aadObjectId": "00000000-0000-0000-0000-000000000002"}
    other_user = _replacement_or_message(
        await _press(http, base, connector, conv, card, "Send to IG", **{"from": intruder})
    )
    assert "wasn't offered to you" in other_chat and "wasn't offered to you" in other_user

    # Tampered: passages slipped into the data, and personal data typed into the fields.
    tampered = {
        "purpose": "Summarise QQ 12 34 56 C for TN311258F",
        "passages": [{"position": 1, "title": "Phish", "quote": "Log in at http://evil.example/login"}],
    }
    _replacement(await _press(http, base, connector, conv, card, "Send to IG", tampered))
    msg = (await asyncio.to_thread(smtp.handler.wait_accepted, len(smtp.handler.accepted) + 1))[-1]
    text = msg.as_string()
    assert "evil.example" not in text and "Phish" not in text  # passages come from the stored offer
    assert "QQ 12 34 56 C" not in text and "TN311258F" not in text

    # Expired: an offer past its expiry is refused with a read-only card, and nothing is sent.
    late_conv = f"a:{uuid.uuid4().hex}"
    late_card = await _ask_for_card(http, base, connector, late_conv)
    _rows(
        db,
        "UPDATE escalation_offer SET expires_at = :at WHERE id = :offer",
        at=datetime(2000, 1, 1),
        offer=late_card["actions"][0]["data"]["offer"],
    )
    expired = _replacement(await _press(http, base, connector, late_conv, late_card, "Send to IG"))
    assert "expired" in _card_text(expired)

    await asyncio.sleep(1.0)
    assert len(smtp.handler.attempts) == before + 1  # only the one real (tampered-with) send
    assert _rows(db, "SELECT count(*) FROM escalation") == [(escalations_before[0][0] + 1,)]


def _replacement_or_message(response: dict) -> str:
    return response["value"] if isinstance(response["value"], str) else _card_text(response["value"])


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_personal_data_never_reaches_logs_database_index_or_email(world, smtp):
    """Every corpus question asked in Teams; the escalations among them sent to IG via the card;
    then the IG team adds a document and refreshes, so the index is rebuilt after the questions."""
    http, base, connector, db = world
    rows = [json.loads(line) for line in (DATA / "pii_corpus.jsonl").read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["pii"]][:60]  # keeps the test under a minute
    collect = _Collect()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collect)
    root.setLevel(logging.DEBUG)
    sent = 0
    already = len(smtp.handler.accepted)
    try:
        for r in rows:
            conv = f"a:{uuid.uuid4().hex}"
            await _post(http, base, activity(connector.url, r["text"], conversation=conv))
            card = _card(connector.messages(conv))
            if card is not None and sent < 12:
                await _press(http, base, connector, conv, card, "Send to IG")
                sent += 1
        await asyncio.to_thread(smtp.handler.wait_accepted, already + sent)
        (PATHS["knowledge"] / "car-parking.md").write_text(
            "---\ntitle: Car parking\n---\n# Permits\n\nStaff parking permits are renewed every April.\n"
        )
        builds_before = set((PATHS["index"] / "builds").iterdir())
        conv = f"a:{uuid.uuid4().hex}"
        await _post(http, base, activity(connector.url, "refresh", conversation=conv))
        refreshed = await connector.wait_for(lambda a: "Index refreshed" in (a.get("text") or ""), timeout=120)
        assert "1 added" in refreshed[-1]["text"]
        assert set((PATHS["index"] / "builds").iterdir()) - builds_before  # a build made after the questions
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
    index = b"".join(p.read_bytes() for p in PATHS["index"].rglob("*") if p.is_file())
    index_text = "\n".join(p.read_text() for p in PATHS["index"].rglob("*.json*") if p.is_file())
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


async def test_an_answer_about_ai_offers_the_ig_form_behind_one_button(world, smtp):
    """A policy lookup about AI is answered from the documents; "Ask the IG Team" opens the form."""
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    await _post(http, base, activity(connector.url, "Which policy covers generative AI?", conversation=conv))
    answer = connector.answers(conv)[0]
    assert answer["entities"][0]["citation"] and "for the Information Governance Team to decide" not in answer["text"]
    button_card = _card(connector.messages(conv))
    assert [a["title"] for a in button_card["actions"]] == ["Ask the IG Team"]
    assert not [e for e in button_card["body"] if e["type"].startswith("Input.")]  # nothing to fill in yet

    form = await _press(http, base, connector, conv, button_card, "Ask the IG Team")
    assert form["type"] == "application/vnd.microsoft.card.adaptive"
    fields = {e["id"]: e.get("value") for e in form["value"]["body"] if e["type"] == "Input.Text"}
    assert "generative AI" in fields["question"] and fields["reply_to"] == ROSTER_EMAIL
    before = len(smtp.handler.accepted)
    sent = _replacement(await _press(http, base, connector, conv, form["value"], "Send to IG", {"purpose": "Drafting"}))
    assert "Sent: IG-" in _card_text(sent)
    msg = (await asyncio.to_thread(smtp.handler.wait_accepted, before + 1))[-1]
    assert msg["Reply-To"] == ROSTER_EMAIL and "Drafting" in msg.get_payload(decode=True).decode()
