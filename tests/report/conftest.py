"""A database seeded with a known month of use: the report's numbers are exact counts of it."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.store.db import make_engine
from tests import oversight_seed as seed
from tests.oversight_seed import ago

BULLETIN = "staff-bulletin-2024-11-18.md"
CONFERENCES = (BULLETIN, "Staff bulletin – Employee conferences")
AI_AND_IG = (BULLETIN, "Staff bulletin – AI and Information Governance Compliance")
SCOPE = ("gen-ai-policy.md", "Use of Generative AI Policy – Scope")
INDEXED = [BULLETIN, "gen-ai-policy.md", "records-retention-schedule.md"]

DECLINED = [
    "What time does the canteen at County Hall close?",
    "When does the County Hall canteen shut?",
    "Canteen opening hours at County Hall",
    "How do I book a parking space at County Hall?",
    "Where can I park at County Hall?",
    "What will the weather be like tomorrow? <script>alert(1)</script>",
]


@pytest.fixture()
def seeded(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    seed.create_other_tables(engine)
    since = 20  # the report below is asked for the last 20 days; older rows must not count
    seed.add_turn(engine, ago(since + 1), "Old question about conferences", sources=(CONFERENCES,))
    seed.add_turn(engine, ago(since + 1), "Old declined question about canteen hours", route="decline")
    for i in range(3):
        seed.add_turn(engine, ago(i + 1), f"When is conference {i}?", sources=(CONFERENCES,))
    seed.add_turn(engine, ago(2), "Can I use AI at work?", sources=(AI_AND_IG, SCOPE, AI_AND_IG))
    seed.add_turn(
        engine, ago(3), "Can [name] use Copilot for case notes?", "escalate", (AI_AND_IG,), redacted=("name",)
    )
    for i, q in enumerate(DECLINED):
        seed.add_turn(engine, ago(i + 1), q, "decline", redacted=("email address",) if i == 0 else ())
    for reaction in ("like", "like", "like", "dislike"):
        seed.add_feedback(engine, ago(1), reaction)
    seed.add_feedback(engine, ago(since + 5), "dislike")
    seed.add_escalation(engine, ago(3), "delivered", ago(3, -5))
    seed.add_escalation(engine, ago(2), "delivered", ago(2, -15))
    seed.add_escalation(engine, ago(1), "pending")
    seed.add_escalation(engine, ago(1), "failed")
    seed.add_escalation(engine, ago(since + 30), "delivered", ago(since + 30, -60))
    return engine
