"""Retention: every table that holds what staff asked is purged after a configurable period.

The registry below is the one list of what is kept and for how long; the privacy notice and
the DPIA quote it. Each rule names a table, its timestamp column, the setting that gives the
number of days, and optionally a condition a row must meet to be purged at all (escalations
are purged only once delivered: a pending or failed one is kept, whatever its age, until it
has reached the IG team).

Tables are looked up by name in the database, not imported, so a table that does not exist
yet (another feature not deployed) is skipped and reported, never an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, Float, Integer, MetaData, Numeric, Table, delete, inspect

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rule:
    """Rows of `table` older than `setting` days (by `timestamp`) are deleted, if `only_when` holds."""

    name: str
    table: str
    timestamp: str
    setting: str  # a Settings attribute holding the number of days
    only_when: tuple[str, tuple[str, ...]] | None = None  # (column, values a purgeable row has)


# Order matters: rows that point at others (outbox -> escalations) are deleted first.
# Names for "outbox" and "escalations" follow issue 3's design (bot/store/escalations.py); the
# report's reading of them is in bot/report/sources.py. Change them here, in one line each.
DELIVERED = ("delivered", "sent")
RULES: tuple[Rule, ...] = (
    Rule("conversation log", "turns", "created_at", "retention_log_days"),
    Rule("feedback", "feedback", "created_at", "retention_feedback_days"),
    Rule("outbox (delivered)", "outbox", "created_at", "retention_escalation_days", ("status", DELIVERED)),
    Rule("escalations (delivered)", "escalations", "created_at", "retention_escalation_days", ("status", DELIVERED)),
)

DEFAULT_DAYS = {"retention_log_days": 30, "retention_feedback_days": 30, "retention_escalation_days": 365}


@dataclass(frozen=True)
class Purged:
    """What one rule did: rows deleted, or why the rule was skipped."""

    rule: Rule
    days: int
    cutoff: datetime
    deleted: int = 0
    skipped: str | None = None

    def line(self) -> str:
        what = f"skipped ({self.skipped})" if self.skipped else f"{self.deleted} deleted"
        return f"{self.rule.name}: kept {self.days} days, before {self.cutoff:%Y-%m-%d %H:%M} UTC: {what}"


def days_from(settings: object) -> dict[str, int]:
    """The retention periods from a Settings object (or anything with those attributes)."""
    return {key: int(getattr(settings, key, default)) for key, default in DEFAULT_DAYS.items()}


def _cutoff_value(column, cutoff: datetime):  # type: ignore[no-untyped-def]
    """The cutoff in the column's own representation (DATETIME, epoch seconds or ISO text)."""
    if isinstance(column.type, DateTime):
        return cutoff.replace(tzinfo=None)  # stored as naive UTC (bot.store.turns._naive_utc)
    if isinstance(column.type, Integer | Float | Numeric):
        return cutoff.timestamp()
    return cutoff.replace(tzinfo=None).isoformat(sep=" ")


def purge(
    engine: Engine, days: Mapping[str, int] | None = None, now: datetime | None = None, rules=RULES
) -> list[Purged]:  # type: ignore[no-untyped-def]
    """Delete expired rows, table by table, each in its own transaction."""
    days = {**DEFAULT_DAYS, **(days or {})}
    now = now or datetime.now(UTC)
    results = []
    present = set(inspect(engine).get_table_names())
    for rule in rules:
        keep = int(days[rule.setting])
        cutoff = now - timedelta(days=keep)
        if rule.table not in present:
            results.append(Purged(rule, keep, cutoff, skipped="no such table"))
            continue
        table = Table(rule.table, MetaData(), autoload_with=engine)
        needed = [rule.timestamp] + ([rule.only_when[0]] if rule.only_when else [])
        missing = [c for c in needed if c not in table.c]
        if missing:
            log.warning("retention rule %r skipped: table %s has no column %s", rule.name, rule.table, missing)
            results.append(Purged(rule, keep, cutoff, skipped=f"no column {', '.join(missing)}"))
            continue
        stamp = table.c[rule.timestamp]
        query = delete(table).where(stamp < _cutoff_value(stamp, cutoff))
        if rule.only_when:
            column, values = rule.only_when
            query = query.where(table.c[column].in_(values))
        with engine.begin() as conn:
            deleted = conn.execute(query).rowcount or 0
        results.append(Purged(rule, keep, cutoff, deleted))
    for r in results:
        log.info("purge %s", r.line())
    return results


class DailyPurge:
    """The service's background purge: once at start-up, then every `interval` seconds."""

    def __init__(self, engine: Engine, days: Mapping[str, int], interval: float = DAY_SECONDS) -> None:
        self.engine = engine
        self.days = dict(days)
        self.interval = interval
        self.runs = 0
        self._task: asyncio.Task | None = None

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                await loop.run_in_executor(None, purge, self.engine, self.days)
            except Exception:  # a locked or broken database must not stop the service; try tomorrow
                log.exception("purge failed")
            self.runs += 1
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="daily-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
