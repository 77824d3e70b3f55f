"""The report's IG case figures (card, HTML and CSV) on cases this test writes through the real stores."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from bot.core import cases as rules
from bot.report.compute import build_report
from bot.report.write import write_report
from bot.store.cases import IG, CaseStore
from bot.store.db import open_database
from bot.store.escalations import EscalationStore
from bot.teams.oversight import summary_card

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)  # a Wednesday


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, 0, tzinfo=dt.UTC)


def _case(store: EscalationStore, cases: CaseStore, received: dt.datetime, reply_after_h=None, close=False) -> str:
    e, _ = store.create(
        f"key-{received.isoformat()}",
        user_name="Staff",
        user_email="staff@lancashire.gov.uk",
        question="Can I use Copilot on [name]'s case notes?",
        fields={},
        passages=[],
        conversation_reference={"user": {"id": "29:staff"}},
        created_at=received,
    )
    store.claim(e.id, at=received)
    store.mark_delivered(e.id, at=received + dt.timedelta(minutes=1))
    if reply_after_h is not None:
        done = received + dt.timedelta(hours=reply_after_h)
        assert cases.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="Yes.", at=done)
        # a second reply later is not a first reply
        assert cases.act(e.id, rules.REPLY, actor=IG, actor_id="ig", text="Also...", at=done + dt.timedelta(days=1))
    if close:
        assert cases.act(e.id, rules.CLOSE, actor=IG, actor_id="ig", at=NOW)
    return e.reference


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_open_cases_by_age_median_first_reply_and_cases_past_the_limit(database_url: str, tmp_path: Path):
    engine = open_database(database_url)
    store, cases = EscalationStore(engine), CaseStore(engine)
    oldest = _case(store, cases, at(10))  # Tuesday 10th: 11 working days old, never answered
    _case(store, cases, at(20), reply_after_h=2)  # Friday 20th: 3 working days, answered in 2 h
    middle = _case(store, cases, at(17), reply_after_h=4)  # Tuesday 17th: 6 working days, answered in 4 h
    _case(store, cases, at(24), reply_after_h=10, close=True)  # closed: not open, but its reply counts

    report = build_report(engine, now=NOW)
    c = report.cases
    assert c.open == 3 and c.by_age == {
        "0-1 working days": 0,
        "2-5 working days": 1,
        "6-10 working days": 1,
        "11-20 working days": 1,
        "over 20 working days": 0,
    }
    assert [r.reference for r in c.overdue] == [oldest, middle] and c.median_first_reply_hours == 4.0
    assert [r.reference for r in build_report(engine, now=NOW, overdue_days=10).cases.overdue] == [oldest]

    out = tmp_path / "out"
    written = write_report(report, out)
    assert "cases.csv" in [p.name for p in written]
    summary = {r["measure"]: r["value"] for r in _rows(out / "summary.csv")}
    assert summary["open_cases"] == "3" and summary["open_cases_past_5_working_days"] == "2"
    assert summary["median_hours_to_first_reply"] == "4" and summary["open_cases_11_to_20_working_days"] == "1"
    rows = {r["reference"]: r for r in _rows(out / "cases.csv")}
    assert rows[oldest]["past_limit"] == "yes" and rows[oldest]["age_working_days"] == "11"
    assert rows[middle]["hours_to_first_reply"] == "4" and len(rows) == 3
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "3 open cases; 2 past 5 working days" in page and "4 hours" in page
    assert page.index(oldest) < page.index(middle)  # flagged, oldest first

    facts = {f["title"]: f["value"] for f in summary_card(report)["body"][2]["facts"]}
    assert facts["Open IG cases"] == "3" and facts["Cases past 5 working days"] == "2"
    assert facts["Median first reply"] == "4 h"
