"""`python -m bot eval`: one table comparing hybrid, dense-only and keyword-only retrieval."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

HERE = Path(__file__).resolve().parent
SUBSET = [  # a slice of the evaluation corpus, with the documents that contradict each other by date
    "expenses-policy-2023.md",
    "expenses-policy-2025.md",
    "information-security-policy-2022.md",
    "information-security-standard-2025.md",
    "procurement-thresholds-2024.md",
    "procurement-thresholds-2025.md",
]


def test_eval_prints_one_comparison_table_and_hybrid_recalls_at_least_as_well(tmp_path: Path, embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in [*SUBSET, "README.md"]:
        shutil.copy(HERE / "eval_corpus" / name, docs / name)
    cases = [
        c
        for c in map(json.loads, (HERE / "eval_cases" / "tuning.jsonl").read_text().splitlines())
        if c["doc"] in SUBSET
    ]
    assert len(cases) >= 5
    (tmp_path / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in cases))
    monkeypatch.setattr("bot.compose.make_embedder", lambda: embedder)  # the session's model

    result = CliRunner().invoke(main, ["eval", str(tmp_path / "cases.jsonl"), "--knowledge", str(docs)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == [
        "mode", "route", "acc", "fact", "hits", "citation", "hits", "leaks", "recall@1", "recall@3", "recall@5",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[2:5]}
    assert set(rows) == {"hybrid", "dense", "keyword"}
    recall3 = {mode: float(row[-2]) for mode, row in rows.items()}
    assert recall3["hybrid"] >= recall3["dense"] and recall3["hybrid"] >= recall3["keyword"]
    assert recall3["hybrid"] >= 0.9
    # the superseded versions (2023, 2022, 2024) are in the folder but never quoted
    assert {mode: row[7] for mode, row in rows.items()} == {"hybrid": "0", "dense": "0", "keyword": "0"}


def test_eval_rejects_a_broken_cases_file_with_the_line_number(tmp_path: Path):
    (tmp_path / "cases.jsonl").write_text('{"question": "ok", "route": "decline"}\n{not json\n')
    result = CliRunner().invoke(main, ["eval", str(tmp_path / "cases.jsonl")])
    assert result.exit_code != 0 and "line 2 is not JSON" in result.output


def test_every_evaluation_case_quotes_its_document_and_no_question_repeats_across_sets():
    """A fact or citation that is not in the named document would make a case unwinnable."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("validate_cases", HERE / "eval_cases" / "validate_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    files = sorted((HERE / "eval_cases").glob("*.jsonl"))
    assert {f.name for f in files} >= {
        "tuning.jsonl",
        "heldout.jsonl",
        "heldout_v2.jsonl",
        "heldout_v3.jsonl",
        "heldout_v4.jsonl",
    }
    assert module.check(files) == []
