"""Command-line oversight for the IG team: `python -m bot purge` and `python -m bot report`.

Attached to the CLI group at the bottom of bot/cli.py. The model is loaded only when
there are declined questions to group.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import click
import numpy as np

from bot.config import Settings


def indexed_documents(index_dir: Path) -> tuple[list[str], str | None]:
    """The files in the served index and its build id, from the index manifest ([] without an index)."""
    from bot.core.index_store import read_manifest

    manifest = read_manifest(index_dir) or {}
    return sorted(manifest.get("files", {})), manifest.get("build_id")


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
    files, build = indexed_documents(settings.index_dir)
    report = build_report(
        open_database(settings.database_url), start, indexed=files, encode=LazyEncoder(), index_build=build
    )
    for path in write_report(report, out):
        click.echo(str(path))
    click.echo(
        f"{report.questions} questions ({report.by_route['answer']} answered, {report.by_route['escalate']} "
        f"handed to IG, {report.by_route['decline']} declined in {len(report.declined)} groups)",
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
