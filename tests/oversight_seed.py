"""Seed a database with rows as issues 3 and 5 store them, for the retention and report tests.

The feedback table copies bot/store/feedback.py (issue 5) column for column; the escalation
and escalation_outbox tables copy the columns of issue 3's bot/store/escalations.py that the
report and the purge read (as of its work in progress). They live on their own MetaData so that the real modules, once
merged, do not clash with them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, ForeignKey, Integer, MetaData, String, Table, Text, insert

from bot.store.turns import Source, Turn, TurnStore

other = MetaData()
feedback = Table(
    "feedback",
    other,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("reply_id", String(200), nullable=False),
    Column("reaction", String(10), nullable=False),
    Column("comment", Text, nullable=False, default=""),
    Column("question", Text, nullable=True),
    Column("answer", Text, nullable=True),
    Column("route", String(20), nullable=True),
    Column("citations", Text, nullable=True),
)
escalations = Table(
    "escalation",
    other,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(32), unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("question", Text, nullable=False),
)
outbox = Table(
    "escalation_outbox",
    other,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("escalation_id", Integer, ForeignKey("escalation.id"), nullable=False, unique=True),
    Column("status", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ago(days: float = 0, minutes: float = 0) -> datetime:
    return NOW - timedelta(days=days, minutes=minutes)


def create_other_tables(engine: Engine) -> None:
    other.create_all(engine)


def add_turn(
    engine: Engine,
    at: datetime,
    question: str,
    route: str = "answer",
    sources: tuple[tuple[str, str], ...] = (),
    redacted: tuple[str, ...] = (),
) -> None:
    TurnStore(engine).add(
        Turn(at, "hash", question, route, 0.5, tuple(Source(*s) for s in sources), redacted, latency_ms=40)
    )


def add_feedback(engine: Engine, at: datetime, reaction: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(feedback).values(created_at=at, reply_id="r", reaction=reaction, comment=""))


def add_escalation(engine: Engine, at: datetime, status: str, delivered: datetime | None = None) -> int:
    with engine.begin() as conn:
        result = conn.execute(insert(escalations).values(created_at=at, question="Can [name] use Copilot?"))
        key = int(result.inserted_primary_key[0])
        conn.execute(
            insert(outbox).values(
                escalation_id=key, status=status, created_at=at, delivered_at=delivered if delivered else None
            )
        )
    return key
