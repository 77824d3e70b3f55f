"""Offers of the IG hand-off card, kept on the server so a submit can be checked against them.

When the bot offers the card it stores what it showed: an opaque id bound to the conversation and
the person, the redacted question, the cited passages and an expiry. A card's Send or Cancel is
accepted only for a live offer of the same conversation and person, and only once; the email quotes
the passages from here, never from what the client sent back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, Connection, DateTime, Engine, String, Table, Text, delete, select, update

from bot.store.clock import as_utc, utc_now
from bot.store.db import metadata
from bot.store.migrate import ensure_schema

SENT, CANCELLED = "sent", "cancelled"
# What an offer is for: the hand-off card (bot.teams.escalation), or one case's buttons on a card
# listing cases (bot.teams.cases). An id is looked up for one kind only, so a case button's id can
# never be sent as a hand-off form, nor the other way round.
ESCALATION, CASE = "escalation", "case"
CONVERSATION_CHARS, USER_CHARS = 500, 200  # the columns' lengths

offers = Table(
    "escalation_offer",
    metadata,
    Column("id", String(64), primary_key=True),  # opaque and unguessable: it is all the card carries
    Column("conversation_id", String(CONVERSATION_CHARS), nullable=False),
    Column("user_id", String(USER_CHARS), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
    Column("question", Text, nullable=False),  # already redacted
    Column("fields", JSON, nullable=False),  # the card's prefilled answers (redacted)
    Column("passages", JSON, nullable=False),  # the cited passages the bot showed
    Column("roster_email", String(320), nullable=False, default=""),  # from the Teams roster, if it answered
    Column("used_at", DateTime(timezone=True)),
    Column("outcome", String(16)),  # sent | cancelled, once used
    Column("kind", String(16), nullable=False, server_default=ESCALATION),
)


@dataclass(frozen=True)
class Offer:
    id: str
    conversation_id: str
    user_id: str
    created_at: dt.datetime
    expires_at: dt.datetime
    question: str
    fields: dict[str, str]
    passages: list[dict[str, Any]]
    roster_email: str
    used_at: dt.datetime | None
    outcome: str | None
    kind: str = ESCALATION

    def live(self, at: dt.datetime | None = None) -> bool:
        return self.used_at is None and (at or utc_now()) < self.expires_at

    def belongs_to(self, conversation_id: str, user_id: str) -> bool:
        conversation, user = stored_id(conversation_id, CONVERSATION_CHARS), stored_id(user_id, USER_CHARS)
        return secrets.compare_digest(self.conversation_id, conversation) and secrets.compare_digest(self.user_id, user)


def stored_id(value: str, limit: int) -> str:
    """A Teams id as stored: as given when it fits the column, else a digest of it (PostgreSQL refuses
    a longer value, where SQLite took it, and a longer id must still get its form, on either)."""
    if len(value) <= limit:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _row(r: Any) -> Offer:
    return Offer(
        id=r.id,
        conversation_id=r.conversation_id,
        user_id=r.user_id,
        created_at=as_utc(r.created_at),
        expires_at=as_utc(r.expires_at),
        question=r.question,
        fields=dict(r.fields),
        passages=list(r.passages),
        roster_email=r.roster_email or "",
        used_at=as_utc(r.used_at),
        outcome=r.outcome,
        kind=r.kind,
    )


class OfferStore:
    """Every method is one short transaction; `use` is the only way an offer changes."""

    def __init__(self, engine: Engine, lifetime: dt.timedelta = dt.timedelta(hours=24)) -> None:
        ensure_schema(engine)  # the migrations own the table (bot.store.migrate)
        self.engine = engine
        self.lifetime = lifetime

    def create(
        self,
        *,
        conversation_id: str,
        user_id: str,
        question: str,
        fields: dict[str, str],
        passages: list[dict[str, Any]],
        roster_email: str = "",
        at: dt.datetime | None = None,
        kind: str = ESCALATION,
    ) -> Offer:
        created = at or utc_now()
        offer_id = secrets.token_urlsafe(24)
        # What the table hands back, without reading it back: JSON columns come back as their
        # JSON (tuples as lists), timestamps as aware UTC.
        fields, passages = json.loads(json.dumps(fields)), json.loads(json.dumps(passages))
        offer = Offer(
            id=offer_id,
            conversation_id=stored_id(conversation_id, CONVERSATION_CHARS),
            user_id=stored_id(user_id, USER_CHARS),
            created_at=as_utc(created),
            expires_at=as_utc(created + self.lifetime),
            question=question,
            fields=fields,
            passages=passages,
            roster_email=roster_email or "",
            used_at=None,
            outcome=None,
            kind=kind,
        )
        with self.engine.begin() as conn:
            conn.execute(
                offers.insert().values(
                    id=offer_id,
                    conversation_id=offer.conversation_id,
                    user_id=offer.user_id,
                    created_at=created,
                    expires_at=created + self.lifetime,
                    question=question,
                    fields=fields,
                    passages=passages,
                    roster_email=roster_email,
                    kind=kind,
                )
            )
        return offer

    def get(self, offer_id: str, kind: str = ESCALATION) -> Offer | None:
        if not isinstance(offer_id, str) or not offer_id or len(offer_id) > 64:
            return None
        with self.engine.connect() as conn:
            r = conn.execute(select(offers).where(offers.c.id == offer_id, offers.c.kind == kind)).first()
        return _row(r) if r else None

    def use(self, offer_id: str, outcome: str, at: dt.datetime | None = None) -> bool:
        """Mark a live offer used, atomically: True for exactly one caller, however many race."""
        with self.engine.begin() as conn:
            return self.use_in(conn, offer_id, outcome, at)

    @staticmethod
    def use_in(conn: Connection, offer_id: str, outcome: str, at: dt.datetime | None = None) -> bool:
        """`use` inside the caller's transaction (an escalation is stored in the same one)."""
        at = at or utc_now()
        result = conn.execute(
            update(offers)
            .where(offers.c.id == offer_id, offers.c.used_at.is_(None), offers.c.expires_at > at)
            .values(used_at=at, outcome=outcome)
        )
        return result.rowcount == 1

    def purge(self, before: dt.datetime) -> int:
        """Delete offers that expired before `before` (used or not): they can never be accepted again."""
        with self.engine.begin() as conn:
            return conn.execute(delete(offers).where(offers.c.expires_at < before)).rowcount
