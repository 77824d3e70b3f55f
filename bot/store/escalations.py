"""Escalations to the IG team and their email outbox (SQLAlchemy Core, portable SQL).

An escalation and its outbox row are written in one transaction, so a confirmed escalation is
never lost and never sent without being recorded. The outbox row is the durable to-do item the
sender works through; it is marked delivered only after the mail server accepted the message.

Any number of senders (replicas, `outbox --send`) share one outbox. A sender claims a row before
sending it: one conditional UPDATE moves it from pending to sending with a lease, and only the
sender whose UPDATE changed the row sends. A sender that dies mid-send leaves its lease to run
out; the row is then claimed again and resent under the same Message-ID (at-least-once; the mail
system deduplicates on Message-ID). The staff member's "delivered" message is claimed the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.store.clock import as_utc, utc_now
from bot.store.db import metadata

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
# Short, so a dead sender's email waits half a minute, not minutes; a live sender renews its claim
# every third of it while the send is in flight (bot.mail.sender), however slow the server.
DEFAULT_LEASE_S = 30.0

escalations = Table(
    "escalation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(32), unique=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_name", String(200), nullable=False, default=""),
    Column("user_email", String(320), nullable=False, default=""),
    Column("question", Text, nullable=False),  # already redacted
    Column("fields", JSON, nullable=False),  # the card's answers, as confirmed
    Column("passages", JSON, nullable=False),  # the cited passages the bot showed
    Column("conversation_reference", JSON),  # to tell the staff member when it is delivered
    Column("notified_at", DateTime(timezone=True)),
    Column("notify_lease_until", DateTime(timezone=True)),  # a sender is telling the staff member
)

outbox = Table(
    "escalation_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id"), nullable=False, unique=True),
    Column("message_id", String(300), nullable=False, unique=True),
    Column("status", String(16), nullable=False, default=PENDING, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", String(500)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),  # while sending: the claim holds until then
)


class _NotClaimed(Exception):
    """The caller's claim failed: the escalation must not be stored."""


now = utc_now  # the sender and the tests take the time from here


def reference_for(created: dt.datetime, number: int) -> str:
    """The reference staff quote to IG, e.g. IG-2026-000123 (the number is the row id)."""
    return f"IG-{created.year}-{number:06d}"


def message_id_for(key: str, domain: str) -> str:
    """The email Message-ID: the idempotency key, so a resend is recognisably the same email."""
    safe = "".join(ch if ch.isalnum() or ch in "-._" else "-" for ch in key)
    return f"<{safe}@{domain}>"


@dataclass(frozen=True)
class Escalation:
    id: int
    reference: str
    idempotency_key: str
    created_at: dt.datetime
    user_name: str
    user_email: str
    question: str
    fields: dict[str, str]
    passages: list[dict[str, Any]]
    conversation_reference: dict[str, Any] | None
    notified_at: dt.datetime | None
    message_id: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None
    delivered_at: dt.datetime | None


def _row(r: Any) -> Escalation:
    return Escalation(
        id=r.id,
        reference=r.reference,
        idempotency_key=r.idempotency_key,
        created_at=as_utc(r.created_at),
        user_name=r.user_name,
        user_email=r.user_email,
        question=r.question,
        fields=dict(r.fields),
        passages=list(r.passages),
        conversation_reference=r.conversation_reference,
        notified_at=as_utc(r.notified_at),
        message_id=r.message_id,
        status=r.status,
        attempts=r.attempts,
        next_attempt_at=as_utc(r.next_attempt_at),
        last_error=r.last_error,
        delivered_at=as_utc(r.delivered_at),
    )


def _joined():
    return select(
        escalations,
        outbox.c.message_id,
        outbox.c.status,
        outbox.c.attempts,
        outbox.c.next_attempt_at,
        outbox.c.last_error,
        outbox.c.delivered_at,
    ).join(outbox, outbox.c.escalation_id == escalations.c.id)


def claimable(at: dt.datetime, takeover: bool = True, table: Table = outbox, state: str = "status"):
    """Rows a worker may take at `at`: due and pending, or (with `takeover`) `sending` by a worker whose
    lease ran out. `table` is outbox-shaped (this one, bot.store.case_mail's, or bot.store.cases' reply
    events, whose `state` column is `delivery`): `next_attempt_at`, `lease_until`, pending/sending."""
    column = table.c[state]
    pending = and_(column == PENDING, table.c.next_attempt_at <= at)
    if not takeover:
        return pending
    return or_(pending, and_(column == SENDING, table.c.lease_until < at))


def claim_row(
    engine: Engine, table: Table, row: Any, at: dt.datetime, lease: dt.timedelta, takeover: bool, state: str = "status"
) -> bool:
    """Take the outbox-shaped row that `row` (a condition) picks out of `table`, for `lease`
    (`claimable` says when it may be taken): True for exactly one of any number of
    concurrent callers. One conditional UPDATE: the database applies it to the row once, so a second
    caller's UPDATE finds it already `sending` with a live lease and changes nothing."""
    with engine.begin() as conn:
        result = conn.execute(
            update(table)
            .where(row, claimable(at, takeover, table, state))
            .values({state: SENDING, "lease_until": at + lease})
        )
    return result.rowcount == 1


def renew_row(
    engine: Engine, table: Table, row: Any, at: dt.datetime, lease: dt.timedelta, state: str = "status"
) -> bool:
    """Extend a claim held while the work is in flight: False if the row is no longer `sending`."""
    with engine.begin() as conn:
        result = conn.execute(update(table).where(row, table.c[state] == SENDING).values(lease_until=at + lease))
    return result.rowcount == 1


def _notifiable(at: dt.datetime, takeover: bool = True):
    """Escalations whose staff member is not yet told, and no live claim to tell them (without
    `takeover`: no claim at all, lapsed or not)."""
    unclaimed = escalations.c.notify_lease_until.is_(None)
    return and_(
        escalations.c.notified_at.is_(None),
        or_(unclaimed, escalations.c.notify_lease_until < at) if takeover else unclaimed,
    )


class EscalationStore:
    """Reads and writes escalations; every method is one short transaction."""

    def __init__(
        self,
        engine: Engine,
        message_domain: str = "governance-assistant.lancashire.gov.uk",
        lease_seconds: float = DEFAULT_LEASE_S,
    ) -> None:
        from bot.store.migrate import ensure_schema

        ensure_schema(engine)
        self.engine = engine
        self.domain = message_domain
        self.lease = dt.timedelta(seconds=lease_seconds)

    def create(
        self,
        idempotency_key: str,
        *,
        user_name: str,
        user_email: str,
        question: str,
        fields: dict[str, str],
        passages: list[dict[str, Any]],
        conversation_reference: dict[str, Any] | None,
        created_at: dt.datetime | None = None,
        claim: Callable[[Connection], bool] | None = None,
    ) -> tuple[Escalation | None, bool]:
        """Record a confirmed escalation and queue its email, atomically.

        Returns (escalation, created). Submitting the same card twice returns the first one.
        `claim` runs first in the same transaction (e.g. marking the card's offer used); when it
        returns False nothing is stored and the result is (None, False).
        """
        from bot.store.cases import open_in as open_case
        from bot.store.cases import user_of

        existing = self.by_key(idempotency_key)
        if existing is not None:
            return existing, False
        created = created_at or now()
        try:
            with self.engine.begin() as conn:
                if claim is not None and not claim(conn):
                    raise _NotClaimed  # rolls the transaction back
                new_id = conn.execute(
                    escalations.insert().values(
                        idempotency_key=idempotency_key,
                        created_at=created,
                        user_name=user_name[:200],  # a display name longer than the column: cut, not a failed Send
                        user_email=user_email,
                        question=question,
                        fields=fields,
                        passages=passages,
                        conversation_reference=conversation_reference,
                    )
                ).inserted_primary_key[0]
                conn.execute(
                    escalations.update()
                    .where(escalations.c.id == new_id)
                    .values(reference=reference_for(created, new_id))
                )
                open_case(conn, new_id, user_of(conversation_reference), created)
                conn.execute(
                    outbox.insert().values(
                        escalation_id=new_id,
                        message_id=message_id_for(idempotency_key, self.domain),
                        status=PENDING,
                        attempts=0,
                        next_attempt_at=created,
                        created_at=created,
                    )
                )
        except _NotClaimed:
            return None, False
        except IntegrityError:  # a concurrent double submit won the race
            existing = self.by_key(idempotency_key)
            if existing is None:
                raise
            return existing, False
        return self.get(new_id), True

    def get(self, escalation_id: int) -> Escalation | None:
        with self.engine.connect() as conn:
            r = conn.execute(_joined().where(escalations.c.id == escalation_id)).first()
        return _row(r) if r else None

    def by_key(self, key: str) -> Escalation | None:
        with self.engine.connect() as conn:
            r = conn.execute(_joined().where(escalations.c.idempotency_key == key)).first()
        return _row(r) if r else None

    def list(self, status: str | None = None) -> list[Escalation]:
        q = _joined().order_by(escalations.c.id)
        if status:
            q = q.where(outbox.c.status == status)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def due(self, at: dt.datetime | None = None, limit: int = 50, takeover: bool = True) -> list[Escalation]:
        """Emails a sender may claim now, oldest first: pending and due, or sending with a lapsed lease."""
        at = at or now()
        q = _joined().where(claimable(at, takeover)).order_by(outbox.c.next_attempt_at, escalations.c.id).limit(limit)
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def claim(self, escalation_id: int, at: dt.datetime | None = None, takeover: bool = True) -> bool:
        """Take the email for sending; True for exactly one of any number of concurrent callers.
        Without `takeover`, only pending rows: another sender's lapsed claim is left to it for now."""
        return claim_row(
            self.engine, outbox, outbox.c.escalation_id == escalation_id, at or now(), self.lease, takeover
        )

    def renew(self, escalation_id: int, at: dt.datetime | None = None) -> bool:
        """Extend a claim held while sending: False if the row is no longer being sent."""
        return renew_row(self.engine, outbox, outbox.c.escalation_id == escalation_id, at or now(), self.lease)

    def renew_notification(self, escalation_id: int, at: dt.datetime | None = None) -> bool:
        """Extend the claim on telling the staff member, while the message is on its way."""
        at = at or now()
        with self.engine.begin() as conn:
            result = conn.execute(
                escalations.update()
                .where(escalations.c.id == escalation_id, escalations.c.notified_at.is_(None))
                .values(notify_lease_until=at + self.lease)
            )
        return result.rowcount == 1

    def next_due_at(self) -> dt.datetime | None:
        """When the next email becomes claimable: a pending row's next attempt, or a lease running out."""
        with self.engine.connect() as conn:
            pending = conn.execute(select(func.min(outbox.c.next_attempt_at)).where(outbox.c.status == PENDING))
            first = as_utc(pending.scalar())
            leased = conn.execute(select(func.min(outbox.c.lease_until)).where(outbox.c.status == SENDING))
            lapse = as_utc(leased.scalar())
        times = [t for t in (first, lapse) if t is not None]
        return min(times) if times else None

    def mark_delivered(self, escalation_id: int, at: dt.datetime | None = None) -> None:
        """The mail server accepted the email; its case moves to delivered in the same transaction."""
        from bot.store.cases import delivered_in

        at = at or now()
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(outbox)
                .where(outbox.c.escalation_id == escalation_id, outbox.c.status != DELIVERED)
                .values(status=DELIVERED, delivered_at=at, last_error=None, lease_until=None)
            ).rowcount
            if changed:
                delivered_in(conn, escalation_id, at)

    def mark_attempt_failed(self, escalation_id: int, error: str, retry_at: dt.datetime | None) -> None:
        """Count a failed attempt; with no retry time the row is given up as failed."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:500], "lease_until": None}
        if retry_at is None:
            values.update(status=FAILED)
        else:
            values.update(status=PENDING, next_attempt_at=retry_at)
        with self.engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.escalation_id == escalation_id).values(**values))

    def retry(self, escalation_id: int) -> bool:
        """Queue a failed (or pending) email again, now. False if there is no such escalation."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(outbox)
                .where(outbox.c.escalation_id == escalation_id, outbox.c.status.in_((PENDING, FAILED)))
                .values(status=PENDING, next_attempt_at=now())
            )
        return result.rowcount > 0

    def claim_notification(self, escalation_id: int, at: dt.datetime | None = None, takeover: bool = True) -> bool:
        """Take the "delivered" message to the staff member; True for exactly one concurrent caller."""
        at = at or now()
        with self.engine.begin() as conn:
            result = conn.execute(
                escalations.update()
                .where(escalations.c.id == escalation_id, _notifiable(at, takeover))
                .values(notify_lease_until=at + self.lease)
            )
        return result.rowcount == 1

    def release_notification(self, escalation_id: int) -> None:
        """Telling the staff member failed: let the next pass (any sender) try again."""
        with self.engine.begin() as conn:
            conn.execute(
                escalations.update()
                .where(escalations.c.id == escalation_id, escalations.c.notified_at.is_(None))
                .values(notify_lease_until=None)
            )

    def mark_notified(self, escalation_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                escalations.update()
                .where(escalations.c.id == escalation_id)
                .values(notified_at=now(), notify_lease_until=None)
            )

    def unnotified(self, at: dt.datetime | None = None, takeover: bool = True) -> list[Escalation]:
        """Delivered escalations whose staff member has not been told yet, and nobody is telling now."""
        q = _joined().where(outbox.c.status == DELIVERED, _notifiable(at or now(), takeover))
        with self.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def backlog(self) -> dict[str, Any]:
        """What /healthz reports: pending and failed counts, and the oldest pending age."""
        with self.engine.connect() as conn:
            counts = dict(conn.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all())
            first = select(func.min(outbox.c.created_at)).where(outbox.c.status.in_((PENDING, SENDING)))
            oldest = as_utc(conn.execute(first).scalar())
        age = round((now() - oldest).total_seconds(), 1) if oldest else 0.0
        return {
            "outbox_pending": counts.get(PENDING, 0) + counts.get(SENDING, 0),  # being sent is not delivered
            "outbox_failed": counts.get(FAILED, 0),
            "outbox_oldest_pending_seconds": age,
        }
