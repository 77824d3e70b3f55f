"""What the report reads from tables other features own, named in one place.

The feedback table is issue 5's (bot/store/feedback.py); the escalation and escalation_outbox
tables are issue 3's (bot/store/escalations.py). Tables are read by name through reflection, so the report works
(saying "not recorded") when a table does not exist yet, and a renamed column is a one-line
change here. The conversation log (bot/store/turns.py) is read through its own module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, MetaData, Table, inspect, select


@dataclass(frozen=True)
class FeedbackColumns:
    table: str = "feedback"
    created: str = "created_at"
    reaction: str = "reaction"  # "like" | "dislike"


@dataclass(frozen=True)
class EscalationColumns:
    table: str = "escalation"
    created: str = "created_at"  # when the staff member pressed "Send to IG"
    outbox: str = "escalation_outbox"  # one row per escalation, with its delivery status
    outbox_key: str = "escalation_id"  # the outbox column pointing at escalation.id
    status: str = "status"  # "pending" | "delivered" | "failed" (outbox)
    delivered: str = "delivered_at"  # when the mail server accepted it, null until then (outbox)


FEEDBACK = FeedbackColumns()
ESCALATIONS = EscalationColumns()


def _as_utc(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return None


def _table(engine: Engine, name: str, columns: list[str]) -> Table | None:
    if name not in inspect(engine).get_table_names():
        return None
    table = Table(name, MetaData(), autoload_with=engine)
    return table if all(c in table.c for c in columns) else None


def _rows(engine: Engine, name: str, columns: list[str], created: str, since: datetime | None) -> list[tuple] | None:
    """The given columns of every row created since `since` (times as UTC), or None without the table."""
    table = _table(engine, name, columns)
    if table is None:
        return None
    with engine.connect() as conn:
        rows = conn.execute(select(*(table.c[c] for c in columns))).all()
    at = columns.index(created)
    out = []
    for row in rows:
        values = list(row)
        values[at] = _as_utc(row[at])
        if since is None or (values[at] is not None and values[at] >= since):
            out.append(tuple(values))
    return out


def feedback_reactions(engine: Engine, since: datetime | None, cols: FeedbackColumns = FEEDBACK) -> list[str] | None:
    """The reaction of each feedback click since `since`; None when feedback is not recorded."""
    rows = _rows(engine, cols.table, [cols.created, cols.reaction], cols.created, since)
    return None if rows is None else [r[1] for r in rows]


def escalations(
    engine: Engine, since: datetime | None, cols: EscalationColumns = ESCALATIONS
) -> list[tuple[datetime, str, datetime | None]] | None:
    """(created, status, delivered) per escalation since `since`; None when escalations are not recorded."""
    parent = _table(engine, cols.table, ["id", cols.created])
    outbox = _table(engine, cols.outbox, [cols.outbox_key, cols.status, cols.delivered])
    if parent is None or outbox is None:
        return None
    query = select(parent.c[cols.created], outbox.c[cols.status], outbox.c[cols.delivered]).join(
        outbox, outbox.c[cols.outbox_key] == parent.c["id"]
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for created, status, delivered in rows:
        at = _as_utc(created)
        if since is None or (at is not None and at >= since):
            out.append((at, str(status), _as_utc(delivered)))
    return out
