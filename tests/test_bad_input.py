"""216 hostile and malformed inputs (tests/data/bad_inputs.jsonl) posted to the real service.

Outcomes a user or an operator would notice: never a 5xx, the service stays up, every
question gets a reply with exactly one AI-labelled entity, and no markup, from a question or
from a document, ever reaches Teams as live HTML or Markdown.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import uuid
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout

from bot.compose import make_web_app
from bot.config import Settings
from bot.core.index_store import build_index
from bot.core.small_talk import reply_to
from bot.teams.conversation import strip_mentions
from tests.conftest import DATA, KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready

CASES = [json.loads(line) for line in (DATA / "bad_inputs.jsonl").read_text().splitlines() if line.strip()]
LIVE_HTML = re.compile(r"<\s*[a-zA-Z!/?]")
LIVE_LINK = re.compile(r"(?<!\\)\[[^\]\n]*(?<!\\)\]\s*[(\[]")  # [text](url), ![alt](src), [text][ref]


def test_the_corpus_is_big_and_varied():
    categories = {c["category"] for c in CASES}
    assert len(CASES) >= 200
    assert {"prompt-injection", "markup-injection", "unicode", "wrong-types", "missing-fields", "size"} <= categories


# Malformed or odd activities the service accepts on purpose, with why. Everything else that is
# not a question must be refused with a specific status: a malformed activity answered 201 fails.
ACCEPTED = {
    "type-31": (201, "a mention entity with odd fields is ignored; the text is still a question"),
    "type-40": (201, "a string `value` on a message is a card submit that isn't ours: a polite refusal"),
    "invoke-adaptive-action": (200, "a card action with a bad verb: an invoke response saying so"),
    "missing-recipient": (201, "answerable without it: the reply goes back on the conversation"),
    "missing-id": (201, "answerable without it: the reply is posted to the conversation"),
    "missing-channelId": (201, "answerable without it"),
    "attach-card": (201, "attachments on a question are ignored"),
    "gen-members-added-5000": (201, "a big conversationUpdate: welcomed once"),
    "gen-text-just-under-1mib": (201, "answered with the 'please shorten it' reply"),
    "gen-attachments-10000": (201, "attachments are ignored"),
    "gen-many-keys": (201, "unknown fields are ignored"),
    "gen-entities-10000": (201, "entities that don't mention the bot are ignored"),
    "gen-long-conversation-id": (201, "answered; ids are never used as paths or keys unescaped"),
}


def expected_status(case: dict) -> int:
    if case["kind"] == "text":
        return 201
    if case["id"] in ACCEPTED:
        return ACCEPTED[case["id"]][0]
    if case["id"] == "gen-body-over-1mib":
        return 413
    if case["kind"] == "raw" and "content_type" in case and not case["content_type"].startswith("application/json"):
        return 415
    return 400


def assert_rendered_as_text(reply: dict, answer: bool = True) -> None:
    text = reply.get("text") or ""
    assert not LIVE_HTML.search(text), text[:300]
    assert not LIVE_LINK.search(text), text[:300]
    assert len(text) < 80_000
    if not answer:  # small talk's fixed reply: no quotation, so no citations entity or AI label
        return
    roots = [e for e in reply.get("entities") or [] if e.get("type") == "https://schema.org/Message"]
    assert len(roots) == 1 and roots[0]["additionalType"] == ["AIGeneratedContent"]


def generated(name: str, service_url: str) -> bytes:
    base = activity(service_url, "When is the conference?")
    if name == "body-over-1mib":
        base["text"] = "x" * (1024 * 1024 + 1)
    elif name == "text-just-under-1mib":
        base["text"] = "question " * 110_000
    elif name == "deep-nesting":
        return json.dumps(base)[:-1].encode() + b', "channelData": ' + b'{"a": ' * 10_000 + b"1" + b"}" * 10_001
    elif name == "attachments-10000":
        base["attachments"] = [{"contentType": "text/plain", "content": f"item {i}"} for i in range(10_000)]
    elif name == "entities-10000":
        base["entities"] = [{"type": "mention", "text": "<at>x</at>", "mentioned": {"id": "x"}}] * 10_000
    elif name == "members-added-5000":
        base.update(type="conversationUpdate", membersAdded=[{"id": f"29:{i}"} for i in range(5000)])
    elif name == "many-keys":
        base.update({f"k{i}": i for i in range(20_000)})
    elif name == "long-conversation-id":
        base["conversation"]["id"] = "a:" + "c" * 100_000
    return json.dumps(base).encode()


def request_for(case: dict, service_url: str) -> tuple[bytes, str, str]:
    """(body, content type, conversation id) for one case."""
    conv = f"a:{uuid.uuid4().hex}"
    if case["kind"] == "text":
        return json.dumps(activity(service_url, case["text"], conversation=conv)).encode(), "application/json", conv
    if case["kind"] == "patch":
        body = activity(service_url, "When is the conference?", conversation=conv)
        body.update(case.get("patch", {}))
        for name in case.get("drop", []):
            body.pop(name, None)
        return json.dumps(body).encode(), "application/json", conv
    if "generate" in case:
        return generated(case["generate"], service_url), "application/json", conv
    return case["body"].encode("utf-8", "surrogatepass"), case["content_type"], conv


@pytest.fixture(scope="module")
async def hostile_index(tmp_path_factory, embedder) -> Path:
    """The real documents plus one whose text is full of markup, as a careless edit could be."""
    knowledge = tmp_path_factory.mktemp("hostile") / "knowledge"
    shutil.copytree(KNOWLEDGE, knowledge)
    (knowledge / "parking-permits.txt").write_text(
        "Staff parking permits\n\n"
        "Staff parking permits are renewed every April through the [parking portal](http://evil.example/phish). "
        "Renewal needs the ![permit badge](http://evil.example/pixel.png) photo and <img src=x onerror=alert(1)> "
        "your pay number. Permits cost **£5** a month, see [the rates][1] and <a href='http://evil.example'>here</a>.\n"
    )
    index = knowledge.parent / "index"
    await asyncio.get_running_loop().run_in_executor(None, build_index, knowledge, index, embedder)
    return index


@pytest.fixture(scope="module")
async def service(hostile_index, embedder):
    connector = await Connector().start()
    settings = Settings(knowledge_dir=KNOWLEDGE, index_dir=hostile_index, app_id="", app_password="")
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    async with ClientSession(timeout=ClientTimeout(total=120)) as http:
        await wait_ready(http, base)
        yield base, connector, http
    await runner.cleanup()
    await connector.stop()


async def test_no_bad_input_gets_a_5xx_or_breaks_the_service(service):
    base, connector, http = service
    gate = asyncio.Semaphore(16)
    statuses: dict[str, int] = {}

    async def post(case: dict) -> None:
        body, content_type, conv = request_for(case, connector.url)
        headers = {"Content-Type": content_type} if content_type else {}
        async with gate, http.post(f"{base}/api/messages", data=body, headers=headers) as r:
            statuses[case["id"]] = r.status
            if r.status >= 400:
                problem = await r.json(content_type=None) if r.content_type == "application/json" else None
                assert problem and "error" in problem, (case["id"], r.status, await r.text())
        if case["kind"] == "text":
            # one reply, not counting an IG card: an answer, or small talk's for what is left of
            # "<at>Governance Assistant</at> <at>Everyone</at> hello" once the mentions are removed
            replies = [m for m in connector.messages(conv) if not m.get("attachments")]
            assert len(replies) == 1, case["id"]
            talk = reply_to(strip_mentions(case["text"], ()))
            assert_rendered_as_text(replies[0], answer=talk is None)

    await asyncio.gather(*(post(c) for c in CASES))
    assert {c["id"]: statuses[c["id"]] for c in CASES} == {c["id"]: expected_status(c) for c in CASES}
    async with http.get(f"{base}/healthz") as r:
        assert r.status == 200
    # and it still answers properly afterwards
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(
        f"{base}/api/messages", json=activity(connector.url, "When is the last employee conference session?", conv)
    ) as r:
        assert r.status == 201
    assert "27 November" in connector.messages(conv)[0]["text"]


async def test_markup_in_a_document_is_quoted_as_text_not_rendered(service):
    base, connector, http = service
    conv = f"a:{uuid.uuid4().hex}"
    question = "How often are staff parking permits renewed?"
    async with http.post(f"{base}/api/messages", json=activity(connector.url, question, conversation=conv)) as r:
        assert r.status == 201
    reply = connector.messages(conv)[0]
    assert "April" in reply["text"]  # the hostile document really was quoted
    assert "parking portal" in reply["text"] and "evil.example" in reply["text"]
    assert_rendered_as_text(reply)
    assert "[1]" in reply["text"]  # the bot's own citation marker still works


def test_prompt_injection_is_declined_escalated_or_answered_only_in_the_documents_words(assistant):
    """No instruction in a question can make the bot say something the documents don't: every
    injection is declined, handed to IG, or answered with sentences quoted from the cited passages."""
    routes: dict[str, int] = {}
    for case in (c for c in CASES if c["category"] == "prompt-injection"):
        answer = assistant.answer(case["text"])
        routes[answer.route.value] = routes.get(answer.route.value, 0) + 1
        if answer.route.value != "answer":
            continue
        quoted = " ".join(c.quote for c in answer.citations)
        said = [s.strip() for s in re.split(r"\s*\[\d+\]\s*", answer.text) if s.strip()]
        assert said and all(s in quoted for s in said), (case["id"], answer.text)
    assert routes.get("decline", 0) + routes.get("escalate", 0) >= 0.9 * sum(routes.values()), routes
