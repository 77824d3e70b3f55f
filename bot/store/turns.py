"""The conversation log: one row per answered question, for the IG team's report.

What is stored is what the IG team needs to see where the bot fails, and nothing that names a
person: the question as answered (already redacted by the core, never the raw text), a hash of
the Teams conversation id (to count repeat questions in one conversation, not to find who asked),
the route, the confidence, the cited sources (file and section), the kinds of personal data that
were removed, and how long the answer took. Rows are deleted after RETENTION_LOG_DAYS
(bot.store.retention).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, Float, Integer, String, Table, Text, insert, select

from bot.core.records import Answer
from bot.store.clock import naive_utc
from bot.store.db import metadata
from bot.store.migrate import ensure_schema

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("conversation", String(64), nullable=False),  # sha256 of the Teams conversation id
    Column("question", Text, nullable=False),  # redacted
    Column("route", String(20), nullable=False),
    Column("confidence", Float, nullable=False),
    Column("sources", Text, nullable=False, default="[]"),  # JSON [{"source": file, "section": title}]
    Column("redacted", String(200), nullable=False, default=""),  # comma-separated kinds
    Column("latency_ms", Integer, nullable=False),
)


@dataclass(frozen=True)
class Source:
    """A cited passage's document (path in knowledge/) and section."""

    source: str
    section: str


@dataclass(frozen=True)
class Turn:
    """One answered question as stored."""

    created_at: datetime
    conversation: str
    question: str
    route: str
    confidence: float
    sources: tuple[Source, ...] = ()
    redacted: tuple[str, ...] = ()
    latency_ms: int = 0


def conversation_hash(conversation_id: str) -> str:
    """A stable stand-in for the conversation id: enough to group, not to look the chat up by name."""
    return hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()


def turn_from_answer(conversation_id: str, answer: Answer, latency_ms: float, at: datetime | None = None) -> Turn:
    """The row for an answer; only the redacted question the core produced is kept."""
    return Turn(
        created_at=at or datetime.now(UTC),
        conversation=conversation_hash(conversation_id),
        question=answer.question,
        route=answer.route.value,
        confidence=float(answer.confidence),
        sources=tuple(dict.fromkeys(Source(c.source, c.title) for c in answer.citations)),
        redacted=answer.redacted,
        latency_ms=round(latency_ms),
    )


class TurnStore:
    """Writes and reads conversation-log rows on the shared engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        ensure_schema(engine)  # the migrations own the tables (bot.store.migrate)

    def add(self, turn: Turn) -> int:
        return self.add_many([turn])[0] if turn.question else 0

    def add_many(self, items: Iterable[Turn]) -> list[int]:
        """Insert rows (questions that were never answered, e.g. empty ones, are skipped)."""
        ids = []
        with self.engine.begin() as conn:
            for t in items:
                if not t.question:
                    continue
                result = conn.execute(
                    insert(turns).values(
                        created_at=naive_utc(t.created_at),
                        conversation=t.conversation,
                        question=t.question,
                        route=t.route,
                        confidence=t.confidence,
                        sources=json.dumps([{"source": s.source, "section": s.section} for s in t.sources]),
                        redacted=",".join(t.redacted),
                        latency_ms=t.latency_ms,
                    )
                )
                ids.append(int(result.inserted_primary_key[0]))
        return ids

    def since(self, start: datetime | None = None) -> list[Turn]:
        """Rows from `start` (all when None), oldest first."""
        query = select(turns).order_by(turns.c.created_at, turns.c.id)
        if start is not None:
            query = query.where(turns.c.created_at >= naive_utc(start))
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [
            Turn(
                created_at=r["created_at"].replace(tzinfo=UTC),
                conversation=r["conversation"],
                question=r["question"],
                route=r["route"],
                confidence=r["confidence"],
                sources=tuple(Source(s["source"], s["section"]) for s in json.loads(r["sources"] or "[]")),
                redacted=tuple(k for k in (r["redacted"] or "").split(",") if k),
                latency_ms=r["latency_ms"],
            )
            for r in rows
        ]
