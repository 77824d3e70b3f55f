"""The chaos run (bench/chaos.py), short: senders on one database, an SMTP outage, a kill -9 mid-run.

Replica processes run the service's outbox sender, `python -m bot outbox --send` joins mid-run,
the mail server goes away for three seconds and one replica is killed. No escalation may be
lost, and none emailed or announced twice, except what the killed replica held when it died.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.databases import BACKENDS


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_short_chaos_run_loses_nothing_and_duplicates_nothing(backend: str, request: pytest.FixtureRequest):
    env = dict(os.environ)
    if backend == "postgresql":
        env["TEST_POSTGRES_URL"] = request.getfixturevalue("postgres_server")
    run = subprocess.run(
        [sys.executable, "-m", "bench.chaos", "--backend", backend, "--escalations", "90", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["accepted"] >= 90 and result["lost"] == 0, result
    assert result["duplicates_beyond_kill_window"] == 0 and result["told_not_once_beyond_kill_window"] == 0, result
    assert any("killed" in note for note in result["notes"]) and any("SMTP down" in n for n in result["notes"])
    assert run.returncode == 0, run.stderr[-2000:]
