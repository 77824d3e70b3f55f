"""Small faults, each with a defined answer, over HTTP against the real app on SQLite and PostgreSQL.

- a body in UTF-8 with a byte-order mark is answered; one in UTF-16 gets 400 with the reason;
- a lone surrogate in a Teams id gets 400 with the reason (it used to fail on every turn);
- a conversation id over 500 characters or a user id over 200 still gets its IG form and its email;
- real text with an empty `value` is a question, not a form;
- and no log line or traceback quotes an id, the roster's email address or the question.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import uuid

import pytest

from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, local_settings, running_service
from tests.databases import BACKENDS, new_postgres_database
from tests.mail.smtp_server import SmtpServer
from tests.test_escalation_flow import QUESTION, _card, _card_text, _invoke_activity

ROSTER_EMAIL = "long.ids@lancashire.gov.uk"


@pytest.fixture(scope="module", params=BACKENDS)
async def world(request, bulletin_index, embedder, tmp_path_factory):
    smtp = SmtpServer().start()
    connector = await Connector().start()
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}"
    if request.param == "postgresql":
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    async with running_service(local_settings(KNOWLEDGE, bulletin_index, url, smtp.port), embedder) as (http, base):
        yield http, base, connector, smtp
    await connector.stop()
    smtp.stop()


async def _raw(http, base, body: bytes) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    async with http.post(f"{base}/api/messages", data=body, headers=headers) as r:
        return r.status, (await r.json(content_type=None) if r.status != 201 else {})


async def test_a_utf8_body_with_a_byte_order_mark_is_answered(world):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    body = json.dumps(activity(connector.url, "When is the last employee conference session?", conv))
    status, _ = await _raw(http, base, b"\xef\xbb\xbf" + body.encode("utf-8"))
    assert status == 201
    assert "27 November" in connector.messages(conv)[0]["text"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
async def test_a_body_not_in_utf8_gets_400_saying_so(world, encoding):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    body = json.dumps(activity(connector.url, "When is the last employee conference session?", conv))
    status, problem = await _raw(http, base, body.encode(encoding))
    assert status == 400 and "UTF-8" in problem["error"]
    assert connector.messages(conv) == []


@pytest.mark.parametrize("where", ["conversation", "from"])
async def test_a_lone_surrogate_in_an_id_gets_400_saying_so(world, where, caplog):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(connector.url, "When is the last employee conference session?", conv)
    body[where]["id"] = body[where]["id"] + "SURROGATE"
    raw = json.dumps(body).replace("SURROGATE", "\\ud800").encode("ascii")  # JSON's escape of half a pair
    status, problem = await _raw(http, base, raw)
    assert status == 400 and problem["error"] == f"'{where}.id' is not valid Unicode text"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_very_long_conversation_and_user_ids_still_get_the_form_and_the_email(world, caplog):
    """Teams ids are far shorter; a longer one must not turn an IG question into 'something went wrong'."""
    caplog.set_level(logging.INFO)
    http, base, connector, smtp = world
    conv = f"a:{uuid.uuid4().hex}" + "c" * 600
    user = "29:" + "u" * 250
    connector.members[user] = {"id": user, "name": "Lorna Long", "email": ROSTER_EMAIL, "tenantId": "tenant-1"}
    asked = activity(connector.url, QUESTION, conv)
    asked["from"] = {"id": user, "name": "Lorna Long " + "x" * 250}
    async with http.post(f"{base}/api/messages", json=asked) as r:
        assert r.status == 201
    said = [m.get("text") or "" for m in connector.messages(conv)]
    assert not [t for t in said if "went wrong" in t], said
    card = _card(connector.messages(conv))
    assert card is not None, said
    button = next(a for a in card["actions"] if a["title"] == "Send to IG")
    data = {**button["data"], **{e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"}}
    press = _invoke_activity(connector, conv, button["verb"], data)
    press["from"] = asked["from"]
    async with http.post(f"{base}/api/messages", json=press) as r:
        assert r.status == 200
        response = await r.json()
    reference = re.search(r"IG-\d{4}-\d{6}", _card_text(response["value"])).group(0)
    for _ in range(150):  # the sender is woken by the Send: well under a second here
        if any(reference in m["Subject"] for m in smtp.handler.accepted):
            break
        await asyncio.sleep(0.1)
    assert any(reference in m["Subject"] for m in smtp.handler.accepted)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    for secret in (conv, user, ROSTER_EMAIL, "Lorna Long"):
        assert secret not in logged


async def test_text_with_an_empty_value_is_answered_as_a_question(world):
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(connector.url, "When is the last employee conference session?", conv, value={})
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status == 201
    texts = [m.get("text") or "" for m in connector.messages(conv)]
    assert "27 November" in texts[0] and not [t for t in texts if "recognise that form" in t]


async def test_feedback_on_a_reply_with_a_very_long_id_is_stored(world):
    """The reply id a like arrives with is the client's to choose; PostgreSQL refused one over 200
    characters, and the click got an error instead of being filed."""
    http, base, connector, _ = world
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(connector.url, None, conv, type="invoke", name="message/submitAction")
    body["replyToId"] = "r" * 300
    body["value"] = {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": "{}"}}
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status == 200, await r.text()
