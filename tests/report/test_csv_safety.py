"""`python -m bot report` writes CSV a spreadsheet will not run: what staff typed stays text."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from bot.store.db import make_engine
from tests import oversight_seed as seed
from tests.conftest import ROOT
from tests.oversight_seed import ago

# Declined questions as staff could type them: each would be a formula (or a live link) in Excel.
TYPED = [
    '=HYPERLINK("https://evil.example.com","Click for details")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1 after a tab",
    "\r=1+1 after a carriage return",
]


def test_report_csv_cells_that_could_start_a_formula_are_quoted(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    engine = make_engine(url)
    seed.create_other_tables(engine)
    for text in TYPED:
        seed.add_turn(engine, ago(1), text, route="decline")
    seed.add_turn(engine, ago(1), "How do I book a room?", sources=(("=rooms.md", "@Booking -rooms"),))
    engine.dispose()
    out = tmp_path / "report"
    env = {**os.environ, "DATABASE_URL": url, "INDEX_DIR": str(tmp_path / "no-index")}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "report", "--since", "2020-01-01", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]

    cells = []
    for path in sorted(out.glob("*.csv")):
        with path.open(encoding="utf-8", newline="") as fh:
            cells += [(path.name, cell) for row in csv.reader(fh) for cell in row]
    live = [(name, cell) for name, cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert live == [], live
    declined = {cell for name, cell in cells if name == "declined_questions.csv"}
    for text in TYPED:  # the IG team still reads what was typed, after the quote
        assert "'" + text in declined, (text, declined)
    topics = {cell for name, cell in cells if name == "topics.csv"}
    assert {"'=rooms.md", "'@Booking -rooms"} <= topics
