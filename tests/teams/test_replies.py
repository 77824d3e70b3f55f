"""The lean reply path: retries on 429 with Retry-After, typing only when the answer is slow,
and structured logs that carry a correlation id and never personal data."""

from __future__ import annotations

import io
import json
import logging
import uuid
from email.utils import formatdate

import pytest
from aiohttp import ClientSession, web
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount

from bot.compose import make_web_app
from bot.config import Settings
from bot.logs import JsonFormatter
from bot.teams.replies import Backoff, ReplyFailed, ReplySender, parse_retry_after
from tests.conftest import DATA, KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready


class Throttling:
    """A channel that answers 429 (Retry-After: 0) a given number of times, then accepts."""

    def __init__(self, refusals: int) -> None:
        self.refusals = refusals
        self.posts = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.posts += 1
        await request.json()
        if self.posts <= self.refusals:
            return web.json_response({"error": "throttled"}, status=429, headers={"Retry-After": "0"})
        return web.json_response({"id": "reply-1"})

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_post("/v3/conversations/{c}/activities/{r}", self.handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/"

    async def __aexit__(self, *exc) -> None:
        await self.runner.cleanup()


def _reply(service_url: str) -> Activity:
    return Activity(
        type="message",
        text="hello",
        service_url=service_url,
        conversation=ConversationAccount(id="a:conv/with?odd#chars"),
        reply_to_id="act-1",
        recipient=ChannelAccount(id="29:user"),
    )


async def test_a_throttled_reply_is_retried_until_the_channel_takes_it():
    channel = Throttling(refusals=2)
    async with channel as url:
        sender = ReplySender(backoff=Backoff(attempts=4, base=0.01))
        response = await sender.send(_reply(url))
        await sender.close()
    assert response.id == "reply-1" and channel.posts == 3 and sender.retries == 2


async def test_a_reply_the_channel_keeps_refusing_fails_clearly():
    channel = Throttling(refusals=100)
    async with channel as url:
        sender = ReplySender(backoff=Backoff(attempts=3, base=0.01))
        with pytest.raises(ReplyFailed, match="429"):
            await sender.send(_reply(url))
        await sender.close()
    assert channel.posts == 3


def test_retry_after_is_read_as_seconds_or_a_date():
    assert parse_retry_after("3") == 3.0
    assert 0 <= parse_retry_after(formatdate(usegmt=True)) <= 1
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    from tenacity import RetryCallState

    state = RetryCallState(None, None, (), {})
    state.attempt_number = 1
    state.set_exception((ReplyFailed, ReplyFailed("429"), None))
    assert 0 <= Backoff(base=0.5, cap=10).wait(state) <= 1.0  # jittered: at most base * 2**(attempt - 1)
    hinted = RetryCallState(None, None, (), {})
    hinted.set_exception((Exception, type("Hinted", (Exception,), {"retry_after": "2"})(), None))
    assert Backoff(base=0.5, cap=10).wait(hinted) >= 2.0  # the server's Retry-After wins


async def _app_with(bulletin_index, embedder, **settings):
    s = Settings(knowledge_dir=KNOWLEDGE, index_dir=bulletin_index, app_id="", app_password="", **settings)
    runner, base = await serve(make_web_app(s, embedder=embedder))
    async with ClientSession() as http:
        await wait_ready(http, base)
    return runner, base


# one message: the answer, with its suggested follow-ups as buttons (personal chat)
@pytest.mark.parametrize(("delay_ms", "expected"), [(0, ["typing", "message"]), (60_000, ["message"])])
async def test_typing_is_shown_only_while_an_answer_is_awaited(bulletin_index, embedder, delay_ms, expected):
    connector = await Connector().start()
    runner, base = await _app_with(bulletin_index, embedder, typing_delay_ms=delay_ms)
    try:
        conv = f"a:{uuid.uuid4().hex}"
        body = activity(connector.url, "When is the last employee conference session?", conversation=conv)
        async with ClientSession() as http, http.post(f"{base}/api/messages", json=body) as r:
            assert r.status == 201
        sent = [a for a in connector.received if a["conversation"]["id"] == conv]
        assert [a["type"] for a in sent] == expected
        assert "27 November" in connector.answers(conv)[0]["text"]
    finally:
        await runner.cleanup()
        await connector.stop()


def _pii_corpus() -> list[dict]:
    path = DATA / "pii_corpus.jsonl"
    if path.exists():
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    return [  # fallback when the shared corpus is absent
        {"text": "Can I put John Smith's case notes into Copilot?", "pii": ["John Smith"]},
        {"text": "Email me at jane.doe@example.com about the conference", "pii": ["jane.doe@example.com"]},
        {"text": "My NI number is QQ 12 34 56 C, can AI read it?", "pii": ["QQ 12 34 56 C"]},
    ]


async def test_logs_are_json_with_a_correlation_id_and_no_personal_data(bulletin_index, embedder):
    corpus = _pii_corpus()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    connector = await Connector().start()
    runner, base = await _app_with(bulletin_index, embedder)
    try:
        async with ClientSession() as http:
            for case in corpus:
                body = activity(connector.url, case["text"], conversation=f"a:{uuid.uuid4().hex}")
                async with http.post(f"{base}/api/messages", json=body) as r:
                    assert r.status == 201
            async with http.post(f"{base}/api/messages", data=b"{broken", headers={"Content-Type": "application/json"}):
                pass
    finally:
        await runner.cleanup()
        await connector.stop()
        root.removeHandler(handler)
        root.setLevel(old_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]  # every line is one JSON object
    answered = [entry for entry in lines if entry["message"].startswith("answered")]
    assert len(answered) == len(corpus)
    assert len({entry["correlation_id"] for entry in answered}) == len(corpus)  # one id per activity
    assert all(entry["correlation_id"] != "-" for entry in answered)
    text = stream.getvalue()
    leaked = {p for case in corpus for p in case["pii"] if p in text}
    assert leaked == set()


async def test_a_reply_is_addressed_on_a_copy_leaving_the_handlers_activity_as_it_was() -> None:
    from botbuilder.core import TurnContext
    from botbuilder.core.adapters import TestAdapter

    from bot.teams.sdk_patches import copy_replies_shallowly

    copy_replies_shallowly()
    adapter = TestAdapter()  # records what the turn sends in activity_buffer
    incoming = Activity(
        type="message",
        id="in-1",
        service_url="http://127.0.0.1:1/",
        channel_id="msteams",
        from_property=ChannelAccount(id="29:user"),
        recipient=ChannelAccount(id="28:bot"),
        conversation=ConversationAccount(id="a:conv"),
    )
    reply = Activity(type="message", text="answer")
    await TurnContext(adapter, incoming).send_activity(reply)
    sent = adapter.activity_buffer
    assert sent[0] is not reply
    assert (sent[0].reply_to_id, sent[0].recipient.id, sent[0].conversation.id) == ("in-1", "29:user", "a:conv")
    assert (reply.reply_to_id, reply.recipient, reply.conversation) == (None, None, None)
