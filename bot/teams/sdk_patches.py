"""Changes to botbuilder 4.17.1's internals, in one place: re-check each when upgrading the SDK.

1. `copy_replies_shallowly`: TurnContext deep-copies every outgoing activity (about 1 ms of
   event-loop time per message); a shallow copy is enough for what it does next.
2. `keep_key_refresh_off_the_loop`: botframework-connector fetches OpenID metadata and signing
   keys with a blocking `requests.get` inside a coroutine; here it runs on a thread, one fetch at
   a time, with timeouts.
3. `_find_or_none`: the SDK's key lookup raises IndexError for an unknown key id; a token signed
   by an unknown key must be a 401, not a 500.

tests/teams/test_sdk_patches.py pins the version these were written against and checks each one.
"""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime

import requests
from botbuilder.schema import Activity
from botframework.connector.auth import jwt_token_extractor as _jte

PATCHED_VERSION = "4.17.1"  # botbuilder-core and botframework-connector
KEY_FETCH_TIMEOUT = 10


def apply() -> None:
    """Every patch below; idempotent."""
    copy_replies_shallowly()
    keep_key_refresh_off_the_loop()


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
