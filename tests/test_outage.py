"""A database outage, over HTTP against the real app on a PostgreSQL server of the test's own.

The server is stopped as an outage stops it (`pg_ctl -m fast stop`) and started again on the same
port. What staff and an operator notice: /healthz says not ready, with the reason, and ready again
by itself; questions are still answered; a Send says on the card that it was not sent, keeps what
was typed, and works when pressed again; the email then goes exactly once, and the staff member is
told "delivered" once, without a restart. Nothing logged quotes a Teams id or an email address.
(The long version, 40 s down with SMTP refusing and a replica killed, is bench/chaos.py --outage.)
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

import pytest

from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, local_settings, running_service
from tests.databases import new_postgres_database
from tests.mail.smtp_server import SmtpServer
from tests.test_escalation_flow import QUESTION, ROSTER_EMAIL, _card, _card_text, _invoke_activity

USER = "29:outage-user-7c1d"


@pytest.fixture(scope="module")
async def world(own_postgres, bulletin_index, embedder):
    smtp = SmtpServer().start()
    connector = await Connector().start()
    connector.members[USER] = {"id": USER, "name": "Olive Outage", "email": ROSTER_EMAIL, "tenantId": "tenant-1"}
    url = new_postgres_database(own_postgres.url)
    # stopping the service at the end must not raise, whatever the background tasks went through
    async with running_service(local_settings(KNOWLEDGE, bulletin_index, url, smtp.port), embedder) as (http, base):
        yield http, base, connector, smtp
    await connector.stop()
    smtp.stop()


def _from(connector: Connector, text: str | None, conv: str) -> dict:
    body = activity(connector.url, text, conversation=conv)
    body["from"] = {"id": USER, "name": "Olive Outage"}
    return body


async def _health(http, base) -> tuple[int, dict]:
    async with http.get(f"{base}/healthz") as r:
        return r.status, await r.json()


async def _until(predicate, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await predicate()
        if found:
            return found
        await asyncio.sleep(0.25)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


async def _send(http, base, connector, conv, card, edits) -> tuple[int, dict]:
    button = next(a for a in card["actions"] if a["title"] == "Send to IG")
    data = {**button["data"], **{e["id"]: e.get("value", "") for e in card["body"] if e["type"] == "Input.Text"}}
    data.update(edits)
    body = _invoke_activity(connector, conv, button["verb"], data)
    body["from"] = {"id": USER, "name": "Olive Outage"}
    async with http.post(f"{base}/api/messages", json=body) as r:
        return r.status, await r.json()


async def test_a_database_outage_is_reported_survived_and_nothing_sent_is_lost(world, own_postgres, caplog):
    caplog.set_level(logging.INFO)
    http, base, connector, smtp = world
    conv = f"a:outage-{uuid.uuid4().hex}"
    await http.post(f"{base}/api/messages", json=_from(connector, QUESTION, conv))
    card = _card(connector.messages(conv))
    assert card is not None
    status, health = await _health(http, base)
    assert status == 200 and health["ready"] and health["database"] == "reachable"
    assert health["tasks"]["outbox-sender"]["running"]

    await asyncio.to_thread(own_postgres.pause)
    try:
        # /healthz turns not ready, with the reason, within a few seconds
        async def down():  # type: ignore[no-untyped-def]
            status, health = await _health(http, base)
            return (status, health) if status == 503 else None

        status, health = await _until(down, 15, "/healthz never showed the outage")
        assert health["ready"] is False and "database is unreachable" in health["error"]
        assert health["database"] == "unreachable"

        # a question is still answered (without its follow-up context)
        other = f"a:outage-{uuid.uuid4().hex}"
        async with http.post(
            f"{base}/api/messages", json=_from(connector, "When is the last employee conference session?", other)
        ) as r:
            assert r.status == 201
        assert "27 November" in connector.messages(other)[0]["text"]

        # Send: a 200 with the form back, saying it was not sent, with what was typed kept
        edits = {"purpose": "Faster write-ups for the panel", "service": "Adult Social Care"}
        status, response = await _send(http, base, connector, conv, card, edits)
        assert status == 200, response
        assert response["statusCode"] == 200 and response["type"] == "application/vnd.microsoft.card.adaptive"
        returned = response["value"]
        assert "Not sent" in _card_text(returned) and next(a["title"] for a in returned["actions"]) == "Send to IG"
        typed = {e["id"]: e.get("value") for e in returned["body"] if e["type"] == "Input.Text"}
        assert typed["purpose"] == edits["purpose"] and typed["service"] == edits["service"]
        assert typed["question"] == QUESTION and typed["reply_to"] == ROSTER_EMAIL
        await asyncio.sleep(6)  # long enough for every background task to fail a few times
    finally:
        await asyncio.to_thread(own_postgres.resume)

    async def up():  # type: ignore[no-untyped-def]
        status, health = await _health(http, base)
        return health if status == 200 else None

    health = await _until(up, 15, "/healthz never became ready again by itself")
    assert health["database"] == "reachable" and health["tasks"]["outbox-sender"]["running"]

    # the returned card's Send works now: sent, emailed once, and "delivered" said once
    status, response = await _send(http, base, connector, conv, returned, {})
    assert status == 200 and "Sent: IG-" in _card_text(response["value"]), response
    reference = re.search(r"IG-\d{4}-\d{6}", _card_text(response["value"])).group(0)

    async def delivered():  # type: ignore[no-untyped-def]
        return [m for m in connector.messages(conv) if "has been delivered to the" in (m.get("text") or "")]

    await _until(delivered, 60, "the escalation was never delivered after the outage")
    await asyncio.sleep(1.5)
    assert [m["Subject"] for m in smtp.handler.accepted if reference in m["Subject"]] == [
        next(m["Subject"] for m in smtp.handler.accepted if reference in m["Subject"])
    ]
    assert len(await delivered()) == 1
    assert "Faster write-ups for the panel" in smtp.handler.accepted[-1].get_payload(decode=True).decode()

    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "outbox-sender failed" in logged or "database-watch failed" in logged
    assert logged.count("database-watch failed") == 1  # once per outage, not once per check
    for secret in (USER, conv, ROSTER_EMAIL, "Olive Outage"):
        assert secret not in logged
