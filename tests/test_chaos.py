"""The chaos run (bench/chaos.py), short: senders on one database, an SMTP outage, a kill -9 mid-run.

Replica processes run the service's outbox sender, `python -m bot outbox --send` joins mid-run,
the mail server goes away for three seconds and one replica is killed. No escalation may be
lost, and none emailed or announced twice, except what the killed replica held when it died.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.databases import BACKENDS, _missing


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


@pytest.mark.slow
def test_the_service_rides_out_a_40_s_database_outage_an_smtp_outage_and_a_kill_mid_send():
    """bench/chaos.py --outage: staff ask and escalate through two real app.py replicas while their
    PostgreSQL is stopped for 40 s (pg_ctl -m fast) and the mail server refuses for 30 s, then the
    replica sending an email is killed with SIGKILL. About two and a half minutes on two cores."""
    if not (shutil.which("pg_ctl") or glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")):
        _missing("PostgreSQL is not installed: the outage run needs a server of its own to stop")
    run = subprocess.run(
        [sys.executable, "-m", "bench.chaos", "--outage", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=480,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    # what staff saw while the database was away: answers, and forms handed back to send again
    assert set(result["during"]) <= {
        "question: answer",
        "send: 'not sent, try again' card with the fields kept",
        "escalation: answer, and 'couldn't open the form: email IG'",
    }, result["during"]
    assert result["during"].get("send: 'not sent, try again' card with the fields kept", 0) > 0
    # every escalation staff were told is on its way went exactly once, and they were told once
    assert result["acknowledged"] >= 8 and result["emailed_once"] == result["acknowledged"], result
    assert result["told_delivered_once"] == result["acknowledged"], result
    assert result["last_email_after_smtp_s"] < 90, result
    # /healthz said not ready, and why, while the database was away; ready again by itself
    assert set(result["healthz_during"]) == {"503"} and "database is unreachable" in result["healthz_error_during"]
    assert 0 <= result["healthz_ready_again_after_s"] < 10 and result["healthz_after"] == 200
    assert not result["restarted"]
    # the email a killed replica was sending goes within a minute, not after a 300 s claim
    assert result["killed_was_sending"] and 0 <= result["kill_delivery_s"] <= 60 and result["kill_told"] == 1
    assert result["shutdown_exit_codes"] == [0]  # and the survivor shuts down cleanly on SIGTERM
    assert run.returncode == 0, run.stderr[-2000:]
