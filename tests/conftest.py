"""Shared fixtures: the real model, loaded once per session, and real indexes on temp paths."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from bot.core.assistant import Assistant
from bot.core.embed import Embedder
from bot.core.index_store import IndexSnapshot, build_index, load_index
from tests.databases import database_url, own_postgres, postgres_server  # noqa: F401  (fixtures: SQLite and PostgreSQL)

# Tests never write into the checkout's data/ folder: the service's database and mail folder
# default to a temporary place for the whole session (subprocesses inherit it).
_STATE = Path(tempfile.mkdtemp(prefix="governance-bot-tests-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_STATE / 'bot.sqlite3'}")
os.environ.setdefault("MAIL_DIR", str(_STATE / "mail"))

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE = ROOT / "knowledge"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The production embedder (ONNX Runtime, exported on first use), loaded once."""
    from bot.compose import make_embedder

    return make_embedder()


@pytest.fixture(scope="session")
def bulletin_index(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    """An index of the real knowledge/ folder, built once per session."""
    index = tmp_path_factory.mktemp("index")
    build_index(KNOWLEDGE, index, embedder)
    return index


@pytest.fixture(scope="session")
def snapshot(bulletin_index: Path) -> IndexSnapshot:
    return load_index(bulletin_index)


@pytest.fixture(scope="session")
def assistant(snapshot: IndexSnapshot, embedder: Embedder) -> Assistant:
    return Assistant(snapshot, embedder)


@pytest.fixture()
def knowledge_copy(tmp_path: Path) -> Path:
    """A private, editable copy of knowledge/."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


BULLETIN = "staff-bulletin-2024-11-18.md"


def bulletin_with_url(folder: Path, url: str) -> Path:
    """The bulletin alone in `folder`, its address set in its sidecar as the IG team would set it."""
    shutil.copy(KNOWLEDGE / BULLETIN, folder)
    sidecar = (KNOWLEDGE / f"{BULLETIN}.yml").read_text(encoding="utf-8")
    (folder / f"{BULLETIN}.yml").write_text(f"url: {url}\n{sidecar}", encoding="utf-8")
    return folder
