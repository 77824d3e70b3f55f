"""Schema migrations (Alembic), run by the service at start-up, under a lock.

The migration scripts live in this package (bot/store/migrations), so an installed service
upgrades its own database. Several replicas may start at once: the upgrade runs under a lock
(a PostgreSQL advisory lock; on SQLite a file lock beside the database file), so exactly one
upgrades and the others find the schema current. A database whose revision this version does
not know (written by a newer release) is refused, never downgraded or guessed at.

A database made before migrations existed (tables from `create_all`, no `alembic_version`) is
adopted: migration 0001 creates only the tables that are missing, then the later ones run.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from filelock import FileLock
from sqlalchemy import Connection, Engine, text

from bot.errors import SchemaTooNew

log = logging.getLogger(__name__)

# pg_advisory_lock takes a bigint: a fixed number for "this bot's schema upgrade".
ADVISORY_LOCK_KEY = 0x60BE_2A1C_E000_0001
LOCK_TIMEOUT_S = 300

_ready: weakref.WeakSet[Engine] = weakref.WeakSet()
_ready_lock = threading.Lock()


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "bot.store:migrations")
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head() or ""


def current(engine: Engine) -> tuple[str, ...]:
    """The revision(s) the database is at; () before any migration."""
    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


@contextlib.contextmanager
def _locked(engine: Engine) -> Iterator[Connection]:
    """A connection holding the upgrade lock for this database."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            conn.commit()
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
        return
    with file_lock(engine), engine.connect() as conn:
        yield conn


def file_lock(engine: Engine) -> contextlib.AbstractContextManager:
    """For a SQLite file, a lock file beside it that processes opening it take in turn; else nothing.

    Two processes that open a new SQLite file at once both switch it to WAL, and one of them can
    get "database is locked" at once (SQLite does not wait in that case), so the first connection
    and the upgrade both happen under this lock. Not re-entrant: take it once at a time.
    """
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return FileLock(f"{Path(database)}.migrate.lock", timeout=LOCK_TIMEOUT_S)
    return contextlib.nullcontext()  # PostgreSQL has its advisory lock; in-memory has one user


def _refuse_unknown(conn: Connection, scripts: ScriptDirectory) -> None:
    for revision in MigrationContext.configure(conn).get_current_heads():
        try:
            known = scripts.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise SchemaTooNew(
                f"the database schema is at revision {revision}, which this version of the bot does not know "
                f"(newest known: {scripts.get_current_head()}); run the newer release, or restore a matching backup"
            )


def upgrade(engine: Engine) -> None:
    """Bring the schema to head under the lock; refuse a database from a newer release."""
    cfg = config()
    scripts = ScriptDirectory.from_config(cfg)
    with _locked(engine) as conn:
        _refuse_unknown(conn, scripts)
        before = tuple(MigrationContext.configure(conn).get_current_heads())
        conn.commit()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    target = scripts.get_current_head()
    if before != (target,):
        log.info("database schema upgraded from %s to %s", ",".join(before) or "nothing", target)
    with _ready_lock:
        _ready.add(engine)


def ensure_schema(engine: Engine) -> None:
    """`upgrade` once per engine: what the stores call before first use."""
    with _ready_lock:
        if engine in _ready:
            return
    upgrade(engine)
