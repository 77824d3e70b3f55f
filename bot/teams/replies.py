"""The lean outbound path: replies posted straight to the channel over one pooled session.

botbuilder's CloudAdapter builds a connector client and a user-token client for every turn and
sends each reply through msrest (which builds a retry policy twice per reply): about 20 ms of
CPU a turn on this machine, the service's throughput ceiling. Here activities go to
`{serviceUrl}/v3/conversations/{id}/activities/{replyToId}` over one aiohttp session, with the
bot's own token (OAuth client credentials, cached until shortly before it expires) when
credentials are configured; 429 and 5xx are retried with exponential backoff and jitter,
honouring Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import aiohttp
from botbuilder.schema import Activity, ResourceResponse
from botframework.connector.auth import AuthenticationConstants
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from bot.errors import ReplyFailed
from bot.teams.wire import to_wire

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
KEY_FETCH_TIMEOUT = 10


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter (tenacity's, as the outbox sender uses); a server's
    Retry-After wins when it gives one."""

    attempts: int = 4
    base: float = 0.25
    cap: float = 10.0

    def wait(self, state: RetryCallState) -> float:
        """tenacity's wait: the failed attempt's Retry-After if it had one, else the jittered backoff."""
        failure = state.outcome.exception() if state.outcome is not None else None
        hinted = parse_retry_after(getattr(failure, "retry_after", None))
        if hinted is not None:
            return min(hinted, self.cap) + random.uniform(0, self.base)
        return wait_random_exponential(multiplier=self.base, max=self.cap)(state)


class _SendAgain(Exception):
    """The channel asked for the reply again (429, 5xx), or it never left here (connection refused)."""

    def __init__(self, reason: str, retry_after: str | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


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
        """Post one activity, retrying what the channel asks to be retried; ReplyFailed otherwise."""
        session = self._http()
        url = self.url(activity)
        body = to_wire(activity)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.backoff.attempts),
            wait=self.backoff.wait,
            retry=retry_if_exception_type(_SendAgain),
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._post(session, url, body)
        except _SendAgain as exc:
            raise ReplyFailed(str(exc)) from exc
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _count_retry(self, _state: RetryCallState) -> None:
        self.retries += 1

    async def _post(self, session: aiohttp.ClientSession, url: str, body: dict) -> ResourceResponse:
        """One attempt (with one fresh token if the channel says ours was revoked or rotated)."""
        for fresh_token in (False, True):
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
                    if r.status == 401 and self.tokens is not None and not fresh_token:
                        self.tokens.invalidate()
                        continue
                    if r.status in RETRY_STATUSES:
                        raise _SendAgain(f"the channel answered {r.status}", r.headers.get("Retry-After"))
                    raise ReplyFailed(f"the channel answered {r.status}", status=r.status)
            except aiohttp.ClientConnectorError as exc:  # nothing reached the channel: safe to send again
                raise _SendAgain(f"the channel could not be reached ({type(exc).__name__})") from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                # Not retried: the channel may have the reply already, and a retry would duplicate it.
                raise ReplyFailed(f"the channel could not be reached ({type(exc).__name__})") from exc
        raise ReplyFailed("the channel refused the bot's token twice")

    async def member(self, service_url: str, conversation_id: str, member_id: str) -> dict:
        """One member of a conversation from the channel's roster (the Bot Framework's
        `GET /v3/conversations/{id}/members/{member id}`, as TeamsInfo.get_member asks it), over the
        same pooled session and token as the replies: no connector client, no msrest pipeline."""
        url = (
            f"{service_url.rstrip('/')}/v3/conversations/{quote(conversation_id, safe='')}"
            f"/members/{quote(member_id, safe='')}"
        )
        session = self._http()
        for fresh_token in (False, True):
            headers = {"Accept": "application/json"}
            if self.tokens is not None:
                headers["Authorization"] = f"Bearer {await self.tokens.token(session)}"
            async with session.get(url, headers=headers) as r:
                if r.status == 401 and self.tokens is not None and not fresh_token:
                    self.tokens.invalidate()
                    continue
                if r.status >= 300:
                    raise ReplyFailed(f"the roster answered {r.status}")
                data = await r.json(content_type=None)
                return data if isinstance(data, dict) else {}
        raise ReplyFailed("the channel refused the bot's token twice")

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def authority_for(app_type: str, tenant_id: str, login_url: str | None = None) -> str:
    """Where the bot gets its own token: the Bot Framework tenant, or the council's (single tenant)."""
    if login_url:
        return login_url
    prefix = AuthenticationConstants.TO_CHANNEL_FROM_BOT_LOGIN_URL_PREFIX
    tenant = tenant_id if app_type.lower() == "singletenant" and tenant_id else "botframework.com"
    return prefix + tenant
