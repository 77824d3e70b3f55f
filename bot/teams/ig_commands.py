"""Commands for the Information Governance team: `refresh` and `index status`.

Both are `ig_only`: the handler refuses them politely to anyone whose Entra object id is not
in IG_MEMBERS. They reach the index through `Service.index` (bot.reload.IndexService).
"""

from __future__ import annotations

import logging

from bot.teams.commands import Command, CommandContext

log = logging.getLogger(__name__)

NOT_READY = "The assistant is still loading its index. Please try again in a minute."


async def _refresh(ctx: CommandContext) -> str:
    service = ctx.service.index
    if service is None:
        return NOT_READY
    await ctx.turn.send_activity("Refreshing the index from the knowledge folder…")
    try:
        report = await service.refresh()
    except Exception as exc:  # the old index keeps serving; tell the IG member why
        log.exception("refresh failed")
        return f"The refresh failed ({type(exc).__name__}: {exc}). The previous index is still being served."
    lines = [
        f"Index refreshed: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed, {len(report.unchanged)} unchanged, {len(report.failed)} failed. "
        f"Now serving {report.build_id} with {report.chunks} passages ({report.embedded} newly embedded)."
    ]
    lines.extend(f"- could not read: {reason}" for reason in report.failed.values())
    return "\n".join(lines)


async def _status(ctx: CommandContext) -> str:
    service = ctx.service.index
    return NOT_READY if service is None else service.status().text()


REFRESH = Command(
    "refresh", "Rebuild the index from the knowledge folder and serve it (IG team)", _refresh, ig_only=True
)
INDEX_STATUS = Command("index status", "Which index is served, and which files failed (IG team)", _status, ig_only=True)
