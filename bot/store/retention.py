"""Retention: every table that holds what staff asked is purged after a configurable period.

The registry below is the one list of what is kept and for how long; the privacy notice and
the DPIA quote it. Each rule names a table, its timestamp column, the setting that gives the
number of days, and optionally a condition a row must meet to be purged at all (escalations
are purged only once delivered: a pending or failed one is kept, whatever its age, until it
has reached the IG team).

Rules hold the store modules' own Table and Column objects, and the migrations guarantee the
tables exist, so a renamed column fails here (at import, or with a database error) instead of
quietly skipping a rule. An escalation is deleted together with its outbox row, and only when
that row says it was delivered, and with its case (bot.store.cases): the case's status, its
history of changes and the replies in it are kept exactly as long as the escalation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Engine, Table, delete, select

from bot.config import Settings
from bot.store.case_mail import case_mail
from bot.store.cases import cases, events
from bot.store.conversation_state import conversation_state
from bot.store.escalations import DELIVERED as DELIVERED_STATUS
from bot.store.escalations import escalations, outbox
from bot.store.feedback import feedback
from bot.store.migrate import ensure_schema
from bot.store.offers import offers
from bot.store.turns import turns
from bot.supervise import Supervised

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rule:
    """Rows of `table` older than `setting` days (by `timestamp`) are deleted, if `only_when` holds.

    `only_when` is (column, values a purgeable row has); the column is in `table`, or in another
    table whose `status_key` column points at `table`.id (every such row must hold one of the values).
    `dependents` are columns of other tables pointing at `table`.id: their rows for a purged row
    are deleted with it, in the same transaction (foreign keys are enforced).
    """

    name: str
    table: Table
    timestamp: Column
    setting: str  # a Settings attribute holding the number of days
    only_when: tuple[Column, tuple[str, ...]] | None = None
    status_key: Column | None = None
    dependents: tuple[Column, ...] = ()


DELIVERED = (DELIVERED_STATUS,)
RULES: tuple[Rule, ...] = (
    Rule("conversation log", turns, turns.c.created_at, "retention_log_days"),
    # follow-up and feedback context (redacted questions and answers); the stores expire it far sooner
    Rule("conversation context", conversation_state, conversation_state.c.updated_at, "retention_log_days"),
    Rule("feedback", feedback, feedback.c.created_at, "retention_feedback_days"),
    # Offered IG cards hold a redacted question and the roster's email address; a sent one's
    # content lives on in its escalation, so offers go with the conversation log.
    Rule("IG card offers", offers, offers.c.created_at, "retention_log_days"),
    Rule(
        "escalations (delivered)",
        escalations,
        escalations.c.created_at,
        "retention_escalation_days",
        only_when=(outbox.c.status, DELIVERED),
        status_key=outbox.c.escalation_id,
        # its case, the case's history and the IG mailbox's copies of its replies go with it
        dependents=(case_mail.c.escalation_id, events.c.escalation_id, cases.c.escalation_id, outbox.c.escalation_id),
    ),
)

# The defaults are Settings' own (RETENTION_*_DAYS): one source for the periods.
DEFAULT_DAYS = {name: Settings.model_fields[name].default for name in {rule.setting for rule in RULES}}


@dataclass(frozen=True)
class Purged:
    """What one rule did: rows deleted."""

    rule: Rule
    days: int
    cutoff: datetime
    deleted: int = 0

    def line(self) -> str:
        return (
            f"{self.rule.name}: kept {self.days} days, before {self.cutoff:%Y-%m-%d %H:%M} UTC: {self.deleted} deleted"
        )


def days_from(settings: object) -> dict[str, int]:
    """The retention periods from a Settings object (or anything with those attributes)."""
    return {key: int(getattr(settings, key, default)) for key, default in DEFAULT_DAYS.items()}


def purge(
    engine: Engine, days: Mapping[str, int] | None = None, now: datetime | None = None, rules=RULES
) -> list[Purged]:  # type: ignore[no-untyped-def]
    """Delete expired rows, rule by rule, each rule in its own transaction."""
    ensure_schema(engine)
    days = {**DEFAULT_DAYS, **(days or {})}
    now = now or datetime.now(UTC)
    results = []
    for rule in rules:
        keep = int(days[rule.setting])
        cutoff = now - timedelta(days=keep)
        results.append(Purged(rule, keep, cutoff, _purge_rule(engine, rule, cutoff)))
    for r in results:
        log.info("purge %s", r.line())
    return results


def _purge_rule(engine: Engine, rule: Rule, cutoff: datetime) -> int:
    table = rule.table
    expired = rule.timestamp < cutoff
    if not (rule.status_key is not None or rule.dependents):
        query = delete(table).where(expired)
        if rule.only_when:
            column, values = rule.only_when
            query = query.where(column.in_(values))
        with engine.begin() as conn:
            return conn.execute(query).rowcount or 0
    # A parent row with a status elsewhere and children: find the ids, then delete children first.
    key = table.c.id
    query = select(key).where(expired)
    if rule.only_when and rule.status_key is not None:
        column, values = rule.only_when
        done = select(rule.status_key).where(column.in_(values))
        # every status row of the parent must be final: none may still be pending
        not_done = select(rule.status_key).where(column.not_in(values))
        query = query.where(key.in_(done), key.not_in(not_done))
    with engine.begin() as conn:
        ids = [row[0] for row in conn.execute(query)]
        for start in range(0, len(ids), 500):  # SQLite limits bound parameters per statement
            batch = ids[start : start + 500]
            for pointer in rule.dependents:
                conn.execute(delete(pointer.table).where(pointer.in_(batch)))
            conn.execute(delete(table).where(key.in_(batch)))
    return len(ids)


class DailyPurge:
    """The service's background purge: once at start-up, then every `interval` seconds (a Worker:
    the service runs `run()` and calls `stop()`, like its other background loops). A failed purge
    (the database away, a lock) is retried with backoff under bot.supervise, not a day later."""

    def __init__(self, engine: Engine, days: Mapping[str, int], interval: float = DAY_SECONDS) -> None:
        self.engine = engine
        self.days = dict(days)
        self.interval = interval
        self.runs = 0
        self.task = Supervised("purge")

    async def _pass(self) -> float:
        try:
            await asyncio.get_running_loop().run_in_executor(None, purge, self.engine, self.days)
        finally:
            self.runs += 1
        return self.interval

    async def run(self) -> None:
        await self.task.loop(self._pass)

    def stop(self) -> None:
        self.task.stop()
