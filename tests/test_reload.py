"""Live reload and the IG team's commands, over HTTP against the real app and the real model."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.compose import make_web_app
from bot.config import Settings
from bot.core.index_store import build_index
from tests.connector import Connector, activity, serve, wait_ready

IG_MEMBER = "11111111-2222-3333-4444-555555555555"
CANTEEN = "What time does the staff canteen at County Hall close?"
CANTEEN_DOC = (
    "---\ntitle: Facilities bulletin\ndate: 2025-02-01\n---\n## Staff canteen\n\n"
    "The staff canteen at County Hall closes at 2.30pm on weekdays from 1 March 2025.\n"
)


@pytest.fixture()
async def live(knowledge_copy: Path, tmp_path: Path, embedder):
    """A running bot over its own index, polling for new builds every 0.2 s."""
    index = tmp_path / "index"
    build_index(knowledge_copy, index, embedder)
    settings = Settings(
        knowledge_dir=knowledge_copy,
        index_dir=index,
        app_id="",
        app_password="",
        ig_members=f"{IG_MEMBER.upper()}, someone-else",
        index_poll_seconds=0.2,
    )
    connector = await Connector().start()
    async with ClientSession() as http:
        runner, base = await serve(make_web_app(settings, embedder=embedder))
        await wait_ready(http, base)
        yield http, base, connector, knowledge_copy, index
        await runner.cleanup()
    await connector.stop()


async def _say(http, base, connector, text, aad=None) -> tuple[int, list[str]]:
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(connector.url, text, conversation=conv)
    if aad is not None:
        body["from"]["aadObjectId"] = aad
    async with http.post(f"{base}/api/messages", json=body) as r:
        status = r.status
    return status, [m["text"] for m in connector.messages(conv) if "text" in m]


async def test_a_new_build_is_swapped_in_without_failing_requests_in_flight(live, embedder):
    http, base, connector, knowledge, index = live
    _, before = await _say(http, base, connector, CANTEEN)
    assert "can't find" in before[0]
    (knowledge / "facilities.md").write_text(CANTEEN_DOC)

    results: list[tuple[int, list[str]]] = []
    swapped = asyncio.Event()

    async def keep_asking() -> None:
        after_swap = 0
        while after_swap < 8:
            batch = await asyncio.gather(*(_say(http, base, connector, CANTEEN) for _ in range(4)))
            results.extend(batch)
            if swapped.is_set():
                after_swap += len(batch)

    async def rebuild() -> None:  # what `python -m bot index` does from a shell, in another thread
        while len(results) < 8:  # requests are flowing before the build starts
            await asyncio.sleep(0.05)
        await asyncio.to_thread(build_index, knowledge, index, embedder)
        for _ in range(100):
            async with http.get(f"{base}/healthz") as r:
                if (await r.json())["chunks"] > 0 and "2.30pm" in (await _say(http, base, connector, CANTEEN))[1][0]:
                    break
            await asyncio.sleep(0.1)
        swapped.set()

    await asyncio.gather(keep_asking(), rebuild())
    assert len(results) >= 16
    assert all(status == 201 and len(texts) == 1 for status, texts in results), results
    assert not any("went wrong" in texts[0] for _, texts in results)
    answers = [texts[0] for _, texts in results]
    assert "2.30pm" in answers[-1]  # the answers switched to the new content
    assert all("2.30pm" in a or "can't find" in a for a in answers)  # each from one index or the other
    assert "can't find" in answers[0] and sum("2.30pm" in a for a in answers) >= 8


async def test_ig_members_can_see_index_status_and_refresh(live):
    http, base, connector, knowledge, _ = live
    status, texts = await _say(http, base, connector, "Index status", aad=IG_MEMBER)
    assert status == 201
    async with http.get(f"{base}/healthz") as r:
        build = (await r.json())["index"]
    assert build in texts[0] and "1 documents" in texts[0] and "No files failed" in texts[0]

    (knowledge / "facilities.md").write_text(CANTEEN_DOC)
    (knowledge / "broken.md").write_text("---\ntitle: [unclosed\n---\n")
    _, texts = await _say(http, base, connector, "refresh", aad=IG_MEMBER)
    assert texts[0].startswith("Refreshing")
    assert "1 added, 0 changed, 0 removed, 1 unchanged, 1 failed" in texts[1] and "broken.md" in texts[1]
    _, answer = await _say(http, base, connector, CANTEEN)
    assert "2.30pm" in answer[0]  # served at once, without waiting for the poll
    _, texts = await _say(http, base, connector, "index status", aad=IG_MEMBER)
    assert "2 documents" in texts[0] and "broken.md" in texts[0] and build not in texts[0]


@pytest.mark.parametrize("aad", ["99999999-0000-0000-0000-000000000000", None])
async def test_everyone_else_is_refused_politely(live, aad):
    http, base, connector, knowledge, _ = live
    (knowledge / "facilities.md").write_text(CANTEEN_DOC)
    for command in ("refresh", "index status"):
        status, texts = await _say(http, base, connector, command, aad=aad or "")
        assert status == 201
        assert texts == [f"Sorry, '{command}' is only for members of the Information Governance Team."]
    _, answer = await _say(http, base, connector, CANTEEN)
    assert "can't find" in answer[0]  # nothing was rebuilt
