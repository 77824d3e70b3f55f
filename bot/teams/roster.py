"""The staff member's email address from the Teams roster, so the IG Team can reply to them.

The lean reply path (bot.teams.replies) builds no connector client per turn, for speed; the
roster lookup needs one, so it is built here on first use from the turn's connector factory (the
SDK's own, with the turn's authentication), and TeamsInfo does the rest.
"""

from __future__ import annotations

import asyncio
import logging

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.cloud_adapter_base import CloudAdapterBase
from botbuilder.core.teams import TeamsInfo

from bot.core.escalation import valid_email

log = logging.getLogger(__name__)
LOOKUP_SECONDS = 5.0


async def connector_client(turn: TurnContext):  # type: ignore[no-untyped-def]
    """The turn's ConnectorClient, created on first use and kept on the turn."""
    client = turn.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
    if client is None:
        factory = turn.turn_state.get(CloudAdapterBase.CONNECTOR_FACTORY_KEY)
        if factory is None:
            raise LookupError("the turn has no connector factory")
        client = await factory.create(turn.activity.service_url, turn.turn_state.get(BotAdapter.BOT_OAUTH_SCOPE_KEY))
        turn.turn_state[BotAdapter.BOT_CONNECTOR_CLIENT_KEY] = client
    return client


async def email_of_sender(turn: TurnContext, timeout: float = LOOKUP_SECONDS) -> str:
    """The sender's email (or UPN, when it is an address) from the roster; "" if Teams won't say.

    A failure is logged by kind only: never the person's id, name or address.
    """
    activity = turn.activity
    if activity.channel_id != "msteams" or not activity.from_property or not activity.from_property.id:
        return ""
    try:
        await connector_client(turn)
        member = await asyncio.wait_for(TeamsInfo.get_member(turn, activity.from_property.id), timeout)
    except Exception as exc:  # the roster is a convenience: the card then asks for the address
        log.warning("roster lookup failed: %s", type(exc).__name__)
        return ""
    for candidate in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
        if isinstance(candidate, str) and valid_email(candidate.strip()):
            return candidate.strip()
    log.info("roster lookup: no email address for the sender")
    return ""
