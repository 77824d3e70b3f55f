"""Where answers come from, as staff see it over HTTP: clickable citations from a document's
`url`, how current a source is, and one configured source for the IG team's contact details."""

from __future__ import annotations

import uuid

import pytest

from bot.config import Settings
from bot.core.index_store import build_index
from tests.conftest import bulletin_with_url
from tests.connector import Connector, activity, running_service

BULLETIN_URL = "https://intranet.lancashire.gov.uk/news/staff-bulletin-2024-11-18"
MAILBOX = "dataprotection@example.gov.uk"
TEAM = "Data Protection Team"
DEFAULT_MAILBOX = "informationgovernance@lancashire.gov.uk"


@pytest.fixture(scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory, embedder):
    knowledge = bulletin_with_url(tmp_path_factory.mktemp("knowledge"), BULLETIN_URL)
    index = tmp_path_factory.mktemp("index")
    build_index(knowledge, index, embedder)
    settings = Settings(
        knowledge_dir=knowledge,
        index_dir=index,
        app_id="",
        app_password="",
        database_url=f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}",
        ig_mailbox=MAILBOX,
        ig_team=TEAM,
        source_stale_months=36,  # the 2024 bulletin is not yet stale by this measure
    )
    connector = await Connector().start()
    async with running_service(settings, embedder) as (http, base):
        yield http, base, connector
    await connector.stop()


async def _send(service, text: str | None, **extra) -> list[dict]:
    http, base, connector = service
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(f"{base}/api/messages", json=activity(connector.url, text, conversation=conv, **extra)) as r:
        assert r.status in (200, 201), await r.text()
    return connector.messages(conv)


async def test_a_citation_opens_the_document_at_its_url(service):
    answer = (await _send(service, "When is the last employee conference session?"))[0]
    [claim] = answer["entities"][0]["citation"]
    assert claim["appearance"]["url"] == BULLETIN_URL
    assert claim["appearance"]["name"].startswith("Staff bulletin, week of 18 November 2024")


async def test_a_source_within_the_configured_age_is_dated_without_a_warning(service):
    text = (await _send(service, "When is the last employee conference session?"))[0]["text"]
    assert text.startswith("From the staff bulletin of 18 November 2024: “")
    assert "out of date" not in text


async def test_help_welcome_and_declines_use_the_configured_team_and_mailbox(service):
    [help_reply] = await _send(service, "help")
    welcome, _questions = await _send(service, None, type="conversationUpdate", membersAdded=[{"id": "29:user-1"}])
    [decline] = await _send(service, "Where can I buy a bus pass for my dog?")
    assert "can't find" in decline["text"]
    for text in (help_reply["text"], welcome["text"], decline["text"]):
        assert MAILBOX in text and TEAM in text and DEFAULT_MAILBOX not in text
        assert "Information Governance Team" not in text


async def test_an_escalation_says_which_document_asks_what(service):
    answer = (await _send(service, "Can I use Copilot to summarise social care case notes?"))[0]
    text = answer["text"]
    assert f"it is for the {TEAM} to decide, not me. You can reach them at {MAILBOX}." in text
    # The bulletin's words are the bulletin's, quoted and dated; no policy is credited with them.
    assert "From the staff bulletin of 18 November 2024: “" in text
    assert "Policy asks" not in text
