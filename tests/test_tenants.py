"""ALLOWED_TENANT_IDS over HTTP: with an app id, activities from other tenants are refused before anything runs."""

from __future__ import annotations

import uuid

import pytest

from bot.config import Settings
from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, running_service
from tests.teams.test_auth import APP_ID, Identity, token

OURS = "6f1c2a3b-0000-4000-8000-0000000000aa"


@pytest.fixture(scope="module")
async def council(embedder, bulletin_index):
    """The bot with an app id, serving only OURS (given in upper case: tenant ids compare case-blind)."""
    identity = await Identity().start()
    channel = await Connector().start()
    settings = Settings(
        knowledge_dir=KNOWLEDGE,
        index_dir=bulletin_index,
        app_id=APP_ID,
        app_password="bot-secret",
        openid_metadata_url=f"{identity.base}/teams/metadata",
        login_url=f"{identity.base}/botframework.com",
        allowed_tenant_ids=f" {OURS.upper()} , 11111111-2222-4333-8444-555555555555",
    )
    async with running_service(settings, embedder) as (http, base):
        yield http, base, channel
    await channel.stop()
    await identity._runner.cleanup()


def _from_tenant(channel: Connector, conv: str, tenant: str | None, where: str = "channelData") -> dict:
    body = activity(channel.url, "When is the last employee conference session?", conversation=conv)
    body.pop("channelData"), body["conversation"].pop("tenantId")  # the test connector's default tenant
    if tenant is not None and where == "channelData":
        body["channelData"] = {"tenant": {"id": tenant}}
    elif tenant is not None:
        body["conversation"]["tenantId"] = tenant
    return body


async def _post(http, base, body, channel) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token(channel.url)}"}  # a valid token: only the tenant is wrong
    async with http.post(f"{base}/api/messages", json=body, headers=headers) as r:
        return r.status, await r.json(content_type=None) if r.status != 201 else {}


@pytest.mark.parametrize(
    ("tenant", "where"),
    [("0e9d8c7b-aaaa-4bbb-8ccc-dddddddddddd", "channelData"), ("0e9d8c7b-aaaa-4bbb-8ccc-dddddddddddd", "conversation"),
     (None, "channelData"), ("", "channelData")],
    ids=["other-tenant", "other-tenant-in-conversation", "no-tenant", "empty-tenant"],
)  # fmt: skip
async def test_an_activity_from_another_tenant_is_refused_and_gets_no_reply(council, tenant, where):
    http, base, channel = council
    conv = f"a:{uuid.uuid4().hex}"
    status, body = await _post(http, base, _from_tenant(channel, conv, tenant, where), channel)
    assert status == 403 and list(body) == ["error"] and "tenant" in body["error"] and "\n" not in body["error"]
    assert channel.messages(conv) == []


@pytest.mark.parametrize("where", ["channelData", "conversation"])
async def test_an_activity_from_the_councils_tenant_is_answered(council, where):
    http, base, channel = council
    conv = f"a:{uuid.uuid4().hex}"
    status, _ = await _post(http, base, _from_tenant(channel, conv, OURS, where), channel)
    assert status == 201
    assert "27 November" in channel.messages(conv)[0]["text"]


@pytest.mark.parametrize("tenant", [OURS, "0e9d8c7b-aaaa-4bbb-8ccc-dddddddddddd", None], ids=["ours", "other", "none"])
async def test_without_a_token_every_tenant_gets_the_same_401(council, tenant):
    """Authentication comes first: an unauthenticated caller cannot learn which tenants are served."""
    http, base, channel = council
    conv = f"a:{uuid.uuid4().hex}"
    async with http.post(f"{base}/api/messages", json=_from_tenant(channel, conv, tenant)) as r:
        assert r.status == 401, await r.text()
        assert "tenant" not in await r.text()
    assert channel.messages(conv) == []
