"""A local stand-in for the Bot Framework connector: it records what the bot sends.

It speaks the real wire format: replies arrive as POST /v3/conversations/{id}/activities/{replyToId}
with the activity as JSON, exactly as the Teams channel's serviceUrl receives them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientSession, web


class Connector:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.ids: list[str] = []  # the activity id the channel gave each recorded activity
        self.authorizations: list[str | None] = []  # the Authorization header of each reply
        self._arrived = asyncio.Condition()
        self.url = ""
        self._runner: web.AppRunner | None = None
        # The roster, as Teams serves it: GET /v3/conversations/{id}/members/{member id}.
        self.members: dict[str, dict[str, Any]] = {}
        self.member_lookups: list[str] = []
        # Conversations Teams no longer lets the bot write to (the bot removed or blocked): 404 and nothing recorded.
        self.gone: set[str] = set()
        # Seconds the channel takes to answer a post it has already shown to the user (Teams running slow).
        self.slow_seconds = 0.0

    async def _record(self, request: web.Request) -> web.Response:
        if request.match_info["conversation"] in self.gone:
            error = {"error": {"code": "ConversationNotFound", "message": "Conversation not found."}}
            return web.json_response(error, status=404)
        body = await request.json()
        sent_id = str(uuid.uuid4())
        async with self._arrived:
            self.received.append(body)
            self.paths.append(request.path)
            self.ids.append(sent_id)
            self.authorizations.append(request.headers.get("Authorization"))
            self._arrived.notify_all()
        if self.slow_seconds:
            await asyncio.sleep(self.slow_seconds)
        return web.json_response({"id": sent_id})

    async def _member(self, request: web.Request) -> web.Response:
        """A ChannelAccount in the Bot Framework wire format, or Teams' 404 error body."""
        member_id = request.match_info["member"]
        self.member_lookups.append(member_id)
        member = self.members.get(member_id)
        if member is None:
            error = {"error": {"code": "MemberNotFoundInConversation", "message": "The member was not found"}}
            return web.json_response(error, status=404)
        return web.json_response(member)

    async def start(self) -> Connector:
        app = web.Application()
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)
        app.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._record)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._record)
        self._runner, base = await serve(app)
        self.url = f"{base}/"
        return self

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    def messages(self, conversation: str | None = None) -> list[dict[str, Any]]:
        return [
            a
            for a in self.received
            if a.get("type") == "message" and (conversation is None or a["conversation"]["id"] == conversation)
        ]

    def answers(self, conversation: str) -> list[dict[str, Any]]:
        """The AI-labelled answers only: not the suggested follow-ups or an IG hand-off card."""
        return [
            m
            for m in self.messages(conversation)
            if any(e.get("type") == "https://schema.org/Message" for e in m.get("entities") or [])
        ]

    async def wait_for(self, predicate, timeout: float = 30.0) -> list[dict[str, Any]]:
        async def check() -> list[dict[str, Any]]:
            async with self._arrived:
                await self._arrived.wait_for(lambda: any(predicate(a) for a in self.received))
                return [a for a in self.received if predicate(a)]

        return await asyncio.wait_for(check(), timeout)


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    """Run an aiohttp app on a free loopback port; returns its runner and base URL."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"


def local_settings(knowledge_dir, index_dir, database_url: str, smtp_port: int | None = None, **extra: Any):  # type: ignore[no-untyped-def]
    """The service's settings as the tests run it: anonymous (no app id, so loopback clients only), on
    `database_url`, and with `smtp_port` the IG mailbox on a local SMTP server (no STARTTLS), the outbox
    looked at every half second. `extra` sets or overrides any other setting."""
    from bot.config import Settings

    mail: dict[str, Any] = {}
    if smtp_port is not None:
        mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port, "smtp_starttls": False, "outbox_poll_seconds": 0.5}
    return Settings(
        knowledge_dir=knowledge_dir,
        index_dir=index_dir,
        app_id="",
        app_password="",
        database_url=database_url,
        **{**mail, **extra},
    )


@asynccontextmanager
async def running_service(settings, embedder) -> AsyncIterator[tuple[ClientSession, str]]:  # type: ignore[no-untyped-def]
    """The whole service (bot.compose.make_web_app) on a free port, once healthy: (http session, base URL)."""
    from bot.compose import make_web_app

    runner, base = await serve(make_web_app(settings, embedder=embedder))
    try:
        async with ClientSession() as http:
            await wait_ready(http, base)
            yield http, base
    finally:
        await runner.cleanup()


async def wait_ready(http: ClientSession, base: str) -> None:
    """Wait until the bot's /healthz says the model and index are loaded."""
    for _ in range(600):
        async with http.get(f"{base}/healthz") as r:
            if r.status == 200:
                return
        await asyncio.sleep(0.1)
    raise AssertionError("never became healthy")


def activity(
    service_url: str, text: str | None = "hello", conversation: str = "a:conv-1", **extra: Any
) -> dict[str, Any]:
    """A Bot Framework message activity as the Teams channel posts it."""
    body: dict[str, Any] = {
        "type": "message",
        "id": str(uuid.uuid4()),
        "timestamp": "2026-11-25T10:00:00.000Z",
        "serviceUrl": service_url,
        "channelId": "msteams",
        "from": {"id": "29:user-1", "name": "Test User", "aadObjectId": "00000000-0000-0000-0000-000000000001"},
        "conversation": {"id": conversation, "conversationType": "personal", "tenantId": "tenant-1"},
        "recipient": {"id": "28:bot-1", "name": "Governance Assistant"},
        "locale": "en-GB",
        "channelData": {"tenant": {"id": "tenant-1"}},
    }
    if text is not None:
        body["text"] = text
    body.update(extra)
    return body
