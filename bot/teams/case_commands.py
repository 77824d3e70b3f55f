"""`cases` (IG team) and `my requests` (everyone): the commands; the cards and buttons are bot.teams.cases."""

from __future__ import annotations

from botbuilder.schema import Activity

from bot.teams.commands import Command, CommandContext

NOT_READY = "Cases are not available just now. Please try again in a minute."
# A case list holds what staff asked IG: in a channel or group chat everyone there would read it.
PRIVATE = "Case lists are private: ask me for '{name}' in your one-to-one chat with me."


async def _cases(ctx: CommandContext) -> str | Activity:
    if not ctx.personal:
        return PRIVATE.format(name="cases")
    desk = ctx.service.cases
    return NOT_READY if desk is None else await desk.cases_activity(ctx.turn)


async def _my_requests(ctx: CommandContext) -> str | Activity:
    if not ctx.personal:
        return PRIVATE.format(name="my requests")
    desk = ctx.service.cases
    return NOT_READY if desk is None else await desk.requests_activity(ctx.turn)


CASES = Command("cases", "Open IG cases, oldest first, to reply to or close (IG team)", _cases, ig_only=True)
MY_REQUESTS = Command("my requests", "Your questions to the IG team, their status and replies", _my_requests)
