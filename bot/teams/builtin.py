"""Commands every user has."""

from __future__ import annotations

from bot.teams.commands import Command, CommandContext
from bot.teams.oversight import contacts, transparency_note


def help_text(ctx: CommandContext) -> str:
    """What the assistant is, the commands this person may use, and how to reach a person.

    Markdown paragraphs and a list, sent without buttons so Teams renders them. IG-only
    commands are listed for IG members only.
    """
    team, mailbox = contacts(ctx.service.settings)
    listed = sorted(ctx.available, key=lambda c: c.name)
    lines = [
        "I'm the Governance Assistant, an automated assistant. I answer questions from Lancashire "
        "County Council's own policy documents and staff bulletins, and show the sources I used; if the "
        "documents don't cover something, I say so.",
        f"I don't decide questions about using AI with personal data: I pass those to the {team} "
        f"({mailbox}). Please don't paste personal data here.",
        "**Commands** (anything else is treated as a question):",
        "\n".join(f"- **{c.name}**: {c.summary}" for c in listed if not c.ig_only),
    ]
    if ctx.ig_member:
        ig = [c for c in listed if c.ig_only]
        lines += [f"**For the {team}**:", "\n".join(f"- **{c.name}**: {c.summary}" for c in ig)]
    lines.append(transparency_note(ctx.service.settings))
    return "\n\n".join(lines)


async def _help(ctx: CommandContext) -> str:
    return help_text(ctx)


HELP = Command("help", "What this assistant is and where its answers come from", _help)
