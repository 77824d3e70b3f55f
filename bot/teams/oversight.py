"""Transparency and oversight in Teams: `about` for everyone, `report` for the IG team.

`about` says what the assistant is answering from (index build, newest document, how many
documents). `report` (IG members only; the handler refuses others) replies with an Adaptive Card
summarising the last 30 days; the full report with charts is `python -m bot report`.

Services used (set by bot.compose): "assistant" (a callable giving the loaded Assistant or
None while starting), "db" (the SQLAlchemy engine), "turns" (the conversation-log writer, flushed
before a report so it includes the last second), "privacy_url", "ig_mailbox".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from botbuilder.schema import Activity

from bot.config import Settings
from bot.teams.commands import Command, CommandContext
from bot.teams.escalation_card import adaptive_card, card_activity

log = logging.getLogger(__name__)

REPORT_DAYS = 30
NOT_READY = "I'm still loading the council documents. Please try again in a minute."


def contacts(settings: Settings) -> tuple[str, str]:
    """The IG team's name and mailbox as configured (IG_TEAM, IG_MAILBOX): the one source for
    every text that sends people to them."""
    return settings.ig_team, settings.ig_mailbox


def transparency_note(settings: Settings) -> str:
    """The lines every welcome and `help` ends with: a person to reach, and the privacy notice."""
    team, mailbox = contacts(settings)
    url = settings.privacy_url
    return (
        f"To reach a person, email the {team} at {mailbox}. "
        f"How your questions are recorded, for how long and who sees them: [privacy notice]({url})."
    )


def newest_date(values: Iterable[str | None]) -> date | None:
    """The latest front-matter date (YYYY-MM-DD, or a longer ISO timestamp) among `values`."""
    found = []
    for value in values:
        if not value:
            continue
        try:
            found.append(date.fromisoformat(str(value)[:10]))
        except ValueError:
            continue
    return max(found, default=None)


async def _about(ctx: CommandContext) -> str:
    assistant = ctx.service.assistant
    if assistant is None:
        return NOT_READY
    snapshot = assistant.snapshot
    documents = {c.source for c in snapshot.chunks}
    newest = newest_date(c.date for c in snapshot.chunks)
    when = f"{newest:%d %B %Y}".lstrip("0") if newest else "not recorded (no dates in the documents)"
    return (
        "I'm the Governance Assistant, an automated assistant: I answer only from the council "
        "documents below, quoting them, and never generate advice of my own.\n\n"
        f"- Index version: {snapshot.build_id}\n"
        f"- Documents: {len(documents)}\n"
        f"- Newest document dated: {when}\n\n" + transparency_note(ctx.service.settings)
    )


def literal(text: str) -> dict:
    """A card element showing text exactly as typed: staff questions must not become markup.

    A TextBlock renders Markdown (a typed "[link](…)" would be a live link); a RichTextBlock's
    TextRun renders none. "{{" would still start a card date/time function, so it is broken up.
    """
    shown = text.replace("{{", "{\u200b{").replace("}}", "}\u200b}")
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": shown}], "spacing": "Small"}


def summary_card(report) -> dict:  # type: ignore[no-untyped-def]
    """An Adaptive Card (1.5) with the report's headline numbers and top declined groups."""
    e, f = report.escalations, report.feedback
    facts = [
        ("Questions", report.questions),
        ("Answered", report.by_route.get("answer", 0)),
        ("Handed to IG", report.by_route.get("escalate", 0)),
        ("Declined", report.by_route.get("decline", 0)),
        ("Personal data removed from", report.redacted_questions),
        ("Escalations", (", ".join(f"{k} {v}" for k, v in e.by_status.items()) or "none") if e.recorded else "n/a"),
        ("Median delivery", f"{e.median_minutes:g} min" if e.median_minutes is not None else "n/a"),
        ("Open IG cases", report.cases.open),
        (f"Cases past {report.cases.overdue_days} working days", len(report.cases.overdue)),
        (
            "Median first reply",
            f"{report.cases.median_first_reply_hours:g} h"
            if report.cases.median_first_reply_hours is not None
            else "n/a",
        ),
        ("Likes : dislikes", f.ratio if f.recorded else "n/a"),
        ("Documents never cited", len(report.never_cited)),
    ]
    body: list[dict] = [
        {"type": "TextBlock", "text": "Governance Assistant: IG report", "weight": "Bolder", "size": "Medium"},
        {
            "type": "TextBlock",
            "text": f"Last {REPORT_DAYS} days, to {report.generated_at:%d %b %Y %H:%M} UTC",
            "isSubtle": True,
            "spacing": "None",
            "wrap": True,
        },
        {"type": "FactSet", "facts": [{"title": k, "value": str(v)} for k, v in facts]},
    ]
    if report.declined:
        body.append({"type": "TextBlock", "text": "Most common declined questions", "weight": "Bolder"})
        body.extend(literal(f"{g.count} × {g.label}") for g in report.declined[:5])
    if report.topics:
        body.append({"type": "TextBlock", "text": "Most-asked topics", "weight": "Bolder"})
        body.extend(literal(f"{t.questions} × {t.section} ({t.source})") for t in report.topics[:5])
    body.append(
        {
            "type": "TextBlock",
            "text": "The full report with charts and CSV files: python -m bot report --since YYYY-MM-DD",
            "isSubtle": True,
            "wrap": True,
        }
    )
    return adaptive_card(body)


async def _report(ctx: CommandContext) -> str | Activity:
    from bot.report.compute import build_report

    assistant, engine = ctx.service.assistant, ctx.service.engine
    if assistant is None or engine is None:
        return NOT_READY
    snapshot = assistant.snapshot
    since = datetime.now(UTC) - timedelta(days=REPORT_DAYS)
    loop = asyncio.get_running_loop()
    writer = ctx.service.turns
    if writer is not None:  # rows queued in the last second belong in the report too
        await loop.run_in_executor(None, writer.flush)
    report = await loop.run_in_executor(
        None,
        lambda: build_report(
            engine,
            since,
            indexed=snapshot.manifest.get("files", {}),
            encode=assistant.embedder.encode,
            index_build=snapshot.build_id,
            overdue_days=ctx.service.settings.case_overdue_working_days,
        ),
    )
    return card_activity(summary_card(report))


ABOUT = Command("about", "Which documents I answer from, and how current they are", _about)
REPORT = Command("report", "Summary of questions, gaps, escalations and feedback (IG team)", _report, ig_only=True)
