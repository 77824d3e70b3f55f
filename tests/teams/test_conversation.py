"""The conversation as Teams users meet it, over HTTP against the real app and a local connector.

Mentions and threads in channels and group chats, follow-ups, suggested questions and feedback.
"""

from __future__ import annotations

import json
import uuid

import pytest
from aiohttp import ClientSession
from sqlalchemy import create_engine

from bot.compose import make_web_app
from bot.config import Settings
from bot.store.feedback import FeedbackStore
from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready

BOT = {"id": "28:bot-1", "name": "Governance Assistant"}
MENTION_TEXT = "<at>Governance Assistant</at>"


def mention_entity() -> dict:
    return {"type": "mention", "text": MENTION_TEXT, "mentioned": BOT}


@pytest.fixture(scope="module")
async def connector():
    c = await Connector().start()
    yield c
    await c.stop()


@pytest.fixture(scope="module")
async def http():
    async with ClientSession() as s:
        yield s


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'bot.sqlite3'}"


@pytest.fixture(scope="module")
async def bot_url(bulletin_index, embedder, http, database_url):
    settings = Settings(
        knowledge_dir=KNOWLEDGE, index_dir=bulletin_index, app_id="", app_password="", database_url=database_url
    )
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    await wait_ready(http, base)
    yield base
    await runner.cleanup()


async def post(http, bot_url, body) -> int:
    async with http.post(f"{bot_url}/api/messages", json=body) as r:
        assert r.status < 500, await r.text()
        return r.status


def answers(connector: Connector, conv: str) -> list[dict]:
    """The bot's answers in a conversation (not an IG card or a small-talk reply)."""
    return [a for a in connector.messages(conv) if a.get("entities")]


def channel_thread() -> tuple[str, dict]:
    """A channel conversation as Teams sends it for a thread: the root post id after ;messageid=."""
    root = str(1700000000000 + uuid.uuid4().int % 10**9)
    conv_id = f"19:{uuid.uuid4().hex}@thread.tacv2;messageid={root}"
    return conv_id, {"id": conv_id, "conversationType": "channel", "tenantId": "tenant-1", "isGroup": True}


async def test_in_a_channel_the_bot_stays_quiet_unless_mentioned(http, bot_url, connector):
    conv_id, conversation = channel_thread()
    body = activity(connector.url, "When is the last employee conference session?", conversation=conv_id)
    body["conversation"] = conversation
    await post(http, bot_url, body)
    assert [a for a in connector.received if a["conversation"]["id"] == conv_id] == []


async def test_a_mention_in_a_channel_is_answered_in_the_thread_without_the_mention_text(http, bot_url, connector):
    conv_id, conversation = channel_thread()
    body = activity(
        connector.url,
        f"{MENTION_TEXT} When is the last employee conference session?",
        conversation=conv_id,
        entities=[mention_entity()],
    )
    body["conversation"] = conversation
    await post(http, bot_url, body)
    [reply] = connector.messages(conv_id)
    assert "27 November" in reply["text"] and "Governance Assistant" not in reply["text"]
    # Teams threads a channel reply by the thread's conversation id (;messageid=root) and replyToId.
    index = connector.received.index(reply)
    assert connector.paths[index] == f"/v3/conversations/{conv_id}/activities/{body['id']}"
    assert reply["replyToId"] == body["id"]
    assert "suggestedActions" not in reply  # Teams shows suggested actions in personal chats only


async def test_a_group_chat_needs_a_mention_too_and_commands_work_after_it(http, bot_url, connector):
    conv_id = f"19:{uuid.uuid4().hex}@thread.v2"
    group = {"id": conv_id, "conversationType": "groupChat", "tenantId": "tenant-1", "isGroup": True}
    quiet = activity(connector.url, "help", conversation=conv_id)
    quiet["conversation"] = group
    await post(http, bot_url, quiet)
    assert connector.messages(conv_id) == []
    asked = activity(connector.url, f"{MENTION_TEXT} help", conversation=conv_id, entities=[mention_entity()])
    asked["conversation"] = group
    await post(http, bot_url, asked)
    [reply] = connector.messages(conv_id)
    assert "automated assistant" in reply["text"] and "- **about**:" in reply["text"] and "- **help**:" in reply["text"]


async def test_a_mention_of_someone_else_is_not_a_mention_of_the_bot(http, bot_url, connector):
    conv_id, conversation = channel_thread()
    other = {"type": "mention", "text": "<at>Megan</at>", "mentioned": {"id": "29:megan", "name": "Megan"}}
    body = activity(connector.url, "<at>Megan</at> when is the conference?", conversation=conv_id, entities=[other])
    body["conversation"] = conversation
    await post(http, bot_url, body)
    assert connector.messages(conv_id) == []


async def test_a_follow_up_uses_the_previous_question(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(http, bot_url, activity(connector.url, "What must any use of AI comply with?", conversation=conv))
    await post(http, bot_url, activity(connector.url, "and what form do I fill in?", conversation=conv))
    first, follow_up = answers(connector, conv)
    assert "Generative Artificial Intelligence" in first["text"]
    assert "e-form" in follow_up["text"] and "[" in follow_up["text"]
    # Without the first turn, the same words are not enough to answer.
    alone = f"a:{uuid.uuid4().hex}"
    await post(http, bot_url, activity(connector.url, "and what form do I fill in?", conversation=alone))
    [reply] = answers(connector, alone)
    assert "can't find" in reply["text"] and "e-form" not in reply["text"]


async def test_a_follow_up_about_the_conference_place(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(http, bot_url, activity(connector.url, "Was the Burnley conference cancelled?", conversation=conv))
    await post(http, bot_url, activity(connector.url, "why was that?", conversation=conv))
    _, follow_up = answers(connector, conv)
    assert "heating" in follow_up["text"]


CURATED = {
    "Who do I contact about AI and personal data?",
    "What must any use of AI comply with?",
    "What is the new Change Service for?",
    "What is happening with children's social care reform?",
    "How many beds are being added to the council's children's homes?",
    "When is the last employee conference session?",
    "Why was the Burnley conference session cancelled?",
    "Will the last conference session be recorded?",
    "Where was the first employee conference session?",
}  # knowledge/staff-bulletin-2024-11-18.md.yml


async def test_a_follow_up_gets_the_part_it_asks_for_not_the_same_paragraph(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(
        http, bot_url, activity(connector.url, "When is the last employee conference session?", conversation=conv)
    )
    await post(http, bot_url, activity(connector.url, "and where is it?", conversation=conv))
    first, follow_up = answers(connector, conv)
    assert "Whitecross" in first["text"] and "County Hall in Preston" in first["text"]
    # The place of the *last* session, picked out first, then the one sentence that says so.
    assert follow_up["text"].startswith("At County Hall in Preston.")
    assert "Whitecross" not in follow_up["text"] and follow_up["text"] != first["text"]
    [claim] = follow_up["entities"][0]["citation"]
    assert "County Hall in Preston" in claim["appearance"]["abstract"] and "[1]" in follow_up["text"]


async def test_the_same_text_is_never_sent_twice_in_a_row(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    for _ in range(2):
        await post(http, bot_url, activity(connector.url, "Was the Burnley conference cancelled?", conversation=conv))
    first, second = answers(connector, conv)
    assert "heating system" in first["text"]
    # Nothing new to say: it says so, and points to the passage (its citation is still there).
    assert "nothing to add" in second["text"] and "heating" not in second["text"]
    assert (
        "[1]" in second["text"] and "heating system" in second["entities"][0]["citation"][0]["appearance"]["abstract"]
    )


async def test_answers_quote_the_dated_source_and_say_it_may_be_out_of_date(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(
        http, bot_url, activity(connector.url, "When is the last employee conference session?", conversation=conv)
    )
    [reply] = answers(connector, conv)
    text = reply["text"]
    # The bulletin's "we" and its year-less "Wednesday 27 November" now read as quoted, and dated.
    assert text.startswith("From the staff bulletin of 18 November 2024: “Our employee conferences")
    assert "Preston, which will be hybrid.” [1]" in text
    assert "more than 12 months old, so this may be out of date" in text  # the bulletin is from 2024


async def test_answers_offer_questions_from_the_same_section_as_buttons_that_ask_in_full(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(
        http, bot_url, activity(connector.url, "When is the last employee conference session?", conversation=conv)
    )
    # One message: the buttons ride on the answer, which keeps its citations and AI label.
    [answer] = connector.messages(conv)
    assert answer["entities"][0]["citation"] and answer["channelData"]["feedbackLoopEnabled"] is True
    actions = answer["suggestedActions"]["actions"]
    assert [a["value"] for a in actions] == [
        "Why was the Burnley conference session cancelled?",
        "Will the last conference session be recorded?",
    ]
    assert all(a["type"] == "imBack" and len(a["title"]) <= 30 for a in actions)
    assert "Related questions" not in answer["text"]
    # A click sends the full question, which is answered from the same section.
    await post(http, bot_url, activity(connector.url, actions[0]["value"], conversation=conv))
    clicked = answers(connector, conv)[-1]
    assert (
        "heating system" in clicked["text"]
        and "Employee conferences" in clicked["entities"][0]["citation"][0]["appearance"]["name"]
    )


async def test_an_escalation_offers_nearby_questions_on_its_answer_then_the_card(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await post(
        http, bot_url, activity(connector.url, "Who do I contact about AI and personal data?", conversation=conv)
    )
    answer, card = connector.messages(conv)
    assert answer["channelData"]["feedbackLoopEnabled"] is True and answer["entities"][0]["citation"]
    assert card["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    actions = answer["suggestedActions"]["actions"]
    values = [a["value"] for a in actions]
    assert values and set(values) <= CURATED and "Who do I contact about AI and personal data?" not in values
    assert all(len(a["title"]) <= 30 for a in actions)


async def test_the_welcome_renders_as_markdown_and_its_questions_come_separately(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    update = activity(
        connector.url, None, conversation=conv, type="conversationUpdate", membersAdded=[{"id": "29:user-1"}]
    )
    await post(http, bot_url, update)
    welcome, offer = connector.messages(conv)
    # No buttons on the welcome: Teams renders it as Markdown (paragraphs, the privacy-notice link).
    assert "suggestedActions" not in welcome and welcome["textFormat"] == "markdown"
    assert "\n\n" in welcome["text"] and "[privacy notice](https://" in welcome["text"]
    actions = offer["suggestedActions"]["actions"]
    assert len(actions) == 3 and all(len(a["title"]) <= 30 for a in actions)
    assert all(f"“{a['value']}”" in offer["text"] for a in actions)  # readable once the buttons are gone
    # Each suggested question really is answered from the documents.
    for action in actions:
        await post(http, bot_url, activity(connector.url, action["value"], conversation=conv))
    replies = answers(connector, conv)
    assert len(replies) == 3 and all(a["entities"][0].get("citation") for a in replies)


def _feedback(service_url: str, conv: str, reply_to: str, reaction: str, comment: str) -> dict:
    body = activity(service_url, None, conversation=conv, type="invoke", name="message/submitAction")
    body["replyToId"] = reply_to
    body["value"] = {
        "actionName": "feedback",
        "actionValue": {"reaction": reaction, "feedback": json.dumps({"feedbackText": comment})},
    }
    return body


async def test_feedback_is_stored_with_the_redacted_question_and_the_answer(http, bot_url, connector, database_url):
    conv = f"a:{uuid.uuid4().hex}"
    question = "Sarah Jones asked me: when is the last employee conference session?"
    await post(http, bot_url, activity(connector.url, question, conversation=conv))
    [reply] = answers(connector, conv)
    reply_id = connector.ids[connector.received.index(reply)]
    async with http.post(
        f"{bot_url}/api/messages",
        json=_feedback(
            connector.url, conv, reply_id, "dislike", "Wrong venue, email sarah.jones@example.org or ring 07700 900123"
        ),
    ) as r:
        assert r.status == 200
    rows = [f for f in FeedbackStore(create_engine(database_url)).all() if f.reply_id == reply_id]
    [row] = rows
    assert row.reaction == "dislike" and row.route == "answer"
    assert "27 November" in row.answer and row.citations
    assert "conference" in row.question
    stored = json.dumps(row.__dict__)
    assert "Sarah" not in stored and "sarah.jones" not in stored and "07700" not in stored
    assert "Wrong venue" in row.comment


async def test_feedback_that_is_not_a_like_or_dislike_is_refused_and_not_stored(http, bot_url, connector, database_url):
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(f"{bot_url}/api/messages", json=_feedback(connector.url, conv, "reply-x", "meh", "")) as r:
        assert r.status == 400
    assert not [f for f in FeedbackStore(create_engine(database_url)).all() if f.reply_id == "reply-x"]


async def test_a_button_that_sends_its_title_asks_the_full_question(http, bot_url, connector):
    # The Agents Playground sends an imBack's title, not its value: the bot maps it back.
    conv = f"a:{uuid.uuid4().hex}"
    update = activity(
        connector.url, None, conversation=conv, type="conversationUpdate", membersAdded=[{"id": "29:user-1"}]
    )
    await post(http, bot_url, update)
    await post(http, bot_url, activity(connector.url, "Last conference session", conversation=conv))
    [reply] = answers(connector, conv)
    # The answer to "When is the last employee conference session?", and not offered again.
    assert "County Hall in Preston" in reply["text"]
    assert "When is the last employee conference session?" not in [
        a["value"] for a in reply["suggestedActions"]["actions"]
    ]


# -- A conversation that follows the person (issue 20) ------------------------------------------


async def say(http, bot_url, connector: Connector, conv: str, text: str) -> list[dict]:
    """Send one message in `conv`; the bot's messages in reply to it."""
    before = len(connector.messages(conv))
    await post(http, bot_url, activity(connector.url, text, conversation=conv))
    return connector.messages(conv)[before:]


def cards(messages: list[dict]) -> list[dict]:
    return [a["content"] for m in messages for a in m.get("attachments") or []]


def card_question(card: dict) -> str | None:
    return next((b.get("value") for b in card["body"] if b.get("id") == "question"), None)


async def alone(http, bot_url, connector: Connector, text: str) -> str:
    """The reply a message gets as the first of a conversation."""
    [reply, *_] = await say(http, bot_url, connector, f"a:{uuid.uuid4().hex}", text)
    return reply["text"]


async def test_an_unrelated_question_after_an_ig_card_is_asked_on_its_own_not_glued_to_it(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    first = await say(http, bot_url, connector, conv, "Who do I contact about AI and personal data?")
    [card] = cards(first)
    assert card_question(card) == "Who do I contact about AI and personal data?"
    burnley = await say(http, bot_url, connector, conv, "Is there still going to be a session in Burnley?")
    # Not a follow-up of the hand-off: no second card, and the reply the question gets on its own.
    assert cards(burnley) == []
    assert burnley[0]["text"] == await alone(
        http, bot_url, connector, "Is there still going to be a session in Burnley?"
    )
    change = await say(http, bot_url, connector, conv, "What's this new Change Service thing?")
    assert cards(change) == [] and "Change Service" in change[0]["text"]
    assert "Information Governance Team to decide" not in change[0]["text"]


async def test_the_ig_card_asks_the_message_that_escalated_never_the_questions_before_it(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await say(http, bot_url, connector, conv, "What must any use of AI comply with?")
    # A follow-up of an answer about AI that escalates: its card asks this message alone.
    escalated = await say(http, bot_url, connector, conv, "and can I paste case notes into it?")
    [card] = cards(escalated)
    assert card_question(card) == "and can I paste case notes into it?"


async def test_a_new_topic_after_an_answer_is_answered_on_its_own(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    [reform, *_] = await say(http, bot_url, connector, conv, "What is happening with children's social care reform?")
    assert "55 more beds" in reform["text"]
    [burnley, *_] = await say(http, bot_url, connector, conv, "Is there still going to be a session in Burnley?")
    assert "nothing to add" not in burnley["text"] and "social care" not in burnley["text"]
    assert "heating" in burnley["text"]  # answered: the Burnley session was cancelled
    assert burnley["text"] == await alone(http, bot_url, connector, "Is there still going to be a session in Burnley?")


async def test_a_follow_up_the_documents_do_not_answer_says_so_and_points_at_the_passage(
    http, bot_url, connector, database_url
):
    conv = f"a:{uuid.uuid4().hex}"
    [first, *_] = await say(http, bot_url, connector, conv, "Do I have to go to one of the employee conferences?")
    assert "Whitecross" in first["text"]
    replies = await say(http, bot_url, connector, conv, "what about part-time staff?")
    [reply] = replies  # no IG card
    assert reply["text"].startswith("The documents I have don't say anything about part-time staff.")
    assert "Whitecross" not in reply["text"] and "[1]" in reply["text"]  # not the same paragraph again
    [claim] = reply["entities"][0]["citation"]
    assert "Employee conferences" in claim["appearance"]["name"]
    # In the conversation log it is a declined question: the documents don't answer it.
    rows = await _turns(database_url, conv, 2)
    assert [r.route for r in rows] == ["answer", "decline"]


async def _turns(database_url: str, conv: str, count: int) -> list:
    """The conversation-log rows of `conv`, once `count` are written (the writer flushes each second)."""
    import asyncio

    from bot.store.turns import TurnStore, conversation_hash

    store, key = TurnStore(create_engine(database_url)), conversation_hash(conv)
    for _ in range(50):
        rows = [t for t in store.since() if t.conversation == key]
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    return rows


SMALL_TALK = ["hiya", "Good morning!", "hello", "thanks", "cheers", "ta", "who are you", "what can you do", "bye"]


async def test_small_talk_gets_a_short_friendly_reply_and_is_not_a_declined_question(
    http, bot_url, connector, database_url
):
    conv = f"a:{uuid.uuid4().hex}"
    for text in SMALL_TALK:
        [reply] = await say(http, bot_url, connector, conv, text)
        assert "can't find" not in reply["text"] and "won't guess" not in reply["text"], text
        assert len(reply["text"]) < 600 and not reply.get("entities"), text  # no citations: nothing quoted
    texts = [m["text"] for m in connector.messages(conv)]
    assert texts[0].startswith("Hello!") and texts[3].startswith("You're welcome")
    assert "Governance Assistant" in texts[6] and texts[8].startswith("Bye")
    # A real question after it is logged; the small talk is not (the IG report counts questions).
    await say(http, bot_url, connector, conv, "When is the last employee conference session?")
    rows = await _turns(database_url, conv, 1)
    assert [r.route for r in rows] == ["answer"]


async def test_small_talk_never_becomes_the_context_of_a_follow_up(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await say(http, bot_url, connector, conv, "hiya")
    [reply] = await say(http, bot_url, connector, conv, "and where is it?")
    assert reply["text"] == await alone(http, bot_url, connector, "and where is it?")
    # Thanks after an answer leaves the answer to follow up on.
    conv = f"a:{uuid.uuid4().hex}"
    await say(http, bot_url, connector, conv, "When is the last employee conference session?")
    await say(http, bot_url, connector, conv, "thanks")
    [reply] = await say(http, bot_url, connector, conv, "and where is it?")
    assert reply["text"].startswith("At County Hall in Preston.")


async def test_a_suggestion_never_repeats_the_question_just_answered_however_it_was_worded(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    await say(http, bot_url, connector, conv, "When is the last employee conference session?")
    [reply] = await say(http, bot_url, connector, conv, "Why was the Burnley one called off?")
    assert "heating system" in reply["text"]
    offered = [a["value"] for a in (reply.get("suggestedActions") or {}).get("actions", [])]
    titles = [a["title"] for a in (reply.get("suggestedActions") or {}).get("actions", [])]
    assert "Why was the Burnley conference session cancelled?" not in offered
    assert "Why was Burnley cancelled?" not in titles


async def test_ai_for_a_press_release_about_a_service_is_not_handed_to_ig(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    question = "Can I use Copilot to draft a press release about the new children's homes?"
    replies = await say(http, bot_url, connector, conv, question)
    assert cards(replies) == []  # answered or declined by the documents, no IG card
    assert "Information Governance Team to decide" not in replies[0]["text"]


@pytest.mark.parametrize(
    "question,fact",
    [
        ("When is the last conference?", "27 November"),
        ("Will the conference be recorded?", "recording"),
        ("What's the IG team's email address?", "informationgovernance@lancashire.gov.uk"),
        ("what day of the week is the preston one", "Wednesday"),
    ],
)
async def test_plain_questions_the_shipped_bulletin_answers_are_answered_with_a_citation(
    http, bot_url, connector, question, fact
):
    # each declined before the decision judged scores against the index's own background
    [reply, *_] = await say(http, bot_url, connector, f"a:{uuid.uuid4().hex}", question)
    assert fact in reply["text"] and "won't guess" not in reply["text"]
    assert reply["entities"][0]["citation"]


async def test_a_version_the_bot_does_not_hold_is_named_before_what_it_quotes(http, bot_url, connector):
    conv = f"a:{uuid.uuid4().hex}"
    question = "What did the old 2023 version of the Generative AI policy say?"
    [reply, *_] = await say(http, bot_url, connector, conv, question)
    first = reply["text"].split("\n\n")[0]
    assert first.startswith("I don't hold the 2023 version of that document.")
    assert "Staff bulletin, week of 18 November 2024" in first
    # and the next question, about what it does hold, gets no such note
    [after, *_] = await say(http, bot_url, connector, conv, "Why was the Burnley conference cancelled?")
    assert "I don't hold" not in after["text"] and "heating" in after["text"]
