"""Two replicas of the service on one database, as behind the Bot Service: a conversation can move between them.

Both instances are the real app over HTTP, with the local connector as the Teams channel; each
test runs on SQLite (one file, as two processes on one host would share it) and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from aiohttp import ClientSession

from bot.compose import make_web_app
from bot.config import Settings
from bot.store.db import make_engine
from bot.store.feedback import FeedbackStore
from bot.store.turns import TurnStore, conversation_hash
from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready
from tests.databases import BACKENDS, new_postgres_database

FLUSHED = 1.5  # the shared state is written every second; a person takes longer to type a follow-up


@pytest.fixture(scope="module", params=BACKENDS)
async def replicas(request, bulletin_index, embedder, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}"
    if request.param == "postgresql":
        url = new_postgres_database(request.getfixturevalue("postgres_server"))
    connector = await Connector().start()
    settings = Settings(knowledge_dir=KNOWLEDGE, index_dir=bulletin_index, app_id="", app_password="", database_url=url)
    async with ClientSession() as http:
        started = [await serve(make_web_app(settings, embedder=embedder)) for _ in range(2)]
        for _, base in started:
            await wait_ready(http, base)
        yield http, [base for _, base in started], connector, url
        for runner, _ in started:
            await runner.cleanup()
    await connector.stop()


async def _post(http, base, body) -> None:
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status < 300, await r.text()


def _answers(connector: Connector, conv: str) -> list[dict]:
    return [a for a in connector.messages(conv) if a.get("entities")]


async def test_a_follow_up_on_the_other_replica_keeps_the_context(replicas):
    http, (a, b), connector, _ = replicas
    conv = f"a:{uuid.uuid4().hex}"
    await _post(http, a, activity(connector.url, "When is the last employee conference session?", conversation=conv))
    await asyncio.sleep(FLUSHED)
    await _post(http, b, activity(connector.url, "and where is it?", conversation=conv))
    first, follow_up = _answers(connector, conv)
    assert "27 November" in first["text"]
    assert "County Hall" in follow_up["text"]  # replica B answered in the context of the question A was asked
    # the same words with no earlier question are not enough (on either replica)
    alone = f"a:{uuid.uuid4().hex}"
    await _post(http, b, activity(connector.url, "and where is it?", conversation=alone))
    [reply] = _answers(connector, alone)
    assert "County Hall" not in reply["text"]


async def test_feedback_on_the_other_replica_files_the_question_and_answer(replicas):
    http, (a, b), connector, url = replicas
    conv = f"a:{uuid.uuid4().hex}"
    await _post(http, a, activity(connector.url, "When is the last employee conference session?", conversation=conv))
    [reply] = _answers(connector, conv)
    reply_id = connector.ids[connector.received.index(reply)]
    await asyncio.sleep(FLUSHED)
    click = activity(connector.url, None, conversation=conv, type="invoke", name="message/submitAction")
    click["replyToId"] = reply_id
    click["value"] = {"actionName": "feedback", "actionValue": {"reaction": "like", "feedback": json.dumps({})}}
    await _post(http, b, click)
    [row] = [f for f in FeedbackStore(make_engine(url)).all() if f.reply_id == reply_id]
    assert row.question == "When is the last employee conference session?"
    assert "27 November" in (row.answer or "") and row.route == "answer" and row.citations


async def test_a_button_offered_by_one_replica_works_when_clicked_on_the_other(replicas):
    """The Playground sends a button's title: the replica that did not offer it still knows the question."""
    http, (a, b), connector, url = replicas
    conv = f"a:{uuid.uuid4().hex}"
    welcome = activity(connector.url, None, conversation=conv, type="conversationUpdate")
    welcome["membersAdded"] = [{"id": "29:user-1"}]
    await _post(http, a, welcome)
    await asyncio.sleep(FLUSHED)
    await _post(http, b, activity(connector.url, "Last conference session", conversation=conv))
    [reply] = _answers(connector, conv)
    assert "County Hall in Preston" in reply["text"]
    await asyncio.sleep(1.5)  # the conversation log is written once a second: it shows what B took as the question
    asked = [t.question for t in TurnStore(make_engine(url)).since() if t.conversation == conversation_hash(conv)]
    assert asked == ["When is the last employee conference session?"]  # the button's question, not its title
