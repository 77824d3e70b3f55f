"""Every message fits Teams' size limit, and a failure reads as an apology with a reference.

The bot here is the real adapter, handler and renderer over HTTP; only the answering step is
replaced, to produce an answer far larger than the documents give, or to fail on purpose.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from aiohttp import ClientSession

from bot.config import Settings
from bot.core.records import Answer, Citation, Route
from bot.core.suggest import Suggestion
from bot.service import Service
from bot.teams.adapter import make_adapter
from bot.teams.handler import GovernanceBot
from bot.teams.render import MAX_ACTIVITY_BYTES, answer_activity, wire_size
from bot.web import ServiceState, create_app
from tests.connector import Connector, activity
from tests.connector import serve as serve_app

# Teams rejects about 100 KB; the renderer promises MAX_ACTIVITY_BYTES (60 KB), with room for the
# fields the channel adds. The tests hold it to that promise, not to Teams' looser limit.
TEAMS_LIMIT = MAX_ACTIVITY_BYTES


def huge_answer() -> Answer:
    passage = "Très long passage – with emoji 🙂 and “quotes” & <tags>. [1] " * 6_000  # ~370 KB of text
    citations = tuple(
        Citation(
            i, f"Section {i} – " + "a very long heading " * 20, "doc.md", "https://example.org/doc", passage[:5000]
        )
        for i in range(1, 60)
    )
    return Answer(Route.ANSWER, passage, citations, 0.9)


def test_text_of_many_bytes_per_character_is_cut_to_the_promised_size():
    """20,000 characters can be 80 KB of UTF-8: the byte size is what is cut, not the length."""
    wide = Answer(Route.ANSWER, "🙂" * 25_000 + " [1]", huge_answer().citations, 0.9)
    rendered = answer_activity(wide)
    assert MAX_ACTIVITY_BYTES - 2_000 < wire_size(rendered) < TEAMS_LIMIT  # cut to just under, not far under
    assert rendered.text.endswith("…")


def test_a_huge_answer_is_cut_to_fit_with_its_citations_kept_within_teams_limits():
    rendered = answer_activity(huge_answer(), [Suggestion("Tell me more", "Tell me more about this " * 10)] * 3)
    assert wire_size(rendered) < TEAMS_LIMIT
    assert rendered.text.endswith("…")
    [entity] = rendered.entities
    assert 1 <= len(entity.citation) <= 20
    assert all(len(c["appearance"]["abstract"]) <= 160 for c in entity.citation)
    assert all(len(c["appearance"]["name"]) <= 80 for c in entity.citation)


class _Given(Service):
    """A service whose answers are given: the limits under test are the Teams adapter's."""

    def __init__(self, settings: Settings, state: ServiceState, answer) -> None:  # type: ignore[no-untyped-def]
        super().__init__(settings, state, engine=None, feedback=None, turns=None)
        self._given = answer

    async def answer(self, text: str) -> Answer:
        return self._given(text)


@pytest.fixture()
async def serve():
    runners = []

    async def start(answer) -> tuple[str, Connector]:
        connector = await Connector().start()
        settings = Settings(app_id="", app_password="")
        state = ServiceState(ready=True)
        app = create_app(make_adapter(settings), GovernanceBot(_Given(settings, state, answer)), state)
        runner, base = await serve_app(app)
        runners.append((runner, connector))
        return base, connector

    yield start
    for runner, connector in runners:
        await runner.cleanup()
        await connector.stop()


@pytest.mark.asyncio(loop_scope="session")
async def test_a_huge_answer_reaches_the_channel_under_the_limit(serve):
    base, connector = await serve(lambda text: huge_answer())
    conv = f"a:{uuid.uuid4().hex}"
    async with (
        ClientSession() as http,
        http.post(f"{base}/api/messages", json=activity(connector.url, "q", conversation=conv)) as r,
    ):
        assert r.status == 201
    reply, *offers = connector.messages(conv)
    assert all(len(json.dumps(m, ensure_ascii=False).encode()) < TEAMS_LIMIT for m in offers)
    assert len(json.dumps(reply, ensure_ascii=False).encode()) < TEAMS_LIMIT
    assert reply["entities"][0]["citation"] and "[1]" in reply["text"]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_failure_shows_an_apology_and_a_reference_never_a_traceback(serve):
    def broken(text: str) -> Answer:
        raise RuntimeError("index file /srv/secret/path is corrupt")

    base, connector = await serve(broken)
    conv = f"a:{uuid.uuid4().hex}"
    async with (
        ClientSession() as http,
        http.post(
            f"{base}/api/messages", json=activity(connector.url, "When is the conference?", conversation=conv)
        ) as r,
    ):
        assert r.status < 500
    [reply] = connector.messages(conv)
    assert reply["text"].startswith("Sorry, something went wrong")
    assert re.search(r"reference [0-9a-f]{12}", reply["text"])
    assert "Traceback" not in reply["text"] and "secret" not in reply["text"] and "RuntimeError" not in reply["text"]
