"""The report as files: CSV the IG team can open, and an HTML page that renders in a browser."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image, ImageStat
from sqlalchemy import Engine

from bot.cli import main
from bot.report.compute import build_report
from bot.report.write import write_report
from tests.conftest import ROOT
from tests.oversight_seed import ago
from tests.report.conftest import INDEXED

SCREENSHOT = ROOT / "docs" / "screenshots" / "report.png"


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_files_hold_the_numbers(seeded: Engine, embedder, tmp_path: Path):
    report = build_report(seeded, since=ago(20), indexed=INDEXED, encode=embedder.encode)
    written = write_report(report, tmp_path / "out")
    assert sorted(p.name for p in written) == [
        "cases.csv",
        "declined_questions.csv",
        "documents.csv",
        "escalations.csv",
        "report.html",
        "summary.csv",
        "synonym_suggestions.csv",
        "topics.csv",
    ]
    summary = {r["measure"]: r["value"] for r in _rows(tmp_path / "out" / "summary.csv")}
    assert summary["questions"] == "11" and summary["route_decline"] == "6"
    assert summary["feedback_like_to_dislike"] == "3:1" and summary["escalation_median_delivery_minutes"] == "10"
    declined = _rows(tmp_path / "out" / "declined_questions.csv")
    assert len(declined) == 6 and [r["group_size"] for r in declined].count("3") == 3
    documents = {r["source"]: r["questions_citing"] for r in _rows(tmp_path / "out" / "documents.csv")}
    assert documents["records-retention-schedule.md"] == "0"
    assert {r["status"]: r["count"] for r in _rows(tmp_path / "out" / "escalations.csv")} == {
        "delivered": "2",
        "failed": "1",
        "pending": "1",
    }


def test_html_escapes_what_staff_typed_and_embeds_its_charts(seeded: Engine, tmp_path: Path):
    page = write_report(build_report(seeded, indexed=INDEXED), tmp_path)[-1].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('src="data:image/png;base64,') == 6  # routes, declined, topics, escalations, feedback, documents
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page  # nothing fetched


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian chromium not installed")
def test_html_renders_in_headless_chromium(seeded: Engine, embedder, tmp_path: Path):
    report = build_report(seeded, since=ago(20), indexed=INDEXED, encode=embedder.encode, index_build="20261125T0900Z")
    page = write_report(report, tmp_path / "out")[-1]
    shot = tmp_path / "report.png"
    result = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--hide-scrollbars",
            "--window-size=1100,3000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size == (1100, 3000)
        grey = image.convert("L")
        assert ImageStat.Stat(grey).stddev[0] > 20  # text and charts drawn, not a blank page
        # the charts are drawn in the page's blue (#1f5f8b): count such pixels
        blue = sum(1 for r, g, b in image.convert("RGB").getdata() if abs(r - 31) < 12 and abs(g - 95) < 12 and b > 120)
        assert blue > 5000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, SCREENSHOT)


def test_report_command_writes_the_files(seeded: Engine, tmp_path: Path):
    url = str(seeded.url)
    out = tmp_path / "report"
    env = {"DATABASE_URL": url, "INDEX_DIR": str(tmp_path / "no-index")}
    result = CliRunner().invoke(main, ["report", "--since", "2026-11-05", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert (out / "report.html").is_file() and (out / "summary.csv").is_file()
    summary = {r["measure"]: r["value"] for r in _rows(out / "summary.csv")}
    assert summary["since"].startswith("2026-11-05") and summary["questions"] == "11"


def test_report_command_rejects_a_bad_date(tmp_path: Path):
    result = CliRunner().invoke(main, ["report", "--since", "last tuesday", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "'last tuesday' is not a date; use YYYY-MM-DD" in result.output


def test_html_shows_typed_markup_links_and_card_syntax_as_text(tmp_path: Path):
    from bot.store.db import make_engine
    from tests import oversight_seed as seed

    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    seed.create_other_tables(engine)
    typed = (
        'Costs $\\frac{1}{$ <b>bold</b> <a href="http://evil.example">x</a> [click](http://evil.example/y) '
        "{{DATE(2017-02-14T06:08:39Z, SHORT)}}"
    )
    seed.add_turn(engine, ago(1), typed, "decline")
    # Before the fix, "$\frac{1}{$" reached matplotlib as mathematical markup and the report failed.
    page = write_report(build_report(engine, indexed=INDEXED), tmp_path / "out")[-1].read_text(encoding="utf-8")
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert 'href="http://evil.example"' not in page and "<a " not in page
    assert "[click](http://evil.example/y)" in page  # shown as typed: the page renders no Markdown
    assert "Costs $\\frac{1}{$" in page
