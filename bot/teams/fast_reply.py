"""A lean outbound path for replies, and inbound authentication kept from botbuilder.

botbuilder's CloudAdapter builds a connector client and a user-token client for every turn and
sends each reply through msrest (which builds a retry policy twice per reply): about 20 ms of
CPU a turn on this machine, the service's throughput ceiling. Here:

- inbound: the SDK still authenticates every request (the Bot Framework JWT, its issuer,
  audience, signing key and `serviceurl` claim); any failure is a 401;
- outbound: activities go straight to `{serviceUrl}/v3/conversations/{id}/activities/{replyToId}`
  over one pooled aiohttp session, with the bot's own token (OAuth client credentials, cached
  until shortly before it expires) when credentials are configured; 429 and 5xx are retried
  with exponential backoff and jitter, honouring Retry-After;
- the SDK's signing-key refresh (a blocking `requests.get`) runs on a thread, not the event loop.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import aiohttp
import requests
from aiohttp import web
from botbuilder.core import Bot, InvokeResponse, TurnContext, serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from botframework.connector.auth import AuthenticationConstants, BotFrameworkAuthentication
from botframework.connector.auth import jwt_token_extractor as _jte

from bot.teams.wire import to_wire

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
KEY_FETCH_TIMEOUT = 10


class ReplyFailed(Exception):
    """The channel refused or never took a reply."""


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter; a server's Retry-After wins when it gives one."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 10.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.cap) + random.uniform(0, self.base)
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


class TokenSource:
    """The bot's access token for the channel (OAuth 2 client credentials), cached until near expiry.

    `authority` is e.g. https://login.microsoftonline.com/botframework.com (multi-tenant) or
    .../{tenant id} (single tenant); the token endpoint is `{authority}/oauth2/v2.0/token`.
    """

    def __init__(self, app_id: str, password: str, authority: str, scope: str) -> None:
        self.app_id = app_id
        self._password = password
        self.token_url = authority.rstrip("/") + "/oauth2/v2.0/token"
        self.scope = scope.rstrip("/") + "/.default"
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    def invalidate(self) -> None:
        self._token = None

    async def token(self, session: aiohttp.ClientSession) -> str:
        if self._token and time.monotonic() < self._expires:
            return self._token
        async with self._lock:
            if self._token and time.monotonic() < self._expires:
                return self._token
            form = {
                "grant_type": "client_credentials",
                "client_id": self.app_id,
                "client_secret": self._password,
                "scope": self.scope,
            }
            async with session.post(self.token_url, data=form) as r:
                if r.status != 200:
                    raise ReplyFailed(f"token endpoint answered {r.status}")
                body = await r.json(content_type=None)
            self._token = body["access_token"]
            # renew five minutes early (or at half-life for short-lived tokens)
            lifetime = float(body.get("expires_in", 3600))
            self._expires = time.monotonic() + max(lifetime - 300, lifetime / 2)
            return self._token


class ReplySender:
    """Posts activities to the channel over one pooled session."""

    def __init__(self, tokens: TokenSource | None = None, backoff: Backoff | None = None, timeout: float = 15) -> None:
        self.tokens = tokens
        self.backoff = backoff or Backoff()
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self.sent = 0
        self.retries = 0

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=200, limit_per_host=100, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self._timeout)
        return self._session

    @staticmethod
    def url(activity: Activity) -> str:
        base = (
            f"{activity.service_url.rstrip('/')}/v3/conversations/{quote(activity.conversation.id, safe='')}/activities"
        )
        return f"{base}/{quote(activity.reply_to_id, safe='')}" if activity.reply_to_id else base

    async def send(self, activity: Activity) -> ResourceResponse:
        session = self._http()
        url = self.url(activity)
        body = to_wire(activity)
        refreshed = False
        attempt = 0
        while True:
            headers = {}
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {await self.tokens.token(session)}"
            try:
                async with session.post(url, json=body, headers=headers) as r:
                    if r.status < 300:
                        self.sent += 1
                        try:  # the channel's ResourceResponse; an empty or odd body still means delivered
                            data = await r.json(content_type=None)
                        except ValueError:
                            data = None
                        return ResourceResponse(id=(data or {}).get("id", "") if isinstance(data, dict) else "")
                    if r.status == 401 and self.tokens is not None and not refreshed:
                        self.tokens.invalidate()  # revoked or rotated: fetch a new one once
                        refreshed = True
                        continue
                    if r.status not in RETRY_STATUSES or attempt + 1 >= self.backoff.attempts:
                        raise ReplyFailed(f"the channel answered {r.status}")
                    wait = self.backoff.delay(attempt, r.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as exc:
                # Retry only when nothing reached the channel; a timeout after sending might duplicate the reply.
                if not isinstance(exc, aiohttp.ClientConnectorError) or attempt + 1 >= self.backoff.attempts:
                    raise ReplyFailed(f"the channel could not be reached ({type(exc).__name__})") from exc
                wait = self.backoff.delay(attempt, None)
            attempt += 1
            self.retries += 1
            await asyncio.sleep(wait)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class FastCloudAdapter(CloudAdapter):
    """CloudAdapter with the SDK's authentication and a lean reply path."""

    def __init__(
        self, authentication: BotFrameworkAuthentication, sender: ReplySender, require_service_url_claim: bool = False
    ) -> None:
        super().__init__(authentication)
        self.sender = sender
        self.require_service_url_claim = require_service_url_claim

    async def process(self, request: web.Request, bot: Bot, ws_response: web.WebSocketResponse | None = None):
        """POST only (the body was validated by bot.web); a PermissionError anywhere is a 401."""
        if request.method != "POST":
            raise web.HTTPMethodNotAllowed(request.method, ["POST"])
        activity = Activity().deserialize(await request.json())
        try:
            invoke = await self.process_activity(request.headers.get("Authorization", ""), activity, bot.on_turn)
        except PermissionError as exc:
            raise web.HTTPUnauthorized(
                text='{"error": "the request is not authorised"}', content_type="application/json"
            ) from exc
        if invoke is None:
            return web.Response(status=201)
        body = invoke.body
        if body is not None and not isinstance(body, dict | list | str | int | float | bool):
            body = serializer_helper(body)
        return web.json_response(body, status=invoke.status)

    async def process_activity(
        self, auth_header_or_result, activity: Activity, logic: Callable[[TurnContext], Awaitable]
    ):
        if isinstance(auth_header_or_result, str):
            try:
                result = await self.bot_framework_authentication.authenticate_request(activity, auth_header_or_result)
            except PermissionError:
                raise
            except OSError as exc:  # the signing keys could not be fetched: our problem, not the caller's
                log.warning("signing keys unavailable (%s)", type(exc).__name__)
                raise web.HTTPServiceUnavailable(headers={"Retry-After": "30"}) from exc
            except Exception as exc:  # unknown key id, bad endorsement, undecodable token: unauthenticated
                raise PermissionError(f"token rejected ({type(exc).__name__})") from exc
        else:
            result = auth_header_or_result
        if self.require_service_url_claim:
            # Reply only where the channel's token says: the serviceurl claim must match exactly.
            claims = result.claims_identity.claims if result.claims_identity else {}
            if claims.get(AuthenticationConstants.SERVICE_URL_CLAIM) != activity.service_url:
                raise PermissionError("the token does not vouch for this serviceUrl")
        activity.caller_id = result.caller_id
        # No per-turn ConnectorClient or UserTokenClient (about 20 ms of CPU together): replies go
        # through send_activities below; the factory stays available for anything that needs a client.
        context = self._create_turn_context(
            activity, result.claims_identity, result.audience, None, None, logic, result.connector_factory
        )
        await self.run_pipeline(context, logic)
        return self._process_turn_results(context)

    def _process_turn_results(self, context: TurnContext):  # type: ignore[no-untyped-def]
        """An invoke nobody handled is the sender's request we don't support: 400, not the SDK's 501."""
        result = super()._process_turn_results(context)
        if context.activity.type == ActivityTypes.invoke and (result is None or result.status >= 500):
            name = context.activity.name if isinstance(context.activity.name, str) else ""
            return InvokeResponse(status=400, body={"error": f"this bot does not handle the invoke '{name[:100]}'"})
        return result

    async def send_activities(self, context: TurnContext, activities: list[Activity]) -> list[ResourceResponse]:
        responses = []
        for activity in activities:
            activity.id = None
            if activity.type == ActivityTypes.invoke_response:
                context.turn_state[self._INVOKE_RESPONSE_KEY] = activity
                responses.append(ResourceResponse(id=""))
            elif activity.type in (ActivityTypes.trace, "delay"):
                responses.append(ResourceResponse(id=""))
            else:
                responses.append(await self.sender.send(activity))
        return responses


def copy_replies_shallowly() -> None:
    """TurnContext deep-copies every outgoing activity before stamping the conversation on it:
    about 1 ms of event-loop time per message here, for a copy nothing needs. The stamping
    (TurnContext.apply_conversation_reference) only reassigns top-level fields, so a shallow
    copy keeps the caller's activity untouched just the same.
    """
    from botbuilder.core import turn_context

    def _copy(value, memo=None):  # type: ignore[no-untyped-def]
        return copy.copy(value) if isinstance(value, Activity) else copy.deepcopy(value, memo)

    turn_context.deepcopy = _copy


def authority_for(app_type: str, tenant_id: str, login_url: str | None = None) -> str:
    """Where the bot gets its own token: the Bot Framework tenant, or the council's (single tenant)."""
    if login_url:
        return login_url
    prefix = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
    tenant = tenant_id if app_type.lower() == "singletenant" and tenant_id else "botframework.com"
    return prefix + tenant


def keep_key_refresh_off_the_loop() -> None:
    """Make the SDK fetch OpenID metadata and signing keys on a thread, one fetch at a time.

    botframework-connector 4.17.1 calls `requests.get` inside a coroutine, which would stall
    every request (and /healthz) for as long as the key endpoint takes to answer.
    """
    metadata = _jte._OpenIdMetadata
    if getattr(metadata, "_off_loop", False):
        return
    locks: dict[int, asyncio.Lock] = {}

    async def _refresh(self) -> None:  # type: ignore[no-untyped-def]
        lock = locks.setdefault(id(self), asyncio.Lock())
        seen = self.last_updated
        async with lock:
            if self.last_updated != seen:  # another request refreshed while this one waited
                return
            await asyncio.to_thread(_sync_refresh, self)

    metadata._refresh = _refresh
    metadata._find = _find_or_none
    metadata._off_loop = True


def _sync_refresh(metadata) -> None:  # type: ignore[no-untyped-def]
    """The SDK's refresh, with timeouts: metadata document, then its JWKS."""
    response = requests.get(metadata.url, timeout=KEY_FETCH_TIMEOUT)
    response.raise_for_status()
    keys = requests.get(response.json()["jwks_uri"], timeout=KEY_FETCH_TIMEOUT)
    keys.raise_for_status()
    metadata.keys = keys.json()["keys"]
    metadata.last_updated = datetime.now()


def _find_or_none(self, key_id: str):  # type: ignore[no-untyped-def]
    """The SDK's key lookup raises IndexError for an unknown key id; treat it as no key."""
    if not self.keys:
        return None
    key = next((x for x in self.keys if x.get("kid") == key_id), None)
    if key is None:
        return None
    import json

    from jwt.algorithms import RSAAlgorithm

    return _jte._OpenIdConfig(RSAAlgorithm.from_jwk(json.dumps(key)), key.get("endorsements", []))


def authentication(settings) -> BotFrameworkAuthentication:  # type: ignore[no-untyped-def]
    """The SDK's configuration-driven authentication, public cloud unless endpoints are overridden.

    Overriding the OpenID metadata URL switches the SDK to its parameterised mode, which needs
    every endpoint: the rest keep their public-cloud values.
    """
    from botbuilder.integration.aiohttp import ConfigurationBotFrameworkAuthentication
    from botbuilder.schema import CallerIdConstants

    class _Config:
        APP_ID = settings.app_id
        APP_PASSWORD = settings.app_password
        APP_TYPE = settings.app_type
        APP_TENANTID = settings.app_tenant_id

    if settings.openid_metadata_url:
        _Config.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = settings.openid_metadata_url
        _Config.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
        _Config.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL = (
            AuthenticationConstants.TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL
        )
        _Config.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE
        _Config.TO_CHANNEL_FROM_BOT_LOGIN_URL = authority_for(
            settings.app_type, settings.app_tenant_id, settings.login_url or None
        )
        _Config.OAUTH_URL = AuthenticationConstants.OAUTH_URL
        _Config.CALLER_ID = CallerIdConstants.public_azure_channel
    return ConfigurationBotFrameworkAuthentication(_Config())
