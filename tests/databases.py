"""The databases the store tests run against: SQLite and a real PostgreSQL, by one parametrised fixture.

`database_url` gives each test a fresh, empty database of each kind. PostgreSQL is the server
in TEST_POSTGRES_URL (.ci/run starts one), else a throwaway cluster started here with
scripts/postgres.sh when PostgreSQL is installed; without one the PostgreSQL cases are skipped,
except under CI=true, where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("sqlite", "postgresql")


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI must run the PostgreSQL tests: .ci/run sets TEST_POSTGRES_URL)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server URL (superuser, database `postgres`) for the whole session."""
    url = os.environ.get("TEST_POSTGRES_URL", "").strip()
    if url:
        yield url
        return
    if not (shutil.which("pg_ctl") or glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")):
        _missing("PostgreSQL is not installed and TEST_POSTGRES_URL is not set")
    state = tmp_path_factory.mktemp("postgres")
    script = ROOT / "scripts" / "postgres.sh"
    started = subprocess.run(["bash", script, "start", state], capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        _missing(f"could not start a throwaway PostgreSQL: {started.stderr.strip()[-500:]}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", script, "stop", state], capture_output=True, timeout=120)


def new_postgres_database(server: str) -> str:
    """A fresh database on the server; its URL."""
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(make_url(server).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: an SQLite file, or a new database on the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    return new_postgres_database(request.getfixturevalue("postgres_server"))


class OwnPostgres:
    """A PostgreSQL server of a test's own, which it may stop and start again (an outage) on the same port."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.url = ""

    def _script(self, action: str) -> str:
        done = subprocess.run(
            ["bash", ROOT / "scripts" / "postgres.sh", action, self.state], capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"postgres.sh {action} failed: {done.stderr.strip()[-500:]}")
        return done.stdout

    def start(self) -> OwnPostgres:
        self.url = self._script("start").strip().splitlines()[-1]
        return self

    def pause(self) -> None:
        self._script("pause")

    def resume(self) -> None:
        self._script("resume")

    def stop(self) -> None:
        self._script("stop")


@pytest.fixture(scope="module")
def own_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnPostgres]:
    """A throwaway server for this module alone: the session's server is never stopped under other tests."""
    if not (shutil.which("pg_ctl") or glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")):
        _missing("PostgreSQL is not installed: the outage tests need a server of their own to stop")
    server = OwnPostgres(tmp_path_factory.mktemp("own-postgres"))
    try:
        server.start()
    except RuntimeError as exc:
        _missing(str(exc))
    try:
        yield server
    finally:
        server.stop()
