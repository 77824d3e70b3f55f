"""Hybrid retrieval over a real index: the newer of two contradicting policies is the one quoted."""

from __future__ import annotations

from pathlib import Path

from bot.core.assistant import Assistant
from bot.core.index_store import build_index, load_index
from bot.core.retrieve import Mode, Thresholds, search

OLD = """---
title: Expenses Policy 2023
date: 2023-04-01
---
## Mileage rates

Employees using their own car for business journeys are paid 45p per mile for the first 10,000 miles.
"""
NEW = """---
title: Expenses Policy 2025
date: 2025-04-01
---
## Mileage rates

Employees using their own car for business journeys are paid 52p per mile for the first 10,000 miles.
This version replaces the 2023 policy.
"""
OTHER = """---
title: Annual leave
date: 2021-01-01
---
## Entitlement

Full-time employees receive 26 days of annual leave plus bank holidays.
"""


def _index(tmp_path: Path, embedder, docs: dict[str, str]):
    knowledge = tmp_path / "k"
    knowledge.mkdir()
    for name, text in docs.items():
        (knowledge / name).write_text(text)
    build_index(knowledge, tmp_path / "i", embedder)
    return load_index(tmp_path / "i")


def test_the_newer_of_two_contradicting_documents_is_quoted(tmp_path: Path, embedder):
    snap = _index(tmp_path, embedder, {"expenses-2023.md": OLD, "expenses-2025.md": NEW, "leave.md": OTHER})
    answer = Assistant(snap, embedder).answer("What is the mileage rate for my own car?")
    assert "52p" in answer.text and "45p" not in answer.text
    assert {c.source for c in answer.citations} == {"expenses-2025.md"}


def test_an_older_document_on_a_different_subject_is_not_dropped(tmp_path: Path, embedder):
    snap = _index(tmp_path, embedder, {"expenses-2025.md": NEW, "leave.md": OTHER})
    q = "How many days of annual leave do I get?"
    hits = search(snap, [q], embedder.encode([q]), Thresholds.calibrated())[0]
    assert hits[0].chunk.source == "leave.md"


def test_each_mode_finds_an_exact_phrase_passage(tmp_path: Path, embedder):
    snap = _index(tmp_path, embedder, {"expenses-2025.md": NEW, "leave.md": OTHER})
    q = "annual leave entitlement days"
    for mode in Mode:
        hits = search(snap, [q], embedder.encode([q]), Thresholds.calibrated(), mode=mode)[0]
        assert hits and hits[0].chunk.source == "leave.md", mode
