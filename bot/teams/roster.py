"""The staff member's email address from the Teams roster, so the IG Team can reply to them.

The lookup is the request TeamsInfo.get_member makes (`GET {serviceUrl}/v3/conversations/{id}/
members/{member id}`), sent by the lean reply path (bot.teams.replies.ReplySender.member) over its
pooled session with the bot's cached token. Building a connector client per lookup cost about 6 ms
of the event loop's CPU (msrest builds a retry policy for every client). An adapter without that
sender (another SDK adapter, in tests) still gets a connector client from the turn's factory and
TeamsInfo.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.core.teams import TeamsInfo

from bot.core.escalation import valid_email

log = logging.getLogger(__name__)
LOOKUP_SECONDS = 5.0


@asynccontextmanager
async def connector_client(turn: TurnContext):  # type: ignore[no-untyped-def]
    """The turn's ConnectorClient for the length of the block: built from the turn's connector
    factory when the turn has none, and then closed (with its HTTP session) at the end."""
    key = BotAdapter.BOT_CONNECTOR_CLIENT_KEY
    if turn.turn_state.get(key) is not None:
        yield turn.turn_state[key]
        return
    factory = turn.turn_state.get(CloudAdapterBase.CONNECTOR_FACTORY_KEY)
    if factory is None:
        raise LookupError("the turn has no connector factory")
    client = await factory.create(turn.activity.service_url, turn.turn_state.get(BotAdapter.BOT_OAUTH_SCOPE_KEY))
    turn.turn_state[key] = client  # where TeamsInfo looks for it
    try:
        async with client:
            yield client
    finally:
        turn.turn_state[key] = None


async def email_of_sender(turn: TurnContext, timeout: float = LOOKUP_SECONDS) -> str:
    """The sender's email (or UPN, when it is an address) from the roster; "" if Teams won't say.

    A failure is logged by kind only: never the person's id, name or address.
    """
    activity = turn.activity
    if activity.channel_id != "msteams" or not activity.from_property or not activity.from_property.id:
        return ""
    sender = getattr(turn.adapter, "sender", None)
    try:
        if sender is not None and activity.service_url and activity.conversation and activity.conversation.id:
            found = await asyncio.wait_for(
                sender.member(activity.service_url, activity.conversation.id, activity.from_property.id), timeout
            )
            candidates = (found.get("email"), found.get("userPrincipalName"))
        else:
            async with connector_client(turn):
                member = await asyncio.wait_for(TeamsInfo.get_member(turn, activity.from_property.id), timeout)
            candidates = (getattr(member, "email", None), getattr(member, "user_principal_name", None))
    except Exception as exc:  # the roster is a convenience: the card then asks for the address
        log.warning("roster lookup failed: %s", type(exc).__name__)
        return ""
    for candidate in candidates:
        if isinstance(candidate, str) and valid_email(candidate.strip()):
            return candidate.strip()
    log.info("roster lookup: no email address for the sender")
    return ""
