"""The real aiohttp application on a local port, driven over HTTP like the Teams channel does."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid

import pytest
from aiohttp import ClientSession

from bot.compose import make_web_app
from bot.config import Settings
from tests.conftest import KNOWLEDGE, ROOT
from tests.connector import Connector, activity, serve, wait_ready


@pytest.fixture(scope="session")
async def connector():
    c = await Connector().start()
    yield c
    await c.stop()


@pytest.fixture(scope="session")
async def http():
    async with ClientSession() as s:
        yield s


@pytest.fixture(scope="session")
async def bot_url(bulletin_index, embedder, http):
    settings = Settings(knowledge_dir=KNOWLEDGE, index_dir=bulletin_index, app_id="", app_password="")
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    await wait_ready(http, base)
    yield base
    await runner.cleanup()


async def _ask(http, bot_url, connector, text, **extra):
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(
        f"{bot_url}/api/messages", json=activity(connector.url, text, conversation=conv, **extra)
    ) as r:
        assert r.status in (200, 201), await r.text()
    return connector.messages(conv), [a for a in connector.received if a["conversation"]["id"] == conv]


async def test_question_gets_a_cited_ai_labelled_answer(http, bot_url, connector):
    messages, everything = await _ask(http, bot_url, connector, "When is the last employee conference session?")
    # typing first only if slow (tests/test_load_paths.py); then one message: the answer, with
    # suggested follow-up questions as its buttons in a personal chat
    assert [a["type"] for a in everything if a["type"] != "typing"] == ["message"]
    assert "suggestedActions" in messages[0]
    reply = messages[0]
    assert "27 November" in reply["text"] and "County Hall" in reply["text"]
    entities = [e for e in reply["entities"] if e["type"] == "https://schema.org/Message"]
    assert len(entities) == 1 and len(reply["entities"]) == 1
    entity = entities[0]
    assert entity["@type"] == "Message" and entity["@context"] == "https://schema.org" and entity["@id"] == ""
    assert entity["additionalType"] == ["AIGeneratedContent"]
    claims = entity["citation"]
    assert [c["position"] for c in claims] == [1] and "[1]" in reply["text"]
    appearance = claims[0]["appearance"]
    assert claims[0]["@type"] == "Claim" and appearance["@type"] == "DigitalDocument"
    assert "Employee conferences" in appearance["name"] and len(appearance["name"]) <= 80
    assert len(appearance["abstract"]) <= 160
    assert 1 <= len(appearance["keywords"]) <= 3 and all(len(k) <= 28 for k in appearance["keywords"])
    # the reply goes where the Teams channel expects it: to the conversation, in reply to the activity
    assert reply["replyToId"]


async def test_reply_is_posted_to_the_conversation_reply_path(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    act = activity(connector.url, "Was the Burnley conference cancelled?", conversation=conv)
    async with http.post(f"{bot_url}/api/messages", json=act) as r:
        assert r.status == 201
    idx = next(
        i for i, a in enumerate(connector.received) if a["conversation"]["id"] == conv and a["type"] == "message"
    )
    assert connector.paths[idx] == f"/v3/conversations/{conv}/activities/{act['id']}"
    assert "heating" in connector.received[idx]["text"]


async def test_unanswerable_question_is_declined_without_citations(http, bot_url, connector):
    messages, _ = await _ask(http, bot_url, connector, "What time does the canteen at County Hall close?")
    reply = messages[0]
    assert "can't find" in reply["text"]
    entity = reply["entities"][0]
    assert entity["additionalType"] == ["AIGeneratedContent"] and "citation" not in entity


async def test_escalation_gives_ig_contact(http, bot_url, connector):
    messages, _ = await _ask(
        http, bot_url, connector, "Can I use an AI tool to write minutes of a child protection conference?"
    )
    assert "Information Governance Team" in messages[0]["text"]
    assert "informationgovernance@lancashire.gov.uk" in messages[0]["text"]


async def test_welcome_on_conversation_update(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    update = activity(
        connector.url, None, conversation=conv, type="conversationUpdate", membersAdded=[{"id": "29:user-1"}]
    )
    async with http.post(f"{bot_url}/api/messages", json=update) as r:
        assert r.status in (200, 201)
    text = connector.messages(conv)[0]["text"]
    assert "automated assistant" in text and "council" in text and "personal data" in text


async def test_welcome_in_a_channel_only_when_the_bot_is_added(http, bot_url, connector):
    conv = f"19:{uuid.uuid4().hex}@thread.tacv2"
    channel = {"id": conv, "conversationType": "channel", "tenantId": "tenant-1"}
    user_added = activity(connector.url, None, type="conversationUpdate", membersAdded=[{"id": "29:user-2"}])
    bot_added = activity(connector.url, None, type="conversationUpdate", membersAdded=[{"id": "28:bot-1"}])
    for update in (user_added, bot_added):
        update["conversation"] = channel
        async with http.post(f"{bot_url}/api/messages", json=update) as r:
            assert r.status in (200, 201)
    assert len(connector.messages(conv)) == 1


async def test_html_in_a_question_is_never_echoed_as_markup(http, bot_url, connector):
    messages, _ = await _ask(http, bot_url, connector, "<script>alert(1)</script> When is the last conference?")
    assert "<script>" not in messages[0]["text"]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b"{not json", "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b"{}", "application/json", 400),
        (b'"just a string"', "application/json", 400),
        (b"\xff\xfe\x00", "application/json", 400),
        (b'{"type": "message"}', "application/json", 400),  # no serviceUrl, conversation or from
        (b'{"type": "message", "text": "hi"}', "text/plain", 415),
        (b"{" + b" " * (1024 * 1024 + 10) + b"}", "application/json", 413),
    ],
    ids=[
        "broken-json",
        "json-array",
        "empty-object",
        "json-string",
        "not-utf8",
        "missing-fields",
        "not-json-type",
        "over-1mib",
    ],
)
async def test_bad_bodies_get_a_clear_4xx(http, bot_url, body, content_type, status):
    async with http.post(f"{bot_url}/api/messages", data=body, headers={"Content-Type": content_type}) as r:
        assert r.status == status
        assert "error" in await r.json()
    async with http.get(f"{bot_url}/healthz") as r:
        assert r.status == 200


@pytest.mark.parametrize(
    "patch",
    [
        {"text": 123},
        {"from": "29:user-1"},
        {"conversation": {"name": "no id"}},
        {"serviceUrl": ["http://x"]},
        {"entities": {"not": "a list"}},
        {"type": ""},
    ],
    ids=["text-number", "from-string", "conversation-no-id", "serviceurl-list", "entities-object", "empty-type"],
)
async def test_wrong_field_types_get_400(http, bot_url, connector, patch):
    body = activity(connector.url, "hello")
    body.update(patch)
    async with http.post(f"{bot_url}/api/messages", json=body) as r:
        assert r.status == 400


@pytest.mark.parametrize("kind", ["typing", "messageReaction", "endOfConversation", "somethingNew", "event"])
async def test_non_message_and_unknown_activities_are_accepted_silently(http, bot_url, connector, kind):
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(
        f"{bot_url}/api/messages", json=activity(connector.url, None, conversation=conv, type=kind)
    ) as r:
        assert r.status < 300
    assert connector.messages(conv) == []


@pytest.mark.parametrize(
    ("text", "expect"),
    [("", "empty"), ("   \u200b ", "empty"), ("x" * 10_000, "1,000 characters")],
    ids=["empty", "invisible", "10000-chars"],
)
async def test_empty_and_huge_questions_get_a_defined_reply(http, bot_url, connector, text, expect):
    messages, _ = await _ask(http, bot_url, connector, text)
    assert expect in messages[0]["text"]


async def test_message_without_text_field_is_treated_as_empty(http, bot_url, connector):
    messages, _ = await _ask(http, bot_url, connector, None)
    assert "empty" in messages[0]["text"]


async def test_unreachable_service_url_does_not_cause_a_5xx(http, bot_url):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/"
    async with http.post(f"{bot_url}/api/messages", json=activity(dead, "hello")) as r:
        assert r.status < 500


async def test_healthz_reports_the_index(http, bot_url):
    async with http.get(f"{bot_url}/healthz") as r:
        body = await r.json()
    assert body["ready"] is True and body["chunks"] > 0 and body["index"]
    assert body["conversation_log_dropped"] == 0  # operators see rows lost to a stuck database


async def test_with_an_app_id_requests_without_a_token_get_401(bulletin_index, embedder, http, connector):
    settings = Settings(
        knowledge_dir=KNOWLEDGE,
        index_dir=bulletin_index,
        app_id=str(uuid.uuid4()),
        app_password="secret",
        app_type="SingleTenant",
        app_tenant_id="tenant-1",
    )
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    try:
        await wait_ready(http, base)
        async with http.post(f"{base}/api/messages", json=activity(connector.url, "hello")) as r:
            assert r.status == 401
        async with http.post(
            f"{base}/api/messages",
            json=activity(connector.url, "hello"),
            headers={"Authorization": "Bearer not.a.token"},
        ) as r:
            assert r.status == 401
    finally:
        await runner.cleanup()


def test_anonymous_mode_refuses_a_non_loopback_host():
    env = dict(os.environ, HOST="0.0.0.0", PORT="3999", MicrosoftAppId="", INDEX_DIR="/nonexistent")
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "refusing to listen on 0.0.0.0 without MicrosoftAppId" in result.stderr


def test_invalid_configuration_is_reported_without_a_traceback():
    env = dict(os.environ, HOST="127.0.0.1", PORT="not-a-port")
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "configuration error" in result.stderr and "PORT" in result.stderr and "Traceback" not in result.stderr


async def test_help_is_a_command_not_a_question(http, bot_url, connector):
    messages, everything = await _ask(http, bot_url, connector, " Help! ")
    assert [a["type"] for a in everything] == ["message"]  # no typing: nothing to wait for
    text = messages[0]["text"]
    assert "automated assistant" in text and "- **help**:" in text.split("**Commands**")[1]
