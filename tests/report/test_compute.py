"""The report's numbers on a seeded month: exact counts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from bot.report.compute import build_report
from bot.store.db import make_engine
from tests.oversight_seed import ago
from tests.report.conftest import AI_AND_IG, BULLETIN, CONFERENCES, DECLINED, INDEXED, SCOPE


def test_report_numbers_on_seeded_data(seeded: Engine, embedder):
    report = build_report(seeded, since=ago(20), indexed=INDEXED, encode=embedder.encode, index_build="b1")

    assert report.questions == 11
    assert report.by_route == {"answer": 4, "escalate": 1, "decline": 6}
    assert report.redacted_questions == 2
    assert report.median_latency_ms == 40

    # declined questions, grouped by meaning with the real model: canteen, parking, weather
    assert [g.count for g in report.declined] == [3, 2, 1]
    assert set(report.declined[0].questions) == set(DECLINED[:3])
    assert set(report.declined[1].questions) == set(DECLINED[3:5])
    assert report.declined[2].questions == (DECLINED[5],)
    assert report.declined[0].label in DECLINED[:3]

    # topics: by cited section, each question counted once per section
    assert [(t.source, t.section, t.questions) for t in report.topics] == [
        (*CONFERENCES, 3),
        (*AI_AND_IG, 2),
        (*SCOPE, 1),
    ]
    assert [(d.source, d.questions) for d in report.documents] == [(BULLETIN, 5), ("gen-ai-policy.md", 1)]
    assert report.never_cited == ["records-retention-schedule.md"]

    assert report.feedback.likes == 3 and report.feedback.dislikes == 1 and report.feedback.ratio == "3:1"
    assert report.escalations.by_status == {"delivered": 2, "failed": 1, "pending": 1}
    assert report.escalations.delivery_minutes == (5.0, 15.0)
    assert report.escalations.median_minutes == 10.0 and report.escalations.max_minutes == 15.0


def test_without_since_everything_still_kept_counts(seeded: Engine):
    report = build_report(seeded, indexed=INDEXED)
    assert report.questions == 13
    assert report.feedback.ratio == "3:2"
    assert report.escalations.total == 5
    # without the model, only identical questions are grouped
    assert len(report.declined) == 7


def test_a_new_database_reports_zero_feedback_and_escalations(tmp_path: Path):
    report = build_report(make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}"), indexed=INDEXED)
    assert report.questions == 0 and report.declined == [] and report.never_cited == sorted(INDEXED)
    assert (report.feedback.likes, report.feedback.dislikes) == (0, 0)
    assert report.escalations.by_status == {}
