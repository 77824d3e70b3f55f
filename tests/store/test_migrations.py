"""Schema migrations: today's schema adopted with its rows, newer schemas refused, replicas starting together."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, insert, inspect, select, text

from bot.store import migrate
from bot.store.db import DatabaseError, make_engine, open_database
from bot.store.escalations import DELIVERED, EscalationStore
from bot.store.feedback import FeedbackStore
from bot.store.turns import TurnStore
from tests.conftest import ROOT
from tests.oversight_seed import NOW

HERE = Path(__file__).resolve().parent
VERSIONS = ROOT / "bot" / "store" / "migrations" / "versions"


def _initial():
    """Migration 0001's module: its `tables` are the schema as it was before migrations."""
    spec = importlib.util.spec_from_file_location("migration_0001", VERSIONS / "0001_initial.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0001_is_exactly_the_schema_create_all_made(tmp_path: Path):
    """The DDL of a database made by the pre-migration code (dumped from it), statement for statement."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with engine.connect() as conn:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        from alembic import command

        command.upgrade(cfg, "0001")
        conn.commit()
    rows = sqlite3.connect(tmp_path / "bot.sqlite3").execute(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name != 'alembic_version' ORDER BY name"
    )
    made = "".join(sql.strip() + ";\n" for (sql,) in rows)
    assert made == (HERE / "data" / "schema_before_migrations.sql").read_text()


def test_a_database_from_before_migrations_is_upgraded_with_its_rows(database_url: str):
    """Tables made by create_all (no alembic_version), with rows in them: adopted, upgraded, still served."""
    engine = make_engine(database_url)
    old = {t.name: t for t in _initial().tables(MetaData())}
    old["turns"].metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            insert(old["turns"]).values(
                created_at=NOW, conversation="h", question="When is the conference?", route="answer",
                confidence=0.7, sources="[]", redacted="", latency_ms=40,
            )
        )  # fmt: skip
        conn.execute(insert(old["feedback"]).values(created_at=NOW, reply_id="r1", reaction="like", comment="useful"))
        conn.execute(
            insert(old["escalation"]).values(
                id=1, reference="IG-2026-000001", idempotency_key="k1", created_at=NOW, user_name="Test User",
                user_email="", question="Can I use Copilot on case notes?", fields={}, passages=[],
            )
        )  # fmt: skip
        conn.execute(
            insert(old["escalation_outbox"]).values(
                escalation_id=1, message_id="<k1@example.org>", status="pending", attempts=2,
                next_attempt_at=NOW, created_at=NOW,
            )
        )  # fmt: skip
    assert migrate.current(engine) == ()

    upgraded = open_database(database_url)
    assert migrate.current(upgraded) == (migrate.head(),)
    assert "lease_until" in {c["name"] for c in inspect(upgraded).get_columns("escalation_outbox")}
    assert [t.question for t in TurnStore(upgraded).since()] == ["When is the conference?"]
    assert [(f.reply_id, f.comment) for f in FeedbackStore(upgraded).all()] == [("r1", "useful")]
    store = EscalationStore(upgraded)
    (pending,) = store.due()
    assert (pending.reference, pending.attempts, pending.message_id) == ("IG-2026-000001", 2, "<k1@example.org>")
    assert store.claim(pending.id) and not store.claim(pending.id)  # the new columns work on the old rows
    from bot.store.cases import CaseStore

    assert CaseStore(upgraded).get(pending.id).status == "received"  # an escalation from before cases is one
    store.mark_delivered(pending.id)
    assert store.get(pending.id).status == DELIVERED
    assert CaseStore(upgraded).get(pending.id).status == "delivered"
    # and a second start finds nothing to do
    assert migrate.current(open_database(database_url)) == (migrate.head(),)


def test_a_schema_from_a_newer_release_is_refused(database_url: str):
    engine = open_database(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    with pytest.raises(DatabaseError, match=r"9999_from_the_future.*does not know"):
        open_database(database_url)
    with engine.connect() as conn:  # refused, not "fixed": the newer release's schema is left alone
        assert conn.execute(select(text("version_num")).select_from(text("alembic_version"))).scalar() == (
            "9999_from_the_future"
        )


# Each process waits for the same moment, then opens (and so upgrades) the database at once.
_REPLICA = """
import sys, time
from bot.store.db import open_database
from bot.store.escalations import EscalationStore
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
engine = open_database(sys.argv[1])
print(len(EscalationStore(engine).list()))
"""


def test_three_replicas_starting_at_once_on_a_fresh_database_all_start(database_url: str):
    for _round in range(3):  # fresh database each round: the race is at the first upgrade
        url = database_url if _round == 0 else _fresh_like(database_url, _round)
        start = time.time() + 3.0  # all three have imported everything by then
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", _REPLICA, url, str(start)],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [(p.wait(60), *p.communicate()) for p in procs]
        assert [(code, out.strip()) for code, out, _ in results] == [(0, "0")] * 3, [err for *_, err in results]
        assert migrate.current(make_engine(url)) == (migrate.head(),)


def _fresh_like(url: str, n: int) -> str:
    if url.startswith("sqlite:///"):
        return url.replace("bot.sqlite3", f"bot-{n}.sqlite3")
    from tests.databases import new_postgres_database

    return new_postgres_database(url)


def test_app_refuses_to_start_on_a_bad_database_url_with_one_line_and_exit_code_2(tmp_path: Path):
    env = dict(os.environ, DATABASE_URL="postgresql://bot:s3cret@127.0.0.1:1/bot", INDEX_DIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "database error: cannot reach the database" in lines[0], proc.stderr
    assert "s3cret" not in proc.stderr and "Traceback" not in proc.stderr


def test_the_migrations_build_exactly_the_tables_the_stores_declare(database_url: str):
    """Every table and column a store module declares comes from a migration, and nothing else."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from bot.store.schema import load_tables

    engine = open_database(database_url)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), load_tables())
    assert differences == []


@pytest.mark.parametrize("command", ["outbox", "purge", "report"])
def test_cli_commands_refuse_an_unreachable_database_with_one_line_and_exit_code_2(command: str, tmp_path: Path):
    env = dict(os.environ, DATABASE_URL="postgresql://bot:s3cret@127.0.0.1:1/bot", INDEX_DIR=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "bot", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()] and "database error: cannot reach" in proc.stderr
    assert "s3cret" not in proc.stderr + proc.stdout
