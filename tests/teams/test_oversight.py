"""Transparency and oversight over HTTP, as Teams sends activities: labels, the notice, about,
report for IG members only, the conversation log, and the purge when the service starts."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import pytest

from bot.store.db import make_engine
from bot.store.turns import TurnStore, conversation_hash
from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, local_settings, running_service
from tests.oversight_seed import add_turn, ago

IG_MEMBER = "00000000-0000-0000-0000-0000000000aa"
PRIVACY = "https://intranet.lancashire.gov.uk/governance-assistant/privacy"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}"
    add_turn(make_engine(url), ago(400), "A question asked long ago")  # expired before the service starts
    return url


@pytest.fixture(scope="module")
async def service(bulletin_index: Path, embedder, database: str):
    settings = local_settings(KNOWLEDGE, bulletin_index, database, ig_members=IG_MEMBER, privacy_url=PRIVACY)
    connector = await Connector().start()
    async with running_service(settings, embedder) as (http, base):
        yield http, base, connector
    await connector.stop()


async def _send(service, text: str | None, aad: str = "00000000-0000-0000-0000-000000000001", **extra) -> list[dict]:
    http, base, connector = service
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(connector.url, text, conversation=conv, **extra)
    body["from"]["aadObjectId"] = aad
    async with http.post(f"{base}/api/messages", json=body) as r:
        assert r.status in (200, 201), await r.text()
    return connector.messages(conv)


async def test_every_answer_is_labelled_ai_generated_with_its_sources(service):
    for question, cited in (
        ("When is the last employee conference session?", True),
        ("Can I use ChatGPT to summarise a resident's case notes?", True),
        ("What time does the canteen at County Hall close?", False),
    ):
        reply = (await _send(service, question))[0]  # then the IG card or suggested follow-ups
        [entity] = reply["entities"]
        assert entity["additionalType"] == ["AIGeneratedContent"]
        assert bool(entity.get("citation")) is cited
        if cited:
            assert "[1]" in reply["text"] and entity["citation"][0]["appearance"]["name"]


async def test_welcome_says_automated_documents_only_no_personal_data_a_person_and_the_notice(service):
    welcome, _questions = await _send(service, None, type="conversationUpdate", membersAdded=[{"id": "29:user-1"}])
    text = welcome["text"]
    assert "automated assistant" in text and "council's own policy documents" in text
    assert "don't paste personal data" in text
    assert "informationgovernance@lancashire.gov.uk" in text and f"[privacy notice]({PRIVACY})" in text


async def test_help_says_the_same_and_lists_about(service):
    [reply] = await _send(service, "help")
    text = reply["text"]
    assert "automated assistant" in text and "Please don't paste personal data" in text
    assert "informationgovernance@lancashire.gov.uk" in text and PRIVACY in text
    assert "- **about**:" in text and "**help**" in text
    # IG-only commands are not offered to staff who cannot run them
    assert "report" not in text and "refresh" not in text and "index status" not in text


async def test_help_lists_the_ig_commands_to_ig_members_only(service):
    [reply] = await _send(service, "help", aad=IG_MEMBER)
    text = reply["text"]
    assert "**For the Information Governance Team**:" in text
    assert "- **refresh**:" in text and "- **index status**:" in text and "- **report**:" in text


async def test_about_gives_index_version_newest_document_and_count(service):
    http, base, _ = service
    async with http.get(f"{base}/healthz") as r:
        build = (await r.json())["index"]
    [reply] = await _send(service, "About")
    assert f"Index version: {build}" in reply["text"]
    assert "Documents: 1" in reply["text"]
    assert "Newest document dated: 18 November 2024" in reply["text"]


async def test_answered_questions_are_logged_redacted_and_expired_ones_purged(service, database: str):
    http, base, connector = service
    conv = f"a:{uuid.uuid4().hex}"
    question = "When is the last employee conference session? Email me at jo.bloggs@lancashire.gov.uk"
    async with http.post(f"{base}/api/messages", json=activity(connector.url, question, conversation=conv)) as r:
        assert r.status == 201
    store = TurnStore(make_engine(database))
    for _ in range(50):  # the service writes its log once a second (bot.store.turn_writer)
        mine = [t for t in store.since() if t.conversation == conversation_hash(conv)]
        if mine:
            break
        await asyncio.sleep(0.1)
    assert [t.question for t in mine] == ["When is the last employee conference session? Email me at [email address]"]
    assert mine[0].route == "answer" and mine[0].redacted == ("email address",) and mine[0].sources
    # the purge ran when the service started: the 400-day-old row is gone
    assert "A question asked long ago" not in [t.question for t in store.since()]


async def test_report_is_refused_to_staff_outside_the_ig_team(service):
    [reply] = await _send(service, "report", aad="00000000-0000-0000-0000-000000000002")
    assert reply["text"] == "Sorry, 'report' is only for members of the Information Governance Team."
    assert not reply.get("attachments")


async def test_report_gives_ig_members_a_summary_card(service):
    await _send(service, "Where can I buy a bus pass for my dog?")  # at least one decline in the log
    [reply] = await _send(service, "report", aad=IG_MEMBER.upper())
    [attachment] = reply["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    facts = {f["title"]: f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]}
    answered, declined = int(facts["Answered"]), int(facts["Declined"])
    assert answered >= 1 and declined >= 1
    assert int(facts["Questions"]) == answered + declined + int(facts["Handed to IG"])
    # the escalation and feedback tables exist but nothing has been sent or rated in this service yet
    assert facts["Escalations"] == "none" and facts["Likes : dislikes"] == "0:0"
    texts = [b.get("text") or " ".join(i["text"] for i in b.get("inlines", [])) for b in card["body"]]
    assert "Most common declined questions" in texts and any("bus pass for my dog" in t for t in texts)


async def test_the_report_card_shows_what_staff_typed_as_text_never_as_markup(service):
    typed = (
        "<b>bold</b> [click here](http://evil.example/x) **loud** {{DATE(2017-02-14T06:08:39Z, SHORT)}} "
        '"}]}, {"type": "Action.OpenUrl", "url": "http://evil.example"} where do I buy a bus pass for my cat?'
    )
    await _send(service, typed)  # declined: it lands in the report's declined questions
    [reply] = await _send(service, "report", aad=IG_MEMBER)
    card = reply["attachments"][0]["content"]
    shown = [b for b in card["body"] if "bus pass for my cat" in json.dumps(b)]
    assert shown, "the declined question is in the card"
    for block in shown:
        # A TextRun renders no Markdown: the link and the bold stay as typed characters.
        assert block["type"] == "RichTextBlock" and [i["type"] for i in block["inlines"]] == ["TextRun"]
        text = block["inlines"][0]["text"]
        assert "<b>bold</b> [click here](http://evil.example/x) **loud**" in text
        assert "{{" not in text and "DATE(2017-02-14T06:08:39Z, SHORT)" in text  # no card date function
    # The typed JSON stayed inside a string: no element or action was injected into the card.
    assert not card.get("actions") and all(b["type"] != "Action.OpenUrl" for b in card["body"])
