"""Retention: every table that holds what staff asked is purged after a configurable period.

The registry below is the one list of what is kept and for how long; the privacy notice and
the DPIA quote it. Each rule names a table, its timestamp column, the setting that gives the
number of days, and optionally a condition a row must meet to be purged at all (escalations
are purged only once delivered: a pending or failed one is kept, whatever its age, until it
has reached the IG team).

Tables are looked up by name in the database, not imported, so a table that does not exist
yet (another feature not deployed) is skipped and reported, never an error. An escalation is
deleted together with its outbox row, and only when that row says it was delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, Float, Integer, MetaData, Numeric, Table, delete, inspect, select

log = logging.getLogger(__name__)

DAY_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Rule:
    """Rows of `table` older than `setting` days (by `timestamp`) are deleted, if `only_when` holds.

    `only_when` is (column, values a purgeable row has); the column is in `table`, or, with
    `status_from` = (other table, its column pointing at `table`.id), in that other table.
    `dependents` are (table, column pointing at `table`.id): their rows for a purged row are
    deleted with it, in the same transaction (foreign keys are enforced).
    """

    name: str
    table: str
    timestamp: str
    setting: str  # a Settings attribute holding the number of days
    only_when: tuple[str, tuple[str, ...]] | None = None
    status_from: tuple[str, str] | None = None
    dependents: tuple[tuple[str, str], ...] = ()


# The tables of issue 5 (bot/store/feedback.py: "feedback") and issue 3 (bot/store/escalations.py:
# "escalation", with its delivery status in "escalation_outbox") are named here, one line each.
DELIVERED = ("delivered",)
OUTBOX = ("escalation_outbox", "escalation_id")
RULES: tuple[Rule, ...] = (
    Rule("conversation log", "turns", "created_at", "retention_log_days"),
    Rule("feedback", "feedback", "created_at", "retention_feedback_days"),
    # Offered IG cards hold a redacted question and the roster's email address; a sent one's
    # content lives on in its escalation, so offers go with the conversation log.
    Rule("IG card offers", "escalation_offer", "created_at", "retention_log_days"),
    Rule(
        "escalations (delivered)",
        "escalation",
        "created_at",
        "retention_escalation_days",
        only_when=("status", DELIVERED),
        status_from=OUTBOX,
        dependents=(OUTBOX,),
    ),
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
    """Delete expired rows, rule by rule, each rule in its own transaction."""
    days = {**DEFAULT_DAYS, **(days or {})}
    now = now or datetime.now(UTC)
    results = []
    for rule in rules:
        keep = int(days[rule.setting])
        cutoff = now - timedelta(days=keep)
        try:
            deleted = _purge_rule(engine, rule, cutoff)
        except _Skip as why:
            log.warning("retention rule %r skipped: %s", rule.name, why)
            results.append(Purged(rule, keep, cutoff, skipped=str(why)))
            continue
        results.append(Purged(rule, keep, cutoff, deleted))
    for r in results:
        log.info("purge %s", r.line())
    return results


class _Skip(Exception):
    """A rule's table or column is not in this database (that feature is not deployed)."""


def _reflect(engine: Engine, name: str, columns: list[str]) -> Table:
    if name not in inspect(engine).get_table_names():
        raise _Skip("no such table" if name else "no table")
    table = Table(name, MetaData(), autoload_with=engine)
    missing = [c for c in columns if c not in table.c]
    if missing:
        raise _Skip(f"no column {', '.join(missing)} in {name}")
    return table


def _purge_rule(engine: Engine, rule: Rule, cutoff: datetime) -> int:
    own = [rule.timestamp] + ([rule.only_when[0]] if rule.only_when and not rule.status_from else [])
    table = _reflect(engine, rule.table, own)
    stamp = table.c[rule.timestamp]
    expired = stamp < _cutoff_value(stamp, cutoff)
    if not (rule.status_from or rule.dependents):
        query = delete(table).where(expired)
        if rule.only_when:
            column, values = rule.only_when
            query = query.where(table.c[column].in_(values))
        with engine.begin() as conn:
            return conn.execute(query).rowcount or 0
    # A parent row with a status elsewhere and children: find the ids, then delete children first.
    key = table.c["id"]
    query = select(key).where(expired)
    if rule.only_when and rule.status_from:
        other, pointer = rule.status_from
        status_table = _reflect(engine, other, [pointer, rule.only_when[0]])
        done = select(status_table.c[pointer]).where(status_table.c[rule.only_when[0]].in_(rule.only_when[1]))
        # every status row of the parent must be final: none may still be pending
        not_done = select(status_table.c[pointer]).where(status_table.c[rule.only_when[0]].not_in(rule.only_when[1]))
        query = query.where(key.in_(done), key.not_in(not_done))
    children = [(_reflect(engine, t, [c]), c) for t, c in rule.dependents]
    with engine.begin() as conn:
        ids = [row[0] for row in conn.execute(query)]
        for start in range(0, len(ids), 500):  # SQLite limits bound parameters per statement
            batch = ids[start : start + 500]
            for child, column in children:
                conn.execute(delete(child).where(child.c[column].in_(batch)))
            conn.execute(delete(table).where(key.in_(batch)))
    return len(ids)


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
