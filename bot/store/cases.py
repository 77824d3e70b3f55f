"""IG cases: one per escalation, its status, and every change with who made it and when.

`escalation_case` holds the status now; `case_event` holds each change (received, delivered, a
reply, a close, a withdrawal) with the actor, the time and the typed text (redacted before it gets
here). A reply event also carries its delivery to the staff member's chat: pending until the
reply worker (bot.teams.case_replies) has posted it, `unreachable` when the chat can no longer be
reached; the text stays on the case either way, and the case is flagged for the IG team.

A change is one transaction: the status moves only if it still is what the caller read (so two
IG members closing at once close it once), the event is written, and the caller's `claim` (the
card's action marked used) runs in the same transaction. The rules for which moves exist are
bot.core.cases; who may make them is checked by the Teams side against what is stored here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
    Text,
    func,
    insert,
    select,
    update,
)

from bot.core import cases as rules
from bot.store.clock import as_utc, utc_now
from bot.store.db import metadata
from bot.store.escalations import claim_row, claimable, escalations, renew_row
from bot.store.offers import USER_CHARS, stored_id

STAFF, IG, SYSTEM = "staff", "ig", "system"
PENDING, SENDING, SENT, UNREACHABLE = "pending", "sending", "sent", "unreachable"
DEFAULT_LEASE_S = 30.0

cases = Table(
    "escalation_case",
    metadata,
    Column("escalation_id", Integer, ForeignKey("escalation.id"), primary_key=True),
    Column("user_id", String(USER_CHARS), nullable=False, index=True),  # the staff member's Teams id (or digest)
    Column("status", String(16), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("first_reply_at", DateTime(timezone=True)),
    Column("flag", String(300)),  # for the IG team: a reply that could not reach the staff member
)

events = Table(
    "case_event",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id"), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(16), nullable=False),  # staff | ig | system
    Column("actor_id", String(USER_CHARS), nullable=False),  # an Entra object id, a Teams id, or ""
    Column("action", String(16), nullable=False),  # received | deliver | reply | close | withdraw
    Column("status", String(16), nullable=False),  # the case's status after it
    Column("text", Text, nullable=False),  # a reply or a closing note, redacted
    Column("signed_by", String(200), nullable=False),  # "" = "the IG team"
    Column("delivery", String(16), index=True),  # replies only: pending | sending | sent | unreachable
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", String(300)),
)


@dataclass(frozen=True)
class Event:
    id: int
    escalation_id: int
    at: dt.datetime
    actor: str
    actor_id: str
    action: str
    status: str
    text: str
    signed_by: str
    delivery: str | None
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class Case:
    id: int  # the escalation's id
    reference: str
    created_at: dt.datetime
    user_id: str
    user_email: str
    question: str
    fields: dict[str, str]
    conversation_reference: dict[str, Any] | None
    status: str
    updated_at: dt.datetime
    first_reply_at: dt.datetime | None
    flag: str | None

    @property
    def open(self) -> bool:
        return rules.is_open(self.status)


def _case(r: Any) -> Case:
    return Case(
        id=r.escalation_id,
        reference=r.reference or "",
        created_at=as_utc(r.created_at),
        user_id=r.user_id,
        user_email=r.user_email,
        question=r.question,
        fields=dict(r.fields),
        conversation_reference=r.conversation_reference,
        status=r.status,
        updated_at=as_utc(r.updated_at),
        first_reply_at=as_utc(r.first_reply_at),
        flag=r.flag,
    )


def _event(r: Any) -> Event:
    return Event(
        id=r.id,
        escalation_id=r.escalation_id,
        at=as_utc(r.at),
        actor=r.actor,
        actor_id=r.actor_id,
        action=r.action,
        status=r.status,
        text=r.text,
        signed_by=r.signed_by,
        delivery=r.delivery,
        attempts=r.attempts,
        last_error=r.last_error,
    )


def _joined():
    return select(
        cases,
        escalations.c.reference,
        escalations.c.created_at,
        escalations.c.user_email,
        escalations.c.question,
        escalations.c.fields,
        escalations.c.conversation_reference,
    ).join(escalations, escalations.c.id == cases.c.escalation_id)


def user_of(conversation_reference: dict[str, Any] | None) -> str:
    """The staff member's Teams id as stored, from the conversation reference kept with the escalation."""
    user = (conversation_reference or {}).get("user") or {}
    return stored_id(str(user.get("id") or ""), USER_CHARS)


def _event_row(escalation_id: int, at: dt.datetime, actor: str, actor_id: str, action: str, status: str, **extra):
    return {
        "escalation_id": escalation_id,
        "at": at,
        "actor": actor,
        "actor_id": stored_id(actor_id, USER_CHARS),
        "action": action,
        "status": status,
        "text": extra.get("text", ""),
        "signed_by": extra.get("signed_by", "")[:200],
        "delivery": extra.get("delivery"),
        "attempts": 0,
        "next_attempt_at": extra.get("next_attempt_at"),
    }


def open_in(conn: Connection, escalation_id: int, user_id: str, at: dt.datetime) -> None:
    """A new case, received, in the escalation's own transaction (bot.store.escalations.create)."""
    conn.execute(
        insert(cases).values(
            escalation_id=escalation_id, user_id=stored_id(user_id, USER_CHARS), status=rules.RECEIVED, updated_at=at
        )
    )
    conn.execute(insert(events).values(_event_row(escalation_id, at, SYSTEM, "", "received", rules.RECEIVED)))


def delivered_in(conn: Connection, escalation_id: int, at: dt.datetime) -> None:
    """The email was accepted by the IG mailbox (bot.store.escalations.mark_delivered): received -> delivered.

    A case already answered, closed or withdrawn keeps its status; the delivery is recorded all the same."""
    moved = conn.execute(
        update(cases)
        .where(cases.c.escalation_id == escalation_id, cases.c.status == rules.RECEIVED)
        .values(status=rules.DELIVERED, updated_at=at)
    ).rowcount
    status = (
        rules.DELIVERED
        if moved
        else conn.execute(select(cases.c.status).where(cases.c.escalation_id == escalation_id)).scalar()
    )
    if status is not None:
        conn.execute(insert(events).values(_event_row(escalation_id, at, SYSTEM, "", rules.DELIVER, status)))


def _claimable(at: dt.datetime, takeover: bool):
    """Replies a worker may take: the outbox's claim rules (bot.store.escalations.claimable) on `delivery`."""
    return claimable(at, takeover, events, "delivery")


class _Unchanged(Exception):
    """The action is not allowed now, or its claim failed: the transaction is rolled back."""


class CaseStore:
    """Every method is one short transaction."""

    def __init__(self, engine: Engine, lease_seconds: float = DEFAULT_LEASE_S) -> None:
        from bot.store.migrate import ensure_schema

        ensure_schema(engine)
        self.engine = engine
        self.lease = dt.timedelta(seconds=lease_seconds)

    # -- reading --------------------------------------------------------------------------------

    def get(self, case_id: int) -> Case | None:
        with self.engine.connect() as conn:
            r = conn.execute(_joined().where(cases.c.escalation_id == case_id)).first()
        return _case(r) if r else None

    def open_cases(self) -> list[Case]:
        """Open cases, oldest first."""
        q = (
            _joined()
            .where(cases.c.status.in_(sorted(rules.OPEN)))
            .order_by(escalations.c.created_at, cases.c.escalation_id)
        )
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(q)]

    def all(self) -> list[Case]:
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(_joined().order_by(cases.c.escalation_id))]

    def for_user(self, user_id: str) -> list[Case]:
        """One staff member's own cases (by their Teams id), newest first."""
        q = _joined().where(cases.c.user_id == stored_id(user_id, USER_CHARS))
        with self.engine.connect() as conn:
            return [_case(r) for r in conn.execute(q.order_by(escalations.c.created_at.desc(), cases.c.escalation_id))]

    def events(self, case_id: int) -> list[Event]:
        q = select(events).where(events.c.escalation_id == case_id).order_by(events.c.id)
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(q)]

    def event(self, event_id: int) -> Event | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(events).where(events.c.id == event_id)).first()
        return _event(r) if r else None

    # -- changing -------------------------------------------------------------------------------

    def act(
        self,
        case_id: int,
        action: str,
        *,
        actor: str,
        actor_id: str,
        text: str = "",
        signed_by: str = "",
        at: dt.datetime | None = None,
        claim: Callable[[Connection], bool] | None = None,
        also: Callable[[Connection, int], None] | None = None,
    ) -> Event | None:
        """Apply `action` if bot.core.cases allows it from the stored status; the event, or None (nothing changed).

        `claim` runs first in the same transaction (the card's action marked used); False changes nothing.
        `also(conn, event_id)` runs after, in it too (a reply's copy queued for the IG mailbox)."""
        at = at or utc_now()
        try:
            event_id = self._act(case_id, action, at, actor, actor_id, text, signed_by, claim, also)
        except _Unchanged:
            return None
        return self.event(event_id)

    def _act(self, case_id, action, at, actor, actor_id, text, signed_by, claim, also) -> int:  # type: ignore[no-untyped-def]
        with self.engine.begin() as conn:
            status = conn.execute(select(cases.c.status).where(cases.c.escalation_id == case_id)).scalar()
            after = rules.next_status(status, action) if status else None
            if after is None or (claim is not None and not claim(conn)):
                raise _Unchanged
            values: dict[str, Any] = {"status": after, "updated_at": at}
            if action == rules.REPLY:
                values["first_reply_at"] = func.coalesce(cases.c.first_reply_at, at)
            moved = conn.execute(
                update(cases).where(cases.c.escalation_id == case_id, cases.c.status == status).values(**values)
            ).rowcount
            if moved != 1:  # someone else moved it between our read and our write: undo the claim too
                raise _Unchanged
            reply = {"delivery": PENDING, "next_attempt_at": at} if action == rules.REPLY else {}
            row = _event_row(case_id, at, actor, actor_id, action, after, text=text, signed_by=signed_by, **reply)
            event_id = conn.execute(insert(events).values(row)).inserted_primary_key[0]
            if also is not None:
                also(conn, event_id)
        return event_id

    # -- replies on their way to the staff member -----------------------------------------------

    def due_replies(self, at: dt.datetime | None = None, takeover: bool = True, limit: int = 50) -> list[Event]:
        at = at or utc_now()
        q = select(events).where(_claimable(at, takeover)).order_by(events.c.next_attempt_at, events.c.id)
        with self.engine.connect() as conn:
            return [_event(r) for r in conn.execute(q.limit(limit))]

    def claim_reply(self, event_id: int, at: dt.datetime | None = None, takeover: bool = True) -> bool:
        """Take a reply for posting: True for exactly one of any number of concurrent workers. Without
        `takeover`, only pending replies: another worker's lapsed claim is left to it for now."""
        return claim_row(
            self.engine, events, events.c.id == event_id, at or utc_now(), self.lease, takeover, "delivery"
        )

    def renew_reply(self, event_id: int, at: dt.datetime | None = None) -> bool:
        """Extend the claim on a reply while it is being posted: False if it is no longer being posted."""
        return renew_row(self.engine, events, events.c.id == event_id, at or utc_now(), self.lease, "delivery")

    def reply_sent(self, event_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(events).where(events.c.id == event_id).values(delivery=SENT, lease_until=None))

    def reply_failed(self, event_id: int, error: str, retry_at: dt.datetime | None, flag: str = "") -> None:
        """Count a failed post; with no retry time the reply is `unreachable` and its case flagged with `flag`."""
        values: dict[str, Any] = {"attempts": events.c.attempts + 1, "last_error": error[:300], "lease_until": None}
        values.update(delivery=UNREACHABLE) if retry_at is None else values.update(
            delivery=PENDING, next_attempt_at=retry_at
        )
        with self.engine.begin() as conn:
            conn.execute(update(events).where(events.c.id == event_id).values(**values))
            if retry_at is None:
                case_id = select(events.c.escalation_id).where(events.c.id == event_id).scalar_subquery()
                conn.execute(update(cases).where(cases.c.escalation_id == case_id).values(flag=flag[:300]))

    def next_reply_due(self) -> dt.datetime | None:
        with self.engine.connect() as conn:
            pending = as_utc(
                conn.execute(select(func.min(events.c.next_attempt_at)).where(events.c.delivery == PENDING)).scalar()
            )
            lapse = as_utc(
                conn.execute(select(func.min(events.c.lease_until)).where(events.c.delivery == SENDING)).scalar()
            )
        times = [t for t in (pending, lapse) if t is not None]
        return min(times) if times else None
