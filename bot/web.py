"""HTTP adapter: the aiohttp application serving /api/messages and /healthz.

The body is validated here, before botbuilder sees it: the SDK answers 500 to broken JSON or
a JSON array, and staff clients and scanners must get a clear 4xx instead.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from botbuilder.core import Bot
from botbuilder.integration.aiohttp import CloudAdapter
from msrest.exceptions import DeserializationError, SerializationError

from bot.logs import new_correlation_id, safe_traceback

log = logging.getLogger(__name__)

REQUIRED_FOR_MESSAGES = ("serviceUrl", "conversation", "from")
STARTUP_TASK = web.AppKey("startup_task", asyncio.Task)
# Set on the request for the adapter (bot.teams.adapter): the body as parsed and validated here, so
# the SDK never parses it a second time, differently; and whether its tenant may be served, which
# the adapter enforces only after authenticating, so an unauthenticated caller learns nothing.
ACTIVITY_BODY = web.RequestKey("activity_body", object)
TENANT_ALLOWED = web.RequestKey("tenant_allowed", bool)
FORBIDDEN_TENANT = "this assistant serves only its own organisation's Microsoft 365 tenant"
CLEANUP_HOOKS = web.AppKey("cleanup_hooks", list)  # coroutines run at shutdown (e.g. stop the outbox sender)


@dataclass
class ServiceState:
    """What /healthz reports; `ready` flips once the model and index are loaded."""

    ready: bool = False
    error: str | None = None
    in_flight: int = 0  # /api/messages requests being handled now (the batcher's hint)
    details: dict[str, Any] = field(default_factory=dict)
    probes: list[Callable[[], dict[str, Any]]] = field(default_factory=list)  # live figures, e.g. outbox
    # Why the instance cannot serve now though loaded (e.g. the database is away): /healthz is 503 then
    checks: list[Callable[[], str | None]] = field(default_factory=list)

    def not_ready(self) -> list[str]:
        reasons = []
        for check in self.checks:
            try:
                reason = check()
            except Exception as exc:  # a broken check is a reason too, not a 500 from /healthz
                reason = f"health check failed ({type(exc).__name__})"
            if reason:
                reasons.append(reason)
        return reasons

    def report(self) -> dict[str, Any]:
        out = dict(self.details)
        for probe in self.probes:
            try:
                out.update(probe())
            except Exception as exc:  # a probe failing must not hide the rest
                out[f"probe_error_{len(out)}"] = type(exc).__name__
        return out


def _problem(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def validate_activity(body: Any) -> str | None:
    """Why a parsed body is not an activity we can handle, or None if it is."""
    if not isinstance(body, dict):
        return "the body must be a JSON object (a Bot Framework activity)"
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.strip():
        return "the activity has no 'type'"
    if kind in ("message", "conversationUpdate", "invoke"):
        for name in REQUIRED_FOR_MESSAGES:
            if not body.get(name):
                return f"the activity has no '{name}'"
        if not isinstance(body["serviceUrl"], str):
            return "'serviceUrl' must be a string"
        for name in ("conversation", "from"):
            value = body[name]
            if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"]:
                return f"'{name}' must be an object with an 'id'"
    for name in ("text", "id", "channelId", "locale", "textFormat"):
        if name in body and body[name] is not None and not isinstance(body[name], str):
            return f"'{name}' must be a string"
    for name in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if name in body and body[name] is not None and not isinstance(body[name], list):
            return f"'{name}' must be a list"
        if isinstance(body.get(name), list) and not all(isinstance(item, dict) for item in body[name]):
            return f"every item of '{name}' must be an object"
    for name in ("from", "conversation", "recipient", "channelData"):
        if body.get(name) is not None and not isinstance(body[name], dict):
            return f"'{name}' must be an object"
    for name in ("from", "conversation", "recipient"):
        for key in ("id", "name", "aadObjectId", "conversationType", "tenantId"):
            value = (body.get(name) or {}).get(key)
            if value is not None and not isinstance(value, str):
                return f"'{name}.{key}' must be a string"
    tenant = (body.get("channelData") or {}).get("tenant")
    if tenant is not None and not isinstance(tenant, dict):
        return "'channelData.tenant' must be an object"
    for name in ("replyToId", "name", "timestamp", "localTimestamp", "serviceUrl"):
        if body.get(name) is not None and not isinstance(body[name], str):
            return f"'{name}' must be a string"
    for where, value in _identifiers(body):
        # JSON can escape half a surrogate pair ("\ud800"): not text, and no database or hash takes it
        if isinstance(value, str) and not _encodable(value):
            return f"'{where}' is not valid Unicode text"
    return None


def _identifiers(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The activity's ids and names: what is stored, hashed or sent back (the text is cleaned elsewhere)."""
    for name in ("id", "replyToId", "serviceUrl", "channelId", "name"):
        yield name, body.get(name)
    for name in ("from", "conversation", "recipient"):
        for key in ("id", "name", "aadObjectId", "conversationType", "tenantId"):
            yield f"{name}.{key}", (body.get(name) or {}).get(key)
    yield "channelData.tenant.id", ((body.get("channelData") or {}).get("tenant") or {}).get("id")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def tenant_of(body: dict[str, Any]) -> str:
    """The Entra tenant an activity comes from: channelData.tenant.id, else conversation.tenantId."""
    tenant = (body.get("channelData") or {}).get("tenant") or {}
    found = tenant.get("id") or (body.get("conversation") or {}).get("tenantId") or ""
    return found.strip().lower() if isinstance(found, str) else ""


def create_app(
    adapter: CloudAdapter,
    bot: Bot,
    state: ServiceState,
    startup: Callable[[], Awaitable[None]] | None = None,
    max_body_bytes: int = 1024 * 1024,
    allowed_tenants: frozenset[str] = frozenset(),
) -> web.Application:
    """Routes only; the composition root supplies the adapter, the bot and start-up work.

    With `allowed_tenants` (lower-case), an activity from any other tenant, or from none, is
    refused with 403 once authenticated, before anything runs: a multi-tenant app registration must
    not serve other organisations. Without a valid token every caller gets the same 401, whatever
    its tenant.
    """

    async def messages(request: web.Request) -> web.StreamResponse:
        correlation = new_correlation_id()  # tags every log line of this activity
        if "application/json" not in request.headers.get("Content-Type", ""):
            return _problem(415, "Content-Type must be application/json")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _problem(413, f"the body is larger than {max_body_bytes} bytes")
        if json.detect_encoding(raw) not in ("utf-8", "utf-8-sig"):  # a BOM is tolerated (RFC 8259 8.1)
            return _problem(400, "the body must be JSON encoded as UTF-8")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _problem(400, "the body is not valid JSON")
        reason = validate_activity(body)
        if reason:
            log.info("rejected activity correlation=%s reason=%s", correlation, reason)
            return _problem(400, reason)
        request[ACTIVITY_BODY] = body
        request[TENANT_ALLOWED] = not allowed_tenants or tenant_of(body) in allowed_tenants
        if not state.ready:
            return web.json_response(
                {"error": "the assistant is starting up, try again shortly"}, status=503, headers={"Retry-After": "5"}
            )
        state.in_flight += 1
        try:
            response = await adapter.process(request, bot)
        except web.HTTPException:
            raise  # 401 from authentication, 415 and friends: already the right answer
        except (DeserializationError, SerializationError):  # e.g. a timestamp that is not a date: the sender's mistake
            log.info("rejected activity correlation=%s reason=undeserialisable field", correlation)
            return _problem(400, "the activity has a field the Bot Framework schema cannot read")
        except jwt.PyJWTError as exc:  # a malformed or unverifiable token is unauthenticated
            log.info("rejected token correlation=%s reason=%s", correlation, type(exc).__name__)
            return _problem(401, "the request's token is not valid")
        except Exception as exc:  # frames and types only: a message may quote ids or SQL parameters
            log.error("activity failed correlation=%s type=%s\n%s", correlation, body.get("type"), safe_traceback(exc))
            return _problem(500, f"the activity could not be processed (correlation id {correlation})")
        finally:
            state.in_flight -= 1
        return response or web.Response(status=201)

    async def healthz(request: web.Request) -> web.Response:
        # Loaded is not enough: while the database is away, say so, so traffic goes elsewhere.
        reasons = state.not_ready()
        ready = state.ready and not reasons
        error = state.error or ("; ".join(reasons) if reasons else None)
        return web.json_response({"ready": ready, "error": error, **state.report()}, status=200 if ready else 503)

    async def on_startup(app: web.Application) -> None:
        if startup is not None:
            app[STARTUP_TASK] = asyncio.create_task(startup())

    async def on_cleanup(app: web.Application) -> None:
        task = app.get(STARTUP_TASK)
        if task is not None and not task.done():
            task.cancel()
        for hook in app.get(CLEANUP_HOOKS, []):
            await hook()

    app = web.Application(client_max_size=max_body_bytes)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app[CLEANUP_HOOKS] = []
    return app
