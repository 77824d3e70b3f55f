"""Commands every user has."""

from __future__ import annotations

from bot.teams.commands import COMMANDS, Command, CommandContext, register
from bot.teams.oversight import transparency_note

HELP = (
    "I'm the Governance Assistant, an automated assistant. I answer questions from Lancashire "
    "County Council's own policy documents and staff bulletins, and show the sources I used; if the "
    "documents don't cover something, I say so. I don't decide questions about using AI with "
    "personal data: I pass those to the Information Governance Team "
    "(informationgovernance@lancashire.gov.uk). Please don't paste personal data here."
)


async def _help(ctx: CommandContext) -> str:
    everyone = sorted(c.name for c in COMMANDS.values() if not c.ig_only)
    return (
        f"{HELP}\n\nCommands: {', '.join(everyone)}. Anything else is treated as a question.\n\n"
        + transparency_note(ctx.services)
    )


register(Command("help", "What this assistant is and where its answers come from", _help))
