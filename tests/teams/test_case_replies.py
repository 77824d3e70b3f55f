"""The case reply worker against the Bot Framework channel stub: each IG reply reaches the staff member once.

Two workers (two replicas) share one database, SQLite and PostgreSQL, with a short lease. A post that
Teams is slow to answer keeps its claim (renewed while in flight), so the other worker never posts the
reply a second time; a worker that died holding a claim leaves it to lapse, and the reply is posted by
the other worker, once.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest

from bot.config import Settings
from bot.core import cases as rules
from bot.store.cases import IG, SENT, CaseStore
from bot.store.db import open_database
from bot.store.escalations import EscalationStore
from bot.teams.adapter import make_adapter
from bot.teams.case_replies import ReplyPoster
from tests.connector import Connector

LEASE_S = 0.6
CHAT = "a:staff-chat-1"


@pytest.fixture()
async def connector():
    channel = await Connector().start()
    yield channel
    await channel.stop()


def _reply(database_url: str, service_url: str) -> tuple[CaseStore, int]:
    """A case whose IG reply waits to be posted into the staff member's own chat."""
    engine = open_database(database_url)
    e, _ = EscalationStore(engine).create(
        "key-1",
        user_name="Staff",
        user_email="staff@lancashire.gov.uk",
        question="Can I use Copilot on case notes?",
        fields={},
        passages=[],
        conversation_reference={
            "user": {"id": "29:staff", "name": "Staff"},
            "bot": {"id": "28:bot", "name": "Governance Assistant"},
            "conversation": {"id": CHAT, "conversationType": "personal", "tenantId": "tenant-1"},
            "channelId": "msteams",
            "serviceUrl": service_url,
        },
    )
    cases = CaseStore(engine, lease_seconds=LEASE_S)
    reply = cases.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="Yes, with the council's licence.")
    return cases, reply.id


def _worker(cases: CaseStore) -> ReplyPoster:
    adapter = make_adapter(Settings(app_id="", app_password=""))
    return ReplyPoster(cases, adapter, "", "Information Governance Team", poll_seconds=0.1, backoff_max=0.2)


def _posted(connector: Connector) -> list[str]:
    return [m["text"] for m in connector.messages(CHAT) if "licence" in (m.get("text") or "")]


@contextlib.asynccontextmanager
async def _running(worker: ReplyPoster):
    task = asyncio.create_task(worker.run())
    try:
        yield
    finally:
        worker.stop()
        await asyncio.wait_for(task, 10)


async def test_a_reply_teams_is_slow_to_take_is_posted_once_though_another_worker_sweeps(database_url, connector):
    cases, reply_id = _reply(database_url, connector.url)
    first, second = _worker(cases), _worker(cases)
    connector.slow_seconds = 5 * LEASE_S  # the message is in the chat, Teams answers the post long after the lease
    posting = asyncio.create_task(first.post_due())
    await connector.wait_for(lambda a: "licence" in (a.get("text") or ""))
    async with _running(second):  # the other replica sweeps all the while, its database answering throughout
        assert await asyncio.wait_for(posting, 30) == 1
        await asyncio.sleep(2 * LEASE_S)
    assert len(_posted(connector)) == 1, _posted(connector)
    assert cases.event(reply_id).delivery == SENT


async def test_a_reply_claimed_by_a_worker_that_died_is_posted_once_by_another(database_url, connector):
    cases, reply_id = _reply(database_url, connector.url)
    assert cases.claim_reply(reply_id)  # a worker claimed it, then its replica was killed before posting
    started = time.monotonic()
    async with _running(_worker(cases)):
        await connector.wait_for(lambda a: "licence" in (a.get("text") or ""), timeout=30)
        waited = time.monotonic() - started
        await asyncio.sleep(2 * LEASE_S)
    assert len(_posted(connector)) == 1 and cases.event(reply_id).delivery == SENT
    assert waited >= LEASE_S  # not before the dead worker's claim lapsed


async def test_a_worker_back_from_a_database_outage_leaves_a_lapsed_claim_for_a_lease(database_url, connector):
    """Its database just came back: the claim's worker may have posted before the outage and be about to
    record it, so the reply is not posted again until the database has answered for a whole lease."""
    cases, reply_id = _reply(database_url, connector.url)
    assert cases.claim_reply(reply_id)
    await asyncio.sleep(LEASE_S * 1.2)  # lapsed
    worker = _worker(cases)
    worker.task.ok_since = None  # its last pass failed: the database was away
    assert await worker.post_due() == 0 and _posted(connector) == []
    worker.task.ok_since = time.monotonic() - LEASE_S  # it has answered for a whole lease since
    assert await worker.post_due() == 1 and len(_posted(connector)) == 1
