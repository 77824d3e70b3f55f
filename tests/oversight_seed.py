"""Seed a database with rows as the stores keep them, for the retention and report tests.

The rows go into the stores' own tables (bot/store/feedback.py, bot/store/escalations.py),
created by the migrations; only the columns the report and the purge read are varied.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, insert

from bot.store.escalations import escalations, outbox
from bot.store.feedback import feedback
from bot.store.migrate import ensure_schema
from bot.store.turns import Source, Turn, TurnStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def ago(days: float = 0, minutes: float = 0) -> datetime:
    return NOW - timedelta(days=days, minutes=minutes)


def create_other_tables(engine: Engine) -> None:
    ensure_schema(engine)


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
        result = conn.execute(
            insert(escalations).values(
                idempotency_key=f"seed-{at.isoformat()}-{status}",
                created_at=at,
                user_name="",
                user_email="",
                question="Can [name] use Copilot?",
                fields={},
                passages=[],
            )
        )
        key = int(result.inserted_primary_key[0])
        conn.execute(
            insert(outbox).values(
                escalation_id=key,
                message_id=f"<seed-{key}@example.org>",
                status=status,
                attempts=0,
                next_attempt_at=at,
                created_at=at,
                delivered_at=delivered if delivered else None,
            )
        )
    return key
