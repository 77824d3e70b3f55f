"""Bot Framework authentication over HTTP, against a local OpenID metadata endpoint and JWKS.

The tokens are signed with an RSA key made here; the SDK is pointed at the local metadata URL
(BOT_OPENID_METADATA_URL), exactly as it fetches Microsoft's in production. The bot's own
outbound token comes from a local OAuth token endpoint (BOT_LOGIN_URL).
"""

from __future__ import annotations

import asyncio
import time
import uuid

import jwt
import pytest
from aiohttp import ClientSession, ClientTimeout, web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.compose import make_web_app
from bot.config import Settings
from tests.conftest import KNOWLEDGE
from tests.connector import Connector, activity, serve, wait_ready

APP_ID = str(uuid.uuid4())
ISSUER = "https://api.botframework.com"
KID = "local-test-key"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


SIGNING_KEY = _key()
STRANGER_KEY = _key()


class Identity:
    """OpenID metadata, JWKS and an OAuth token endpoint on 127.0.0.1."""

    def __init__(self) -> None:
        self.base = ""
        self.token_requests: list[dict] = []
        self.key_requests = 0
        self.keys_asked = asyncio.Event()
        self.release_keys: asyncio.Event | None = None  # when set, /keys waits for it

    async def metadata(self, request: web.Request) -> web.Response:
        prefix = request.match_info["prefix"]
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.base}/{prefix}/keys"})

    async def keys(self, request: web.Request) -> web.Response:
        self.key_requests += 1
        self.keys_asked.set()
        if request.match_info["prefix"] == "slow" and self.release_keys is not None:
            await self.release_keys.wait()
        jwk = RSAAlgorithm.to_jwk(SIGNING_KEY.public_key(), as_dict=True)
        jwk.update(kid=KID, use="sig", endorsements=["msteams"])
        return web.json_response({"keys": [jwk]})

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests.append(dict(await request.post()))
        return web.json_response({"token_type": "Bearer", "expires_in": 3600, "access_token": "bot-outbound-token"})

    async def start(self) -> Identity:
        app = web.Application()
        app.router.add_get("/{prefix}/metadata", self.metadata)
        app.router.add_get("/{prefix}/keys", self.keys)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self.token)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
        return self


def token(service_url: str, key: rsa.RSAPrivateKey = SIGNING_KEY, kid: str = KID, **claims) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "nbf": now - 5, "iat": now - 5, "exp": now + 600}
    body.update(claims)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return jwt.encode(body, pem, algorithm="RS256", headers={"kid": kid})


async def _app(identity: Identity, embedder, index, prefix: str) -> tuple[web.AppRunner, str]:
    settings = Settings(
        knowledge_dir=KNOWLEDGE,
        index_dir=index,
        app_id=APP_ID,
        app_password="bot-secret",
        app_type="MultiTenant",
        openid_metadata_url=f"{identity.base}/{prefix}/metadata",
        login_url=f"{identity.base}/botframework.com",
    )
    runner, base = await serve(make_web_app(settings, embedder=embedder))
    async with ClientSession() as http:
        await wait_ready(http, base)
    return runner, base


@pytest.fixture(scope="module")
async def identity():
    idp = await Identity().start()
    yield idp
    await idp._runner.cleanup()


@pytest.fixture(scope="module")
async def secured(identity, embedder, bulletin_index):
    runner, base = await _app(identity, embedder, bulletin_index, "teams")
    yield base
    await runner.cleanup()


@pytest.fixture(scope="module")
async def channel():
    c = await Connector().start()
    yield c
    await c.stop()


async def _post(base: str, body: dict, authorization: str | None) -> int:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with ClientSession() as http, http.post(f"{base}/api/messages", json=body, headers=headers) as r:
        return r.status


async def test_a_valid_channel_token_gets_an_answer_sent_with_the_bots_own_token(secured, channel, identity):
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(channel.url, "When is the last employee conference session?", conversation=conv)
    assert await _post(secured, body, f"Bearer {token(channel.url)}") == 201
    replies = channel.messages(conv)  # the answer, then suggested follow-ups
    assert "27 November" in replies[0]["text"]
    for reply in replies:
        assert channel.authorizations[channel.received.index(reply)] == "Bearer bot-outbound-token"
    # client credentials for the Bot Framework audience, then cached: one token request serves many replies
    request = identity.token_requests[0]
    assert request["grant_type"] == "client_credentials" and request["client_id"] == APP_ID
    assert request["scope"] == "https://api.botframework.com/.default"
    again = activity(channel.url, "What is the Change Service?")
    assert await _post(secured, again, f"Bearer {token(channel.url)}") == 201
    assert len(identity.token_requests) == 1


def _bad_tokens(service_url: str) -> dict[str, str | None]:
    now = int(time.time())
    return {
        "missing": None,
        "empty": "",
        "malformed": "Bearer not.a.token",
        "not-a-jwt": "Bearer abc",
        "wrong-scheme": f"Basic {token(service_url)}",
        "expired": f"Bearer {token(service_url, exp=now - 3600, nbf=now - 7200, iat=now - 7200)}",
        "wrong-audience": f"Bearer {token(service_url, aud=str(uuid.uuid4()))}",
        "no-audience": f"Bearer {token(service_url, aud=None)}",
        "wrong-issuer": f"Bearer {token(service_url, iss='https://login.example.com/evil')}",
        "unknown-key": f"Bearer {token(service_url, key=STRANGER_KEY, kid='someone-elses-key')}",
        "forged-with-our-kid": f"Bearer {token(service_url, key=STRANGER_KEY)}",
        "unsigned": "Bearer "
        + jwt.encode({"iss": ISSUER, "aud": APP_ID, "serviceurl": service_url, "exp": now + 600}, None, "none"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing",
        "empty",
        "malformed",
        "not-a-jwt",
        "wrong-scheme",
        "expired",
        "wrong-audience",
        "no-audience",
        "wrong-issuer",
        "unknown-key",
        "forged-with-our-kid",
        "unsigned",
    ],
)
async def test_bad_tokens_get_401_and_no_reply(secured, channel, case):
    conv = f"a:{uuid.uuid4().hex}"
    body = activity(channel.url, "When is the last employee conference session?", conversation=conv)
    assert await _post(secured, body, _bad_tokens(channel.url)[case]) == 401
    assert channel.messages(conv) == []


async def test_the_bot_never_replies_to_a_service_url_the_token_does_not_vouch_for(secured, channel):
    elsewhere = await Connector().start()
    try:
        for vouched in (channel.url, None):  # a token for another serviceUrl, and one with no serviceurl claim
            body = activity(elsewhere.url, "When is the last employee conference session?")
            claims = {"serviceurl": vouched} if vouched else {"serviceurl": None}
            assert await _post(secured, body, f"Bearer {token(channel.url, **claims)}") == 401
        assert elsewhere.received == []
    finally:
        await elsewhere.stop()


async def test_a_slow_key_endpoint_does_not_stall_the_service(identity, embedder, bulletin_index, channel):
    """The SDK fetches keys with blocking requests.get: here that runs on a thread.

    Everything shares one event loop in this test, so a fetch on the loop would deadlock:
    /keys could not answer while the loop waited for it.
    """
    identity.release_keys = asyncio.Event()
    identity.keys_asked.clear()
    runner, base = await _app(identity, embedder, bulletin_index, "slow")
    try:
        conv = f"a:{uuid.uuid4().hex}"
        body = activity(channel.url, "When is the last employee conference session?", conversation=conv)
        posting = asyncio.create_task(_post(base, body, f"Bearer {token(channel.url)}"))
        await asyncio.wait_for(identity.keys_asked.wait(), 20)
        async with ClientSession(timeout=ClientTimeout(total=10)) as http, http.get(f"{base}/healthz") as r:
            assert r.status == 200
        assert not posting.done()  # still waiting for the signing keys, and the service answered meanwhile
        identity.release_keys.set()
        assert await asyncio.wait_for(posting, 30) == 201
        assert len(channel.answers(conv)) == 1
    finally:
        identity.release_keys = None
        await runner.cleanup()
