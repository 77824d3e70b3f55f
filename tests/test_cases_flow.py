"""IG cases end to end: the real app.py on SQLite and on PostgreSQL, the Bot Framework channel stub, a real SMTP server.

A staff member escalates and sends; an IG member lists cases, replies and closes; the reply reaches
the staff member's own chat with the reference; both see the status; a second staff member sees
none of it. Forged, replayed and cross-user presses change nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import uuid
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.conftest import ROOT
from tests.connector import Connector, activity, wait_ready
from tests.databases import BACKENDS, new_postgres_database
from tests.e2e.conftest import _free_port, _stop
from tests.mail.smtp_server import SmtpServer

QUESTION = "Can I use Copilot to summarise case notes about children in care?"
IG_ID = "00000000-0000-0000-0000-0000000000a1"
CARD = "application/vnd.microsoft.card.adaptive"


def person(n: str, object_id: str) -> dict[str, str]:
    return {"id": f"29:{n}", "name": n.replace("-", " ").title(), "aadObjectId": object_id}


STAFF_A = person("staff-a", "00000000-0000-0000-0000-00000000000a")
STAFF_B = person("staff-b", "00000000-0000-0000-0000-00000000000b")
IG = person("ig-member", IG_ID)


class World:
    def __init__(self, http: ClientSession, base: str, connector: Connector, db: str, smtp: SmtpServer) -> None:
        self.http, self.base, self.connector, self.db, self.smtp = http, base, connector, db, smtp
        self.chats: dict[str, str] = {}

    def chat(self, who: dict[str, str]) -> str:
        """Each person's own 1:1 conversation with the bot."""
        return self.chats.setdefault(who["id"], f"a:{who['id'][3:]}-{uuid.uuid4().hex[:8]}")

    async def say(self, who: dict[str, str], text: str | None, **extra: Any) -> list[dict[str, Any]]:
        conv = self.chat(who)
        before = len(self.connector.messages(conv))
        body = activity(self.connector.url, text, conversation=conv, **{"from": who}, **extra)
        async with self.http.post(f"{self.base}/api/messages", json=body) as r:
            assert r.status in (200, 201), await r.text()
        return self.connector.messages(conv)[before:]

    async def invoke(self, who: dict[str, str], verb: str, data: dict[str, Any], conv: str | None = None) -> dict:
        body = activity(self.connector.url, None, conversation=conv or self.chat(who), **{"from": who})
        body.update(
            type="invoke",
            name="adaptiveCard/action",
            value={"action": {"type": "Action.Execute", "verb": verb, "data": data}, "trigger": "manual"},
        )
        async with self.http.post(f"{self.base}/api/messages", json=body) as r:
            assert r.status == 200, await r.text()
            return await r.json()

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        from sqlalchemy import text

        from bot.store.db import make_engine

        engine = make_engine(self.db)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(sql), params)
                return [tuple(r) for r in result] if result.returns_rows else []
        finally:
            engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
async def world(request, bulletin_index, tmp_path_factory):
    """app.py, as deployed, with IG_MEMBERS set, on a fresh SQLite file or PostgreSQL database, and an IG
    mailbox of its own (references restart with each database)."""
    state = tmp_path_factory.mktemp("cases")
    smtp = SmtpServer().start()
    url = f"sqlite:///{state / 'bot.sqlite3'}"
    if request.param == "postgresql":
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    connector = await Connector().start()
    for who in (STAFF_A, STAFF_B, IG):
        email = f"{who['id'][3:]}@lancashire.gov.uk"
        connector.members[who["id"]] = {**who, "email": email, "userPrincipalName": email, "userRole": "user"}
    port = _free_port()
    env = dict(
        os.environ,
        HOST="127.0.0.1",
        PORT=str(port),
        MicrosoftAppId="",
        INDEX_DIR=str(bulletin_index),
        DATABASE_URL=url,
        IG_MEMBERS=IG_ID,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp.port),
        SMTP_STARTTLS="false",
        OUTBOX_POLL_SECONDS="0.5",
        LOG_FORMAT="text",
    )
    log = (state / "bot.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
    )
    try:
        async with ClientSession() as http:
            base = f"http://127.0.0.1:{port}"
            try:
                await asyncio.wait_for(_healthy(http, base, proc), 180)
            except Exception:
                raise AssertionError((state / "bot.log").read_text()[-3000:]) from None
            yield World(http, base, connector, url, smtp)
    finally:
        _stop(proc)
        log.close()
        await connector.stop()
        smtp.stop()


async def _healthy(http: ClientSession, base: str, proc: subprocess.Popen) -> None:
    while True:
        assert proc.poll() is None, "app.py exited"
        try:
            await wait_ready(http, base)
            return
        except Exception:
            await asyncio.sleep(0.3)


def card_of(messages: list[dict[str, Any]]) -> dict[str, Any]:
    cards = [a["content"] for m in messages for a in m.get("attachments") or [] if a["contentType"] == CARD]
    assert cards, [m.get("text") for m in messages]
    return cards[-1]


def text_of(card: dict[str, Any]) -> str:
    return json.dumps(card, ensure_ascii=False)


def case_block(card: dict[str, Any], reference: str) -> dict[str, Any]:
    """The container of one case on a `cases` or `my requests` card."""
    for element in card["body"]:
        if element["type"] == "Container" and reference in json.dumps(element["items"][0]):
            return element
    raise AssertionError(f"{reference} is not on the card: {text_of(card)[:2000]}")


def buttons(block: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Action.Execute in a case's block, by title, with the inputs of the sub-card it sits in."""
    found: dict[str, dict[str, Any]] = {}
    for element in block["items"]:
        for action in element.get("actions", []) if element["type"] == "ActionSet" else []:
            if action["type"] == "Action.Execute":
                found[action["title"]] = {"verb": action["verb"], "data": dict(action["data"]), "inputs": []}
            elif action["type"] == "Action.ShowCard":
                inputs = [e["id"] for e in action["card"]["body"]]
                for inner in action["card"]["actions"]:
                    found[inner["title"]] = {"verb": inner["verb"], "data": dict(inner["data"]), "inputs": inputs}
    return found


async def press(world: World, who, block, title: str, typed: dict[str, str] | None = None, conv=None) -> dict:
    """What Teams sends for a button: its verb, and its data with the sub-card's inputs merged in by id."""
    button = buttons(block)[title]
    data = dict(button["data"])
    for name in button["inputs"]:
        for suffix, value in (typed or {}).items():
            if name.startswith(suffix + "_"):
                data[name] = value
    return await world.invoke(who, button["verb"], data, conv)


def refreshed(response: dict) -> dict[str, Any]:
    assert response["type"] == CARD, response
    return response["value"]


def said(response: dict) -> str:
    assert response["type"] == "application/vnd.microsoft.activity.message", response
    return response["value"]


async def escalate(world: World, who) -> str:
    """Ask a question that goes to IG, press Send to IG on the card; the reference, once delivered."""
    card = card_of(await world.say(who, QUESTION))
    send = next(a for a in card["actions"] if a["title"] == "Send to IG")
    data = {**send["data"], **{e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"}}
    data["service"] = "Children's Social Care, Burnley"
    sent = refreshed(await world.invoke(who, send["verb"], data))
    reference = re.search(r"IG-\d{4}-\d{6}", text_of(sent)).group(0)
    conv = world.chat(who)
    await world.connector.wait_for(
        lambda a: (
            a["conversation"]["id"] == conv
            and "has been delivered to the" in (a.get("text") or "")
            and reference in a["text"]
        )
    )
    return reference


async def mailed(world: World, subject: str, timeout: float = 10.0) -> list:
    """The emails the IG mailbox's SMTP server accepted whose subject starts so, once there is one."""
    for _ in range(int(timeout * 10)):
        found = [m for m in world.smtp.handler.accepted if m["Subject"].startswith(subject)]
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no email {subject!r}: {[m['Subject'] for m in world.smtp.handler.accepted]}")


REPLY = (
    "Yes, with the council's Copilot licence only. **Do not** paste names; call 07700 900123 "
    "<b>first</b> [login](http://evil.example/login)"
)


BOT_ACCOUNT = {"id": "28:bot-1", "name": "Governance Assistant"}  # tests.connector.activity's recipient


async def test_staff_escalate_ig_replies_and_closes_the_staff_member_gets_it_and_nobody_else_sees_it(world):
    w = world
    reference = await escalate(w, STAFF_A)

    # The staff member sees their case, delivered; another staff member sees nothing of it.
    mine = card_of(await w.say(STAFF_A, "my requests"))
    assert "delivered to the IG mailbox" in text_of(case_block(mine, reference)), case_block(mine, reference)["items"][
        0
    ]
    theirs = card_of(await w.say(STAFF_B, "my requests"))
    assert reference not in text_of(theirs) and "no requests" in text_of(theirs)
    refused = await w.say(STAFF_B, "cases")
    assert "only for members" in refused[0]["text"] and not refused[0].get("attachments")
    # In a group chat everyone would read a case list: neither list is shown there, to anyone.
    group = f"19:{uuid.uuid4().hex}@thread.v2"
    for who, command in ((STAFF_A, "my requests"), (IG, "cases")):
        body = activity(
            w.connector.url,
            f"<at>Governance Assistant</at> {command}",
            conversation=group,
            entities=[
                {
                    "type": "mention",
                    "text": "<at>Governance Assistant</at>",
                    "mentioned": {"id": "28:bot-1", "name": "Governance Assistant"},
                }
            ],
            **{"from": who},
        )
        body["conversation"] = {"id": group, "conversationType": "groupChat", "tenantId": "tenant-1", "isGroup": True}
        async with w.http.post(f"{w.base}/api/messages", json=body) as r:
            assert r.status == 201, await r.text()
    shown = w.connector.messages(group)
    assert len(shown) == 2 and all("one-to-one chat" in m["text"] and not m.get("attachments") for m in shown)
    assert reference not in json.dumps(shown)

    # The IG member lists open cases: reference, age, the redacted question, service and AI tool, status.
    listing = card_of(await w.say(IG, "cases"))
    block = case_block(listing, reference)
    shown = text_of(block)
    assert "0 working days old" in shown and "delivered to the IG mailbox" in shown
    assert QUESTION in shown and "Children's Social Care, Burnley" in shown and "copilot" in shown

    # Reply, unsigned: it reaches the staff member's own chat with the reference, from "the IG team".
    posted = len(w.connector.received)
    after = refreshed(await press(w, IG, block, "Send reply", {"reply": REPLY}))
    assert f"Reply sent to {reference}" in text_of(after)
    chat = w.chat(STAFF_A)
    arrived = await w.connector.wait_for(
        lambda a: a["conversation"]["id"] == chat and "Reply from" in (a.get("text") or "")
    )
    text = arrived[0]["text"]
    assert reference in text and "Reply from the Information Governance Team" in text
    assert "07700 900123" not in text and r"\[phone number\]" in text  # redacted before it was stored (shown escaped)
    assert r"\*\*Do not\*\*" in text and "<b>" not in text and "&lt;b&gt;" in text  # shown as typed, never markup
    assert r"\[login\]" in text
    assert "Ig Member" not in text  # not signed: no name
    others = [a for a in w.connector.received[posted:] if a["conversation"]["id"] != chat]
    assert not [a for a in others if reference in json.dumps(a)]  # nobody else got anything about it

    # Stored with who and when; the copy reached the IG mailbox in the escalation email's thread.
    case_id = w.rows("SELECT escalation_id FROM escalation_case c JOIN escalation e ON e.id = c.escalation_id "
                     "WHERE e.reference = :r", r=reference)[0][0]  # fmt: skip
    events = w.rows(
        "SELECT actor, actor_id, action, status FROM case_event WHERE escalation_id = :c ORDER BY id", c=case_id
    )
    assert events == [
        ("system", "", "received", "received"),
        ("system", "", "deliver", "delivered"),
        ("ig", IG_ID, "reply", "answered"),
    ]
    copies = await mailed(w, f"Re: [{reference}]")
    assert copies[0]["In-Reply-To"] == (await mailed(w, f"[{reference}]"))[0]["Message-ID"]
    assert "[phone number]" in copies[0].get_payload(decode=True).decode()

    # Both see the status change.
    mine = text_of(case_block(card_of(await w.say(STAFF_A, "my requests")), reference))
    assert "answered" in mine and "Do not" in mine
    listing = card_of(await w.say(IG, "cases"))
    assert "answered" in text_of(case_block(listing, reference))

    # Close with a note: gone from the open list, closed for the staff member.
    closed = refreshed(await press(w, IG, case_block(listing, reference), "Close case", {"note": "Advice given"}))
    assert f"{reference} closed" in text_of(closed) and f"{reference} ·" not in text_of(closed)
    assert "closed" in text_of(case_block(card_of(await w.say(STAFF_A, "my requests")), reference))
    assert w.rows("SELECT text FROM case_event WHERE escalation_id = :c AND action = 'close'", c=case_id) == [
        ("Advice given",)
    ]
    # The second staff member was never told anything about it.
    assert not [a for a in w.connector.messages(w.chat(STAFF_B)) if reference in json.dumps(a)]


async def test_forged_replayed_and_cross_user_case_actions_change_nothing(world):
    w = world
    reference = await escalate(w, STAFF_A)
    listing = card_of(await w.say(IG, "cases"))
    block = case_block(listing, reference)
    offer = buttons(block)["Send reply"]["data"]["case"]
    mine = case_block(card_of(await w.say(STAFF_A, "my requests")), reference)
    own_offer = buttons(mine)["Withdraw"]["data"]["case"]

    def state() -> list[tuple]:
        return w.rows(
            "SELECT c.status, count(v.id) FROM escalation_case c JOIN escalation e ON e.id = c.escalation_id "
            "JOIN case_event v ON v.escalation_id = c.escalation_id WHERE e.reference = :r GROUP BY c.status",
            r=reference,
        )

    before, posted = state(), len(w.connector.received)

    # Forged: ids never issued, and a hand-off form's id (another kind of offer), for every verb.
    send_offer = w.rows("SELECT id FROM escalation_offer WHERE kind = 'escalation' LIMIT 1")[0][0]
    for fake in (uuid.uuid4().hex, "", send_offer, "x" * 500):
        for verb in ("case_reply", "case_close", "case_withdraw"):
            data = {"case": fake, f"reply_{fake}": "forged"}
            assert "wasn't given to you" in said(await w.invoke(IG, verb, data))
    assert "wasn't given to you" in said(await w.invoke(IG, "case_reply", {"offer": offer}))  # not how ours look
    # A case button's id is not a hand-off form either.
    assert "wasn't offered to you" in said(await w.invoke(STAFF_A, "send_to_ig", {"offer": own_offer, "question": "x"}))

    # Cross-user: the IG member's buttons pressed by a staff member, in their own chat and in the IG member's.
    for conv in (w.chat(STAFF_B), w.chat(IG)):
        for title in ("Send reply", "Close case"):
            response = await press(w, STAFF_B, block, title, {"reply": "hijacked", "note": "hijacked"}, conv=conv)
            assert "wasn't given to you" in said(response)
    # ...and staff A's own Withdraw button pressed by staff B, or by the IG member.
    for who in (STAFF_B, IG):
        assert "wasn't given to you" in said(await press(w, who, mine, "Withdraw", conv=w.chat(STAFF_A)))
    # A staff member's own (genuine) button sent with a verb only IG may use.
    assert "only members of the Information Governance Team" in said(
        await w.invoke(STAFF_A, "case_close", {"case": own_offer})
    )
    assert state() == before

    # Replayed: a genuine reply, then the same press again: one reply, one message.
    refreshed(await press(w, IG, block, "Send reply", {"reply": "Please use the approved tool."}))
    chat = w.chat(STAFF_A)
    await w.connector.wait_for(lambda a: a["conversation"]["id"] == chat and "approved tool" in (a.get("text") or ""))
    answered = state()
    assert answered[0][0] == "answered" and answered[0][1] == before[0][1] + 1
    for _ in range(3):
        assert "already used" in said(
            await press(w, IG, block, "Send reply", {"reply": "Please use the approved tool."})
        )
    # Closed by the IG member; the staff member's older Withdraw button now finds the case closed.
    refreshed(await press(w, IG, case_block(card_of(await w.say(IG, "cases")), reference), "Close case"))
    assert "can't be withdrawn" in said(await press(w, STAFF_A, mine, "Withdraw"))
    await asyncio.sleep(1.0)
    replies = [a for a in w.connector.received[posted:] if "approved tool" in (a.get("text") or "")]
    assert len(replies) == 1 and replies[0]["conversation"]["id"] == chat
    assert state()[0][0] == "closed"


async def test_withdrawn_by_the_staff_member_and_a_reply_to_a_chat_that_is_gone_stays_flagged(world):
    w = world
    staff_c = person("staff-c", "00000000-0000-0000-0000-00000000000c")
    w.connector.members[staff_c["id"]] = {**staff_c, "email": "staff-c@lancashire.gov.uk"}
    withdrawn = await escalate(w, STAFF_B)
    mine = card_of(await w.say(STAFF_B, "my requests"))
    # The case as stored decides, not the card: a case no longer recorded as theirs can't be withdrawn.
    owner = "SELECT escalation_id FROM escalation e WHERE e.reference = :r"
    w.rows(f"UPDATE escalation_case SET user_id = '29:someone-else' WHERE escalation_id = ({owner})", r=withdrawn)
    assert "isn't one of your requests" in said(await press(w, STAFF_B, case_block(mine, withdrawn), "Withdraw"))
    w.rows(f"UPDATE escalation_case SET user_id = :u WHERE escalation_id = ({owner})", u=STAFF_B["id"], r=withdrawn)
    after = refreshed(await press(w, STAFF_B, case_block(mine, withdrawn), "Withdraw"))
    assert f"{withdrawn} withdrawn" in text_of(after) and "withdrawn by you" in text_of(case_block(after, withdrawn))
    assert withdrawn not in text_of(card_of(await w.say(IG, "cases")))
    # The IG mailbox is told, in the escalation email's thread, once.
    told = await mailed(w, f"Re: [{withdrawn}] Withdrawn by the staff member")
    assert told[0]["In-Reply-To"] == (await mailed(w, f"[{withdrawn}]"))[0]["Message-ID"]
    body = told[0].get_payload(decode=True).decode()
    assert f"The staff member withdrew {withdrawn}" in body and "staff-b@lancashire.gov.uk" in body
    await asyncio.sleep(1.0)
    assert len([m for m in w.smtp.handler.accepted if m["Subject"].startswith(f"Re: [{withdrawn}]")]) == 1

    unreachable = await escalate(w, staff_c)
    w.connector.gone.add(w.chat(staff_c))  # the staff member removed the bot: Teams answers 404
    block = case_block(card_of(await w.say(IG, "cases")), unreachable)
    refreshed(await press(w, IG, block, "Send reply", {"reply": "You may go ahead.", "sign": "true"}))
    for _ in range(200):
        rows = w.rows(
            "SELECT v.delivery, v.text, v.signed_by, c.flag FROM case_event v "
            "JOIN escalation e ON e.id = v.escalation_id JOIN escalation_case c ON c.escalation_id = e.id "
            "WHERE e.reference = :r AND v.action = 'reply'",
            r=unreachable,
        )
        if rows and rows[0][0] == "unreachable":
            break
        await asyncio.sleep(0.1)
    assert rows[0][:3] == ("unreachable", "You may go ahead.", "Ig Member")  # kept on the case, signed
    listing = text_of(case_block(card_of(await w.say(IG, "cases")), unreachable))
    assert "could not be delivered in Teams" in listing and "staff-c@lancashire.gov.uk" in listing
