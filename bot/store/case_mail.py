"""The IG mailbox's copy of each reply sent in Teams, and a note of each withdrawal, queued like the
escalation email itself.

The copy keeps the email thread complete: the reply goes in the same thread as the escalation's
email (In-Reply-To its Message-ID). The table has the outbox's shape and the same claim rules
(bot.store.escalations.claimable), so the outbox's own sender (bot.mail.sender.OutboxSender) works
through it: claimed before sending, renewed while in flight, backed off and retried, marked
delivered only once the server accepted it. The row is queued in the reply's own transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    func,
    insert,
    select,
    update,
)

from bot.store.cases import events
from bot.store.clock import as_utc, utc_now
from bot.store.db import metadata
from bot.store.escalations import (
    DEFAULT_LEASE_S,
    DELIVERED,
    FAILED,
    PENDING,
    SENDING,
    claim_row,
    claimable,
    escalations,
    outbox,
    renew_row,
)

case_mail = Table(
    "case_mail",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id"), nullable=False, index=True),
    Column("event_id", Integer, ForeignKey("case_event.id"), nullable=False, unique=True),
    Column("message_id", String(300), nullable=False, unique=True),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class ReplyCopy:
    """One queued copy: what the email says, and the outbox fields the sender reads (`id`, `attempts`)."""

    id: int
    reference: str
    thread_message_id: str  # the escalation email's Message-ID: the copy goes in its thread
    message_id: str
    user_email: str
    at: dt.datetime
    action: str
    text: str
    signed_by: str
    actor_id: str
    status: str
    attempts: int


def _row(r: Any) -> ReplyCopy:
    return ReplyCopy(
        id=r.id,
        reference=r.reference or "",
        thread_message_id=r.thread_message_id,
        message_id=r.message_id,
        user_email=r.user_email,
        at=as_utc(r.at),
        action=r.action,
        text=r.text,
        signed_by=r.signed_by,
        actor_id=r.actor_id,
        status=r.status,
        attempts=r.attempts,
    )


def _joined():
    return (
        select(
            case_mail,
            escalations.c.reference,
            escalations.c.user_email,
            outbox.c.message_id.label("thread_message_id"),
            events.c.at,
            events.c.action,
            events.c.text,
            events.c.signed_by,
            events.c.actor_id,
        )
        .join(events, events.c.id == case_mail.c.event_id)
        .join(escalations, escalations.c.id == case_mail.c.escalation_id)
        .join(outbox, outbox.c.escalation_id == case_mail.c.escalation_id)
    )


def queue_in(conn: Connection, escalation_id: int, event_id: int, domain: str, at: dt.datetime) -> None:
    """Queue the email for a reply or a withdrawal, in its transaction (bot.store.cases.CaseStore.act's `also`)."""
    conn.execute(
        insert(case_mail).values(
            escalation_id=escalation_id,
            event_id=event_id,
            message_id=f"<case-{escalation_id}-event-{event_id}@{domain}>",
            status=PENDING,
            attempts=0,
            next_attempt_at=at,
            created_at=at,
        )
    )


class CaseMailStore:
    """The store interface bot.mail.sender.OutboxSender works through, over `case_mail`."""

    def __init__(self, engine: Engine, domain: str, lease_seconds: float = DEFAULT_LEASE_S) -> None:
        from bot.store.migrate import ensure_schema

        ensure_schema(engine)
        self.engine, self.domain = engine, domain
        self.lease = dt.timedelta(seconds=lease_seconds)

    def queue_in(self, conn: Connection, escalation_id: int, event_id: int, at: dt.datetime | None = None) -> None:
        queue_in(conn, escalation_id, event_id, self.domain, at or utc_now())

    def list(self) -> list[ReplyCopy]:
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(_joined().order_by(case_mail.c.id))]

    def due(self, at: dt.datetime | None = None, limit: int = 50, takeover: bool = True) -> list[ReplyCopy]:
        at = at or utc_now()
        q = _joined().where(claimable(at, takeover, case_mail)).order_by(case_mail.c.next_attempt_at, case_mail.c.id)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q.limit(limit))]

    def claim(self, copy_id: int, at: dt.datetime | None = None, takeover: bool = True) -> bool:
        return claim_row(self.engine, case_mail, case_mail.c.id == copy_id, at or utc_now(), self.lease, takeover)

    def renew(self, copy_id: int, at: dt.datetime | None = None) -> bool:
        return renew_row(self.engine, case_mail, case_mail.c.id == copy_id, at or utc_now(), self.lease)

    def mark_delivered(self, copy_id: int, at: dt.datetime | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(case_mail)
                .where(case_mail.c.id == copy_id)
                .values(status=DELIVERED, delivered_at=at or utc_now(), last_error=None, lease_until=None)
            )

    def mark_attempt_failed(self, copy_id: int, error: str, retry_at: dt.datetime | None) -> None:
        values: dict[str, Any] = {"attempts": case_mail.c.attempts + 1, "last_error": error[:500], "lease_until": None}
        values.update(status=FAILED) if retry_at is None else values.update(status=PENDING, next_attempt_at=retry_at)
        with self.engine.begin() as conn:
            conn.execute(update(case_mail).where(case_mail.c.id == copy_id).values(**values))

    def next_due_at(self) -> dt.datetime | None:
        with self.engine.connect() as conn:
            first = conn.execute(select(func.min(case_mail.c.next_attempt_at)).where(case_mail.c.status == PENDING))
            pending = as_utc(first.scalar())
            leased = conn.execute(select(func.min(case_mail.c.lease_until)).where(case_mail.c.status == SENDING))
            lapse = as_utc(leased.scalar())
        times = [t for t in (pending, lapse) if t is not None]
        return min(times) if times else None
