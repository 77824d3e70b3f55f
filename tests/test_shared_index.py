"""Replicas as separate processes: one index folder (each picks up a new build through `current`;
builds never race) and one database (a follow-up continues on the other replica)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot.core.assistant import Assistant
from bot.core.index_store import build_index, load_index
from bot.reload import IndexService
from tests.conftest import ROOT
from tests.connector import Connector, activity
from tests.mail.smtp_server import free_port

CANTEEN = "What time does the staff canteen at County Hall close?"


def _doc(n: int) -> str:
    return (
        f"---\ntitle: Facilities bulletin {n}\ndate: 2025-02-0{n + 1}\n---\n## Staff canteen {n}\n\n"
        f"The staff canteen at County Hall closes at 2.30pm on weekdays from {n + 1} March 2025.\n"
    )


async def _started(http: ClientSession, base: str, proc: subprocess.Popen, log: Path) -> None:
    for _ in range(1200):
        assert proc.poll() is None, f"the replica exited during start-up:\n{log.read_text()[-3000:]}"
        try:
            async with http.get(f"{base}/healthz") as r:
                if r.status == 200:
                    return
        except OSError:  # not listening yet
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{base} never became ready")


@pytest.mark.slow
async def test_two_replica_processes_pick_up_a_new_build_of_the_shared_folder(knowledge_copy: Path, tmp_path: Path):
    index = tmp_path / "shared-index"  # as a volume both containers mount
    env = dict(os.environ, INDEX_DIR=str(index), KNOWLEDGE_DIR=str(knowledge_copy), HF_HUB_OFFLINE="1")
    subprocess.run([sys.executable, "-m", "bot", "index"], cwd=ROOT, env=env, check=True, capture_output=True)
    connector = await Connector().start()
    ports = [free_port(), free_port()]
    logs = [tmp_path / f"replica-{n}.log" for n in range(2)]
    replicas = [
        subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=dict(
                env,
                PORT=str(port),
                MicrosoftAppId="",
                INDEX_POLL_SECONDS="0.3",
                DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
                LOG_LEVEL="WARNING",
            ),
            stdout=subprocess.DEVNULL,
            stderr=log.open("w"),
        )
        for port, log in zip(ports, logs)
    ]
    try:
        async with ClientSession() as http:
            bases = [f"http://127.0.0.1:{port}" for port in ports]
            for base, proc, log in zip(bases, replicas, logs):
                await _started(http, base, proc, log)

            async def ask(base: str) -> str:
                conv = f"a:{uuid.uuid4().hex}"
                async with http.post(f"{base}/api/messages", json=activity(connector.url, CANTEEN, conv)) as r:
                    assert r.status == 201
                return next(a["text"] for a in connector.messages(conv) if a.get("entities"))

            assert ["2.30pm" in await ask(base) for base in bases] == [False, False]

            # Two processes, one database: a follow-up that lands on the other replica keeps its
            # question (tests/test_replicas.py shows the same with two services in one process).
            conv = f"a:{uuid.uuid4().hex}"
            first = activity(connector.url, "When is the last employee conference session?", conv)
            async with http.post(f"{bases[0]}/api/messages", json=first) as r:
                assert r.status == 201
            await asyncio.sleep(1.0)  # the shared state is flushed every quarter second
            follow_up = activity(connector.url, "and where is it?", conv)
            async with http.post(f"{bases[1]}/api/messages", json=follow_up) as r:
                assert r.status == 201
            answers = [a["text"] for a in connector.answers(conv)]
            assert "27 November" in answers[0]
            assert "County Hall" in answers[-1], answers  # the second process answered in the first one's context
            (knowledge_copy / "facilities.md").write_text(_doc(0))
            built = await asyncio.to_thread(
                subprocess.run, [sys.executable, "-m", "bot", "index"], cwd=ROOT, env=env, capture_output=True
            )
            assert built.returncode == 0, built.stderr
            for base in bases:  # each replica swaps in the new build on its own, from the shared link
                for _ in range(100):
                    if "2.30pm" in await ask(base):
                        break
                    await asyncio.sleep(0.2)
                else:
                    raise AssertionError(f"{base} never served the new build")
    finally:
        for p in replicas:
            p.terminate()
        for p in replicas:
            p.wait(30)
        await connector.stop()


async def test_refreshes_on_two_replicas_at_once_never_break_the_shared_index(knowledge_copy: Path, tmp_path, embedder):
    """Two replicas' `refresh` at the same moment, several times: the folder always ends with a loadable build."""
    index = tmp_path / "index"
    build_index(knowledge_copy, index, embedder)
    replicas = [IndexService(Assistant(load_index(index), embedder), knowledge_copy, index) for _ in range(2)]
    for n in range(4):
        (knowledge_copy / f"facilities-{n}.md").write_text(_doc(n))
        reports = await asyncio.gather(*(r.refresh() for r in replicas))
        # one build added the document; the other waited for it and found it already indexed
        assert sorted(len(r.added) for r in reports) == [0, 1], [r.summary() for r in reports]
        snapshot = load_index(index)
        assert any(f"facilities-{n}.md" in c.source for c in snapshot.chunks)
        assert all(r.assistant.snapshot.path == snapshot.path for r in replicas)  # both serve the final build
