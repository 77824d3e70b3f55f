"""The conversation log is written in batches: nothing queued is lost at shutdown or on a failed write."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.store.db import make_engine
from bot.store.turn_writer import TurnWriter
from bot.store.turns import Turn, TurnStore


def _turn(i: int) -> Turn:
    return Turn(datetime.now(UTC), f"conv-{i}", f"question {i}", "answer", 0.8)


def _store(tmp_path: Path) -> TurnStore:
    return TurnStore(make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))


async def test_rows_reach_the_database_within_the_interval_and_the_rest_at_stop(tmp_path: Path) -> None:
    store = _store(tmp_path)
    writer = TurnWriter(store, interval=0.05)
    task = asyncio.create_task(writer.run())
    writer.add(_turn(1))
    for _ in range(100):
        if store.since():
            break
        await asyncio.sleep(0.02)
    assert [t.question for t in store.since()] == ["question 1"]
    writer.add(_turn(2))
    writer.stop()
    await asyncio.wait_for(task, 5)
    assert [t.question for t in store.since()] == ["question 1", "question 2"]


def test_a_failed_write_keeps_the_rows_for_the_next_flush(tmp_path: Path) -> None:
    class FailsOnce(TurnStore):
        failed = False

        def add_many(self, items):  # type: ignore[no-untyped-def]
            if not self.failed:
                self.failed = True
                raise OSError("disk full")
            return super().add_many(items)

    store = FailsOnce(make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}"))
    writer = TurnWriter(store)
    writer.add(_turn(1))
    assert writer.flush() == 0
    writer.add(_turn(2))
    assert writer.flush() == 2
    assert [t.question for t in store.since()] == ["question 1", "question 2"]


def test_memory_stays_bounded_when_the_database_is_stuck(tmp_path: Path, caplog) -> None:
    writer = TurnWriter(_store(tmp_path), max_pending=3)
    for i in range(5):
        writer.add(_turn(i))
    assert writer.dropped == 2
    warnings = [r for r in caplog.records if "queue full" in r.getMessage()]
    assert len(warnings) == 1 and "question" not in warnings[0].getMessage()  # once, and no text
    assert writer.flush() == 3
