"""The database engine and the shared table metadata.

`open_database` is what the service and the CLI call: an engine, checked to answer, with the
schema upgraded (bot.store.migrate). SQLite (a file) and PostgreSQL are supported.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.errors import DatabaseError

metadata = MetaData()

CONNECT_TIMEOUT_S = 10


def _url(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(
            "DATABASE_URL is not a database URL (expected sqlite:///PATH or postgresql://...)"
        ) from None
    # postgres:// is what many hosts hand out; SQLAlchemy knows the dialect as postgresql.
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def safe_url(url: str | URL) -> str:
    """The URL without its password, for messages and logs."""
    try:
        return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite files get WAL (readers never block the writer) and a busy timeout."""
    parsed = _url(url)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot create the folder for {parsed.database}: {_one_line(exc)}") from None
    # A failed statement's error never quotes its parameters (Teams ids, email addresses, questions):
    # an error message ends up in logs and tracebacks.
    kwargs: dict = {"hide_parameters": True}
    if parsed.drivername.startswith("postgresql"):
        # replicas outlive database restarts and failovers: test a pooled connection before use
        kwargs.update(pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"cannot use DATABASE_URL {safe_url(parsed)}: {_one_line(exc)}") from None
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=5000")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

    if engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _utc(dbapi_conn, _record) -> None:
            # Sessions in UTC: the stores write naive UTC timestamps (as on SQLite), and read them back as UTC.
            with dbapi_conn.cursor() as cur:
                cur.execute("SET TIME ZONE 'UTC'")
            dbapi_conn.commit()

    return engine


def check_connection(engine: Engine) -> None:
    """Connect once and run `SELECT 1`; DatabaseError (one line) if the database does not answer."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot reach the database at {safe_url(engine.url)}: {_one_line(cause)}") from None


def open_database(url: str) -> Engine:
    """The engine the service uses: reachable, with the schema at this version's head."""
    from bot.store.migrate import file_lock, upgrade

    engine = make_engine(url)
    with file_lock(engine):  # the first connection to a new SQLite file switches it to WAL: one process at a time
        check_connection(engine)
    try:
        upgrade(engine)
    except (SQLAlchemyError, OSError) as exc:  # e.g. no right to create tables, a read-only file
        cause = getattr(exc, "orig", None) or exc
        raise DatabaseError(f"cannot upgrade the schema at {safe_url(engine.url)}: {_one_line(cause)}") from None
    return engine


def create_all(engine: Engine) -> None:
    """Bring the schema to this version's head (the migrations, not `metadata.create_all`)."""
    from bot.store.migrate import ensure_schema

    ensure_schema(engine)


def _one_line(exc: BaseException) -> str:
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
