"""Feedback on answers (Teams' thumbs up/down), kept for the IG team's report.

Only redacted text is stored: the question was redacted before it was answered, and the
comment a person types with their feedback is redacted here before it is written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Engine, Integer, String, Table, Text, insert, select

from bot.store.db import metadata
from bot.store.migrate import ensure_schema
from bot.store.offers import stored_id

REACTIONS = ("like", "dislike")

REPLY_ID_CHARS = 200  # the column's length
feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reply_id", String(REPLY_ID_CHARS), nullable=False, index=True),
    Column("reaction", String(10), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("question", Text, nullable=True),  # redacted; null when the reply is no longer remembered
    Column("answer", Text, nullable=True),
    Column("route", String(20), nullable=True),
    Column("citations", Text, nullable=True),  # JSON list of cited titles
)


@dataclass(frozen=True)
class Feedback:
    """One feedback click, as stored."""

    reply_id: str
    reaction: str
    comment: str = ""
    question: str | None = None
    answer: str | None = None
    route: str | None = None
    citations: tuple[str, ...] = ()


class FeedbackStore:
    """Writes and reads feedback rows on the shared engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        ensure_schema(engine)  # the migrations own the tables (bot.store.migrate)

    def add(self, item: Feedback) -> int:
        if item.reaction not in REACTIONS:
            raise ValueError(f"reaction must be one of {REACTIONS}, not {item.reaction!r}")
        with self._engine.begin() as conn:
            result = conn.execute(
                insert(feedback).values(
                    created_at=datetime.now(UTC),
                    reply_id=stored_id(item.reply_id, REPLY_ID_CHARS),  # PostgreSQL refuses a longer one
                    reaction=item.reaction,
                    comment=item.comment,
                    question=item.question,
                    answer=item.answer,
                    route=item.route,
                    citations=json.dumps(list(item.citations)),
                )
            )
            return int(result.inserted_primary_key[0])

    def all(self) -> list[Feedback]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(feedback).order_by(feedback.c.id)).mappings().all()
        return [
            Feedback(
                reply_id=r["reply_id"],
                reaction=r["reaction"],
                comment=r["comment"],
                question=r["question"],
                answer=r["answer"],
                route=r["route"],
                citations=tuple(json.loads(r["citations"] or "[]")),
            )
            for r in rows
        ]
