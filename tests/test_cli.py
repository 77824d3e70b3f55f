"""Contracts 2 and 3: `python -m bot index` and `python -m bot ask --json`, as other tools call them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, ROOT
from tests.eval_scoring import load_cases, problems

ENV = dict(os.environ, HF_HUB_OFFLINE="1")


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=ENV,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_index_builds_then_refreshes_and_summarises(knowledge_copy: Path, tmp_path: Path):
    index = tmp_path / "index"
    first = run("index", "--knowledge", str(knowledge_copy), "--index", str(index))
    assert first.returncode == 0, first.stderr
    assert "1 added, 0 changed, 0 removed, 0 unchanged, 0 failed" in first.stderr.splitlines()[-1]
    assert first.stdout == ""  # progress and summary go to stderr
    (knowledge_copy / "bad.md").write_text("---\ntitle: [broken\n---\n")
    second = run("index", "--knowledge", str(knowledge_copy), "--index", str(index))
    assert second.returncode == 0
    assert "0 added, 0 changed, 0 removed, 1 unchanged, 1 failed" in second.stderr
    assert "failed: bad.md" in second.stderr


def test_index_reports_a_missing_knowledge_folder(tmp_path: Path):
    result = run("index", "--knowledge", str(tmp_path / "nope"), "--index", str(tmp_path / "i"))
    assert result.returncode != 0 and "knowledge folder not found" in result.stderr


def test_ask_json_batch_answers_every_sample_case_in_order(bulletin_index: Path):
    cases = load_cases(DATA / "sample_eval.jsonl")
    questions = [c["question"] for c in cases] + ["", "<b>bold</b>", "hiya", "thanks"]
    result = run("ask", "--json", "--index", str(bulletin_index), stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(questions)
    outs = [json.loads(line) for line in lines]
    for out in outs:
        assert set(out) == {"route", "text", "citations", "confidence"}
        assert out["route"] in ("answer", "escalate", "decline") and 0.0 <= out["confidence"] <= 1.0
        for c in out["citations"]:
            assert set(c) == {"position", "title", "source", "url", "quote"}
    failures = {c["id"]: problems(c, o) for c, o in zip(cases, outs) if problems(c, o)}
    assert failures == {}
    # Small talk: a friendly reply, reported as decline (the contract's three routes; nothing quoted).
    hiya, thanks = outs[-2:]
    assert hiya["route"] == thanks["route"] == "decline" and not hiya["citations"]
    assert hiya["text"].startswith("Hello!") and thanks["text"].startswith("You're welcome")


def test_ask_single_question_json_and_readable(bulletin_index: Path):
    result = run("ask", "--json", "--index", str(bulletin_index), "Was the Burnley conference cancelled?")
    out = json.loads(result.stdout)
    assert out["route"] == "answer" and "heating" in out["text"]
    readable = run("ask", "--index", str(bulletin_index), "Was the Burnley conference cancelled?")
    assert readable.stdout.startswith("[answer]") and "[1] Staff bulletin" in readable.stdout


def test_ask_without_an_index_says_how_to_build_one(tmp_path: Path):
    result = run("ask", "--json", "--index", str(tmp_path / "none"), "hello")
    assert result.returncode != 0 and "python -m bot index" in result.stderr
