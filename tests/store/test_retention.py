"""Retention: purge removes exactly the expired rows, and never an undelivered escalation."""

from __future__ import annotations

import asyncio

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from bot.cli import main
from bot.config import Settings
from bot.store.db import make_engine
from bot.store.offers import OfferStore
from bot.store.retention import DailyPurge, days_from, purge
from bot.store.turns import TurnStore
from tests import oversight_seed as seed
from tests.oversight_seed import NOW, ago


def _ids(engine: Engine, table) -> list[int]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(table.c.id).order_by(table.c.id))]


def _questions(engine: Engine) -> list[str]:
    from bot.store.turns import TurnStore

    return [t.question for t in TurnStore(engine).since()]


@pytest.fixture()
def seeded(database_url: str) -> Engine:
    """Rows on both sides of each retention period, and escalations that are not delivered (each database)."""
    engine = make_engine(database_url)
    seed.create_other_tables(engine)
    for days in (45, 31, 29, 1):
        seed.add_turn(engine, ago(days), f"question from {days} days ago")
    for days in (31, 30.01, 29.99, 2):
        seed.add_feedback(engine, ago(days), "like")
    seed.add_escalation(engine, ago(400), "delivered", ago(400, -5))  # 1: expired
    seed.add_escalation(engine, ago(366), "delivered", ago(366, -5))  # 2: expired
    seed.add_escalation(engine, ago(364), "delivered", ago(364, -5))  # 3: kept
    seed.add_escalation(engine, ago(900), "pending")  # 4: never delivered: kept, whatever its age
    seed.add_escalation(engine, ago(500), "failed")  # 5: kept until an IG member sees it through
    store = OfferStore(engine)
    for days in (31, 29):  # card offers go with the conversation log: the first is purged
        store.create(conversation_id="c", user_id="u", question="q", fields={}, passages=[], at=ago(days))
    return engine


def test_purge_removes_exactly_the_expired_rows(seeded: Engine):
    results = {r.rule.table.name: r for r in purge(seeded, days_from(Settings()), now=NOW)}
    assert {t: r.deleted for t, r in results.items()} == {
        "turns": 2,
        "conversation_state": 0,
        "feedback": 2,
        "escalation_offer": 1,
        "escalation": 2,
    }
    assert _questions(seeded) == ["question from 29 days ago", "question from 1 days ago"]
    assert len(_ids(seeded, seed.feedback)) == 2
    assert _ids(seeded, seed.escalations) == [3, 4, 5]
    with seeded.connect() as conn:
        assert sorted(r[0] for r in conn.execute(select(seed.outbox.c.escalation_id))) == [3, 4, 5]
    # a second run finds nothing more to do
    assert sum(r.deleted for r in purge(seeded, days_from(Settings()), now=NOW)) == 0


def test_retention_periods_come_from_the_settings(seeded: Engine, monkeypatch):
    monkeypatch.setenv("RETENTION_LOG_DAYS", "7")
    monkeypatch.setenv("RETENTION_FEEDBACK_DAYS", "60")
    monkeypatch.setenv("RETENTION_ESCALATION_DAYS", "380")
    days = days_from(Settings())
    assert days == {"retention_log_days": 7, "retention_feedback_days": 60, "retention_escalation_days": 380}
    purge(seeded, days, now=NOW)
    assert _questions(seeded) == ["question from 1 days ago"]
    assert len(_ids(seeded, seed.feedback)) == 4
    assert _ids(seeded, seed.escalations) == [2, 3, 4, 5]


def test_a_retention_period_of_zero_days_is_refused(monkeypatch):
    monkeypatch.setenv("RETENTION_LOG_DAYS", "0")
    with pytest.raises(ValueError, match=r"RETENTION_LOG_DAYS|retention_log_days"):
        Settings()


def test_a_rule_whose_column_was_renamed_fails_instead_of_skipping(seeded: Engine):
    """Retention uses the stores' own tables: a column renamed under it is an error, never a quiet skip."""
    with seeded.begin() as conn:
        conn.execute(text("ALTER TABLE feedback RENAME COLUMN created_at TO made_at"))
    with pytest.raises(DBAPIError):
        purge(seeded, now=NOW)


async def test_the_daily_purge_runs_at_start_then_on_its_interval(seeded: Engine):
    task = DailyPurge(seeded, days_from(Settings()), interval=0.05)
    running = asyncio.create_task(task.run())
    try:
        async with asyncio.timeout(30):  # a purge that never runs twice fails here, not hangs CI
            while task.runs < 2:  # the first run at start-up, then one interval later
                await asyncio.sleep(0.02)
    finally:
        task.stop()
        await asyncio.wait_for(running, 10)
    # the real clock: everything the seed dated before today's retention cut-off is gone
    assert "question from 45 days ago" not in _questions(seeded)
    assert 4 in _ids(seeded, seed.escalations)  # the pending escalation is still there


def test_purge_command_reports_what_it_deleted(database_url: str):
    engine = make_engine(database_url)
    seed.add_turn(engine, ago(400), "very old question")
    result = CliRunner().invoke(main, ["purge"], env={"DATABASE_URL": database_url})
    assert result.exit_code == 0, result.output
    assert "conversation log: kept 30 days" in result.output and "1 deleted" in result.output
    assert "escalations (delivered): kept 365 days" in result.output and "0 deleted" in result.output
    assert _questions(engine) == []


def test_times_stay_utc_on_a_database_whose_default_time_zone_is_not(database_url: str):
    """A PostgreSQL server set to local time: the log's times and the purge's cut-off are still exact."""
    engine = make_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text(f"ALTER DATABASE \"{engine.url.database}\" SET timezone TO 'America/New_York'"))
            conn.commit()
        engine.dispose()
        engine = make_engine(database_url)
    seed.add_turn(engine, ago(30, 1), "just expired")
    seed.add_turn(engine, ago(29, 60 * 23), "just kept")
    assert [t.created_at for t in TurnStore(engine).since()] == [ago(30, 1), ago(29, 60 * 23)]
    purge(engine, now=NOW)
    assert _questions(engine) == ["just kept"]


def test_a_case_its_history_and_its_reply_copies_go_with_their_escalation(database_url: str):
    """Kept exactly as long as the escalation: purged with it (foreign keys enforced), never before."""
    from bot.core import cases as rules
    from bot.store.case_mail import CaseMailStore, case_mail
    from bot.store.cases import IG, CaseStore, cases, events
    from bot.store.escalations import EscalationStore

    engine = make_engine(database_url)
    store, case_store = EscalationStore(engine), CaseStore(engine)
    mail = CaseMailStore(engine, "example.org")
    for days, key in ((400, "old"), (300, "kept")):
        e, _ = store.create(key, user_name="", user_email="", question="q", fields={}, passages=[],
                            conversation_reference={"user": {"id": "29:u"}}, created_at=ago(days))  # fmt: skip
        store.claim(e.id, at=ago(days))
        store.mark_delivered(e.id, at=ago(days))
        queue = lambda conn, event, e=e: mail.queue_in(conn, e.id, event)  # noqa: E731
        assert case_store.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="Yes.", at=ago(days), also=queue)
    assert {r.rule.table.name: r.deleted for r in purge(engine, now=NOW)}["escalation"] == 1
    with engine.connect() as conn:
        for table in (cases, events, case_mail):
            kept = {r[0] for r in conn.execute(select(table.c.escalation_id))}
            assert kept == {store.by_key("kept").id}, table.name
