"""What the report reads from tables other features own, through those features' own Table objects.

Feedback is bot/store/feedback.py's table, escalations and their delivery status are
bot/store/escalations.py's. The migrations guarantee the tables exist, so a renamed column
fails here loudly instead of the report quietly saying "not recorded". The conversation log
(bot/store/turns.py) is read through its own module.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from bot.store.cases import cases as case_table
from bot.store.clock import as_utc
from bot.store.escalations import escalations as escalation_table
from bot.store.escalations import outbox
from bot.store.feedback import feedback
from bot.store.migrate import ensure_schema


def feedback_reactions(engine: Engine, since: datetime | None) -> list[str]:
    """The reaction of each feedback click since `since`."""
    ensure_schema(engine)
    query = select(feedback.c.created_at, feedback.c.reaction)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [reaction for created, reaction in rows if since is None or as_utc(created) >= since]


def escalations(engine: Engine, since: datetime | None) -> list[tuple[datetime, str, datetime | None]]:
    """(created, status, delivered) per escalation since `since`."""
    ensure_schema(engine)
    query = select(escalation_table.c.created_at, outbox.c.status, outbox.c.delivered_at).join(
        outbox, outbox.c.escalation_id == escalation_table.c.id
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = []
    for created, status, delivered in rows:
        at = as_utc(created)
        if since is None or (at is not None and at >= since):
            out.append((at, str(status), as_utc(delivered)))
    return out


def cases(engine: Engine) -> list[tuple[str, str, datetime, datetime | None]]:
    """(reference, status, received, first reply) per case still kept (bot/store/cases.py)."""
    ensure_schema(engine)
    query = select(
        escalation_table.c.reference, case_table.c.status, escalation_table.c.created_at, case_table.c.first_reply_at
    ).join(escalation_table, escalation_table.c.id == case_table.c.escalation_id)
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(escalation_table.c.created_at, escalation_table.c.id)).all()
    return [(str(ref), str(status), as_utc(created), as_utc(first)) for ref, status, created, first in rows]
