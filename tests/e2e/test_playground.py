"""End to end in Microsoft's own local Teams client: the bot and Microsoft 365 Agents Playground,
driven in headless Chromium with Playwright, as a member of staff would use it.

Needs node, the npm package @microsoft/m365agentsplayground, Debian's chromium and the Python
playwright package (never its downloaded browsers). `.ci/run` installs them
(scripts/install_e2e.sh); without them the test is skipped and says which one is missing.

Set SAVE_SCREENSHOTS=1 to refresh docs/screenshots/ from the run.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

E2E_CACHE = Path(os.environ.get("E2E_TOOLS", Path.home() / ".cache" / "governance-assistant" / "e2e"))
PLAYGROUND = E2E_CACHE / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs)"
    if not PLAYGROUND.exists():
        return f"Agents Playground not found at {PLAYGROUND} (run scripts/install_e2e.sh)"
    if not CHROMIUM.exists():
        return f"chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python playwright package is not installed"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Stop a process group we started; the Playground is slow to honour SIGTERM."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


@pytest.fixture(scope="module")
def bot(bulletin_index, tmp_path_factory):
    """The real service (app.py) on a free port, with the session's index of knowledge/."""
    port = _free_port()
    logs = tmp_path_factory.mktemp("bot")
    env = dict(
        os.environ,
        HOST="127.0.0.1",
        PORT=str(port),
        MicrosoftAppId="",
        INDEX_DIR=str(bulletin_index),
        DATABASE_URL=f"sqlite:///{logs / 'bot.sqlite3'}",
    )
    with open(logs / "bot.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("the bot did not start:\n" + (logs / "bot.log").read_text()[-3000:])
            time.sleep(0.5)
        yield f"http://localhost:{port}/api/messages"
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def playground(bot, tmp_path_factory):
    """Agents Playground for the bot; started after the bot is healthy, so its welcome lands."""
    work = tmp_path_factory.mktemp("playground")
    env = dict(
        os.environ,
        # Without this it tries to open a desktop browser with xdg-open and exits with code 1.
        TEAMSAPPTESTER_BROWSER="none",
        M365_AGENTS_PLAYGROUND_LOGFILE=str(work / "playground.log"),
    )
    cmd = [str(PLAYGROUND), "-e", bot, "-c", "msteams", "--dt", "-p", str(_free_port())]
    proc = subprocess.Popen(
        cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            found = re.search(r"Listening on (\d+)", line)  # the port falls back if ours was taken
            port = int(found.group(1)) if found else None
        assert port, f"the Playground did not start (exit code {proc.poll()})"
        yield f"http://localhost:{port}"
    finally:
        _stop(proc)


@pytest.fixture(scope="module")
def page(playground):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(60_000)
        page.goto(playground, wait_until="domcontentloaded")
        page.get_by_label("Personal Chat").click()
        yield page
        browser.close()


def _shot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name))
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, SCREENSHOTS / name)


def _ask(page, question: str) -> None:
    box = page.locator("[data-lexical-editor=true]")
    box.click()
    page.keyboard.type(question)
    page.keyboard.press("Enter")


def test_the_playground_shows_the_welcome_a_cited_answer_and_an_escalation(page, tmp_path):
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    expect(page.get_by_text("automated assistant for Lancashire County Council").first).to_be_visible()
    expect(page.get_by_role("button", name="Who do I contact about AI and personal data?")).to_be_visible()
    _shot(page, "welcome.png", tmp_path)

    _ask(page, "When is the last employee conference session?")
    answer = page.locator(".fai-OutputCard", has_text="27 November at County Hall in Preston")
    expect(answer).to_be_visible()
    # The citation marker is rendered as Teams renders it: a numbered citation, not "[1]" text.
    citation = answer.locator(".fai-Citation")
    expect(citation).to_have_text("1")
    expect(page.get_by_text("AI generated").last).to_be_visible()
    expect(page.get_by_label("Like").last).to_be_visible()
    citation.hover()  # shows the citation's details: the source section and its quote
    _shot(page, "answer-with-citations.png", tmp_path)

    _ask(page, "Can I use an AI tool to write minutes of a child protection conference?")
    escalation = page.locator(".fai-OutputCard", has_text="for the Information Governance Team to decide")
    expect(escalation).to_be_visible()
    expect(escalation.locator(".fai-Citation").first).to_be_visible()
    expect(escalation).to_contain_text("informationgovernance@lancashire.gov.uk")
    _shot(page, "escalation.png", tmp_path)
