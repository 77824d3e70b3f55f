"""Command-line oversight for the IG team: `python -m bot purge` and `python -m bot report`.

Attached to the CLI group at the bottom of bot/cli.py. The model is loaded only when
there are declined questions to group; the index, to suggest synonyms from them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

import click
import numpy as np

from bot.config import Settings

if TYPE_CHECKING:
    from bot.core.glossary import Synonyms
    from bot.core.index_store import IndexSnapshot


def indexed_documents(index_dir: Path) -> tuple[list[str], str | None]:
    """The files in the served index and its build id, from the index manifest ([] without an index)."""
    from bot.core.index_store import read_manifest

    manifest = read_manifest(index_dir) or {}
    return sorted(manifest.get("files", {})), manifest.get("build_id")


def served_index(settings: Settings) -> tuple[IndexSnapshot | None, Synonyms | None]:
    """The served index and the IG team's synonyms, for synonym suggestions (None: no index)."""
    import yaml

    from bot.core.glossary import Glossary
    from bot.core.index_store import load_index
    from bot.errors import IndexMissing

    try:
        snapshot = load_index(settings.index_dir)
    except (IndexMissing, OSError, ValueError, RuntimeError) as exc:  # missing, or unreadable
        click.echo(f"no synonym suggestions: {exc}", err=True)
        return None, None
    try:
        synonyms = Glossary.load([settings.knowledge_dir]).synonyms
    except (OSError, ValueError, yaml.YAMLError) as exc:  # suggest anyway; its pairs may come again
        click.echo(f"synonyms.yml not read, so its pairs may be suggested again: {exc}", err=True)
        synonyms = None
    return snapshot, synonyms


class LazyEncoder:
    """Loads the embedding model on first use: a report with nothing to group needs none."""

    def __init__(self) -> None:
        self._model = None

    def __call__(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            from bot.compose import make_embedder

            click.echo("loading the embedding model to group declined questions…", err=True)
            self._model = make_embedder()
        return self._model.encode(texts)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-01") from None


@click.command("report")
@click.option("--since", "since", metavar="DATE", default=None, help="Only questions from this day on (YYYY-MM-DD).")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("reports"),
    show_default=True,
    help="Folder for the CSV files and report.html.",
)
def report_cmd(since: str | None, out: Path) -> None:
    """The IG report: declined questions (grouped), topics, escalations, feedback, documents."""
    from bot.report.compute import build_report
    from bot.report.write import write_report
    from bot.store.db import open_database

    start = _parse_since(since)
    settings = Settings()
    engine = open_database(settings.database_url)  # first: a database error is the one line printed
    files, build = indexed_documents(settings.index_dir)
    snapshot, synonyms = served_index(settings)
    report = build_report(
        engine,
        start,
        indexed=files,
        encode=LazyEncoder(),
        index_build=build,
        snapshot=snapshot,
        synonyms=synonyms,
        overdue_days=settings.case_overdue_working_days,
    )
    for path in write_report(report, out):
        click.echo(str(path))
    click.echo(
        f"{report.questions} questions ({report.by_route['answer']} answered, {report.by_route['escalate']} "
        f"handed to IG, {report.by_route['decline']} declined in {len(report.declined)} groups)",
        err=True,
    )
    s = report.synonyms
    click.echo(
        f"{len(s.pairs)} suggested synonyms from {s.close} declined questions that came close (synonym_suggestions.csv)"
        if s.indexed
        else "no suggested synonyms: there is no index to compare declined questions with",
        err=True,
    )


@click.command("purge")
def purge_cmd() -> None:
    """Delete records older than their retention period now (the service also does this daily)."""
    from bot.store.db import open_database
    from bot.store.retention import days_from, purge

    settings = Settings()
    for result in purge(open_database(settings.database_url), days_from(settings)):
        click.echo(result.line())
