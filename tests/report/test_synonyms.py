"""The IG report suggests synonyms.yml lines from declined questions that came close to a passage.

A real index of a small knowledge folder, built with the real model; declined questions written
through the real TurnStore into a real SQLite database; the report built and written as
`python -m bot report` does.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.cli import main
from bot.core.glossary import Glossary, Synonyms
from bot.core.index_store import IndexSnapshot, build_index, load_index
from bot.report.compute import Report, build_report
from bot.report.synonyms import plain_runs, suggest_synonyms, yaml_line
from bot.report.write import write_report
from bot.store.db import make_engine
from bot.store.turns import Turn, TurnStore
from tests.oversight_seed import ago

DOCUMENTS = {
    "removable-media-standard.md": """---
title: Removable Media Standard
date: 2025-04-01
---

## USB sticks

Council data may only be copied to encrypted USB sticks issued by Digital Services. Personal USB sticks
must never be plugged into council computers. Report a lost USB stick to the IT Service Desk at once.

## Passwords

Your network password must be at least 12 characters long. Never share your password with colleagues,
including your manager.
""",
    "annual-leave-policy.md": """---
title: Annual Leave Policy
date: 2024-04-01
---

## The leave year

The leave year runs from 1 April to 31 March. Full-time employees receive 26 days of annual leave a year,
rising to 31 days after 5 years of service.

## Booking leave

Book leave through the HR self-service portal at least two weeks ahead. Your line manager approves
requests in the order they arrive.
""",
    "expenses-policy.md": """---
title: Expenses Policy
date: 2025-01-01
---

## Mileage

Staff who drive their own car on council business can claim 45p a mile for the first 10,000 miles in a
tax year. Claims are made through the HR self-service portal within three months.

## Meals while travelling

When you travel on council business for more than five hours you can claim up to £10 for lunch. Keep the
receipt for every meal you claim.
""",
    # The IG team already added this pair: it must not be suggested again.
    "synonyms.yml": "pen drive: USB stick\n",
}

MARKUP = "Can I use a <b>memory stick</b> at home?"
MEMORY_STICK = ["Can I use a memory stick?", "Can I put council files on a memory stick?", MARKUP]
PEN_DRIVE = "Can I copy files to a pen drive?"
OTHER = ["Can I copy council data to a personal laptop?", "Can I share my password with my boss?"]
CANTEEN = ["What is on the canteen menu today?", "What's on the canteen menu?"]


@pytest.fixture(scope="module")
def knowledge(tmp_path_factory: pytest.TempPathFactory, embedder) -> tuple[Path, Path]:
    """A knowledge folder and its index, built once for this module."""
    root = tmp_path_factory.mktemp("synonyms")
    folder = root / "knowledge"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    build_index(folder, root / "index", embedder)
    return folder, root / "index"


@pytest.fixture(scope="module")
def snapshot(knowledge: tuple[Path, Path]) -> IndexSnapshot:
    return load_index(knowledge[1])


@pytest.fixture()
def declines(tmp_path: Path) -> Engine:
    """The conversation log as the bot writes it: declines, and one answer with unindexed wording."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    store = TurnStore(engine)
    rows = [(q, "decline", 0.3) for q in [*MEMORY_STICK, PEN_DRIVE, *OTHER, *CANTEEN]]
    rows[MEMORY_STICK.index(MARKUP)] = (MARKUP, "decline", 0.45)  # the nearest to an answer: the example
    rows.append(("Can I use a thumb drive?", "answer", 0.9))  # answered: nothing to suggest from it
    store.add_many(Turn(ago(1), "hash", q, route, confidence, latency_ms=40) for q, route, confidence in rows)
    return engine


def _report(engine: Engine, snapshot: IndexSnapshot | None, embedder, folder: Path | None) -> Report:
    synonyms = Glossary.load([folder]).synonyms if folder else None
    return build_report(engine, encode=embedder.encode, snapshot=snapshot, synonyms=synonyms)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_memory_stick_declines_suggest_the_usb_wording_of_the_policy(declines, snapshot, embedder, knowledge):
    s = _report(declines, snapshot, embedder, knowledge[0]).synonyms
    assert s.indexed and s.declined == 8

    top = s.pairs[0]
    assert top.staff == "memory stick" and top.document.lower().startswith("usb stick")
    assert top.yaml_line == f"memory stick: {top.document}"
    assert top.questions == len(MEMORY_STICK)
    assert top.example == MARKUP  # the supporting question the bot was nearest to answering
    assert (top.source, top.section) == ("removable-media-standard.md", "USB sticks")
    # each staff phrase is wording no document uses ("laptop", not "data"); answered questions suggest nothing
    corpus = " ".join(text for name, text in DOCUMENTS.items() if name.endswith(".md")).lower()
    assert "laptop" in [p.staff for p in s.pairs]
    assert [p.staff for p in s.pairs if p.staff in corpus] == []
    assert not [p for p in s.pairs if "thumb" in p.staff]
    assert [p.questions for p in s.pairs] == sorted((p.questions for p in s.pairs), reverse=True)


def test_a_pair_already_in_synonyms_yml_is_not_suggested(declines, snapshot, embedder, knowledge):
    with_file = _report(declines, snapshot, embedder, knowledge[0]).synonyms.pairs
    assert not [p for p in with_file if p.staff == "pen drive"]
    # without the IG team's file the same decline does give the pair: the file is what removes it
    without = _report(declines, snapshot, embedder, None).synonyms.pairs
    assert [p.document.split()[0] for p in without if p.staff == "pen drive"] == ["USB"]


def test_a_far_off_decline_gives_no_pair(declines, snapshot, embedder, knowledge):
    s = _report(declines, snapshot, embedder, knowledge[0]).synonyms
    assert s.close == len(MEMORY_STICK) + 1 + len(OTHER)  # the canteen questions did not come close
    assert not [p for p in s.pairs if "canteen" in p.staff or p.example in CANTEEN]
    # were "came close" not required, the canteen questions would be paired with the expenses policy
    anyway = suggest_synonyms([(q, 0.3) for q in CANTEEN], snapshot, embedder.encode, near=0.0)
    assert [p.staff for p in anyway.pairs if "canteen" in p.staff]


def test_the_report_shows_the_lines_to_add_with_typed_markup_escaped(declines, snapshot, embedder, knowledge, tmp_path):
    report = _report(declines, snapshot, embedder, knowledge[0])
    out = write_report(report, tmp_path / "out")
    assert tmp_path / "out" / "synonym_suggestions.csv" in out

    rows = _rows(tmp_path / "out" / "synonym_suggestions.csv")
    assert rows[0]["line_for_synonyms_yml"] == report.synonyms.pairs[0].yaml_line
    assert rows[0]["declined_questions"] == "3" and rows[0]["example_question"] == MARKUP
    summary = {r["measure"]: r["value"] for r in _rows(tmp_path / "out" / "summary.csv")}
    assert summary["synonym_suggestions"] == str(len(report.synonyms.pairs))

    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    section = page.split("<h2>Suggested synonyms</h2>")[1].split("</section>")[0]
    assert report.synonyms.pairs[0].yaml_line in section
    assert "&lt;b&gt;memory stick&lt;/b&gt;" in section
    assert "<b>memory stick" not in page


def test_without_an_index_nothing_is_suggested_and_the_report_says_so(declines, embedder, tmp_path):
    report = _report(declines, None, embedder, None)
    assert not report.synonyms.indexed and report.synonyms.pairs == ()
    write_report(report, tmp_path / "out")
    assert "No index was found" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert _rows(tmp_path / "out" / "synonym_suggestions.csv") == []
    summary = {r["measure"]: r["value"] for r in _rows(tmp_path / "out" / "summary.csv")}
    assert summary["synonym_suggestions"] == "no index"


@pytest.mark.parametrize("indexed", [True, False], ids=["index", "no-index"])
def test_report_command_suggests_from_the_served_index(declines, knowledge, embedder, tmp_path, monkeypatch, indexed):
    monkeypatch.setattr("bot.compose.make_embedder", lambda: embedder)  # the session's model, not a second one
    folder, index = knowledge
    env = {
        "DATABASE_URL": str(declines.url),
        "KNOWLEDGE_DIR": str(folder),
        "INDEX_DIR": str(index if indexed else tmp_path / "no-index"),
    }
    result = CliRunner().invoke(main, ["report", "--out", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    rows = _rows(tmp_path / "out" / "synonym_suggestions.csv")
    if indexed:
        assert "suggested synonyms from 6 declined questions that came close" in result.output
        assert rows[0]["staff_words"] == "memory stick"
        assert not [r for r in rows if r["staff_words"] == "pen drive"]  # the file's pair, read by the command
    else:
        assert "no suggested synonyms: there is no index" in result.output
        assert rows == []


def test_placeholders_markup_and_links_are_not_wording():
    runs = plain_runs(["Can [name] put <PERSON>'s files on a memory stick? See https://intranet.example/x"])[0]
    # placeholders are dropped and break the words into runs: no phrase spans one
    assert [[w for w, _ in run] for run in runs] == [["Can"], ["put"], ["files", "on", "a", "memory", "stick"], ["See"]]


def test_yaml_lines_read_back_as_the_pair():
    assert yaml_line("memory stick", "USB stick") == "memory stick: USB stick"
    assert yaml_line("yes", "approved") == '"yes": "approved"'  # YAML would read yes as true
    assert Synonyms.parse(yaml_line("yes", "approved")).pairs == (("yes", ("approved",)),)
