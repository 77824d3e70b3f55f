"""Fixtures for the end-to-end tests in Microsoft's own local Teams client: the real service and
Microsoft 365 Agents Playground, driven in headless Chromium with Playwright.

Needs node, the npm package @microsoft/m365agentsplayground, Debian's chromium and the Python
playwright package (never its downloaded browsers). `.ci/run` installs them
(scripts/install_e2e.sh). Without them the tests are skipped and say which one is missing, except
with CI=true, where a missing tool fails the run: CI must never go green without the client.

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
from dataclasses import dataclass
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


@pytest.fixture(scope="session", autouse=True)
def client_tools() -> None:
    """Skip without the tools locally; with CI=true, fail: CI must exercise the real client."""
    missing = _missing()
    if missing is None:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI=true and the end-to-end client is missing: {missing}")
    pytest.skip(missing)


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


@dataclass(frozen=True)
class BotProcess:
    """The running service and where it keeps its state, for tests to check what a click did."""

    url: str  # the messaging endpoint, as the Playground calls it
    database: Path  # the SQLite file (escalations, offers, conversation log)
    mail_dir: Path  # escalation emails land here as .eml files (no SMTP configured)
    log: Path


@pytest.fixture(scope="module")
def bot_env() -> dict[str, str]:
    """Settings a test module adds to the service's environment (override it in the module)."""
    return {}


@pytest.fixture(scope="module")
def bot(bulletin_index, tmp_path_factory, bot_env):
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
        MAIL_DIR=str(logs / "mail"),
        **bot_env,
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
        yield BotProcess(f"http://localhost:{port}/api/messages", logs / "bot.sqlite3", logs / "mail", logs / "bot.log")
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
    cmd = [str(PLAYGROUND), "-e", bot.url, "-c", "msteams", "--dt", "-p", str(_free_port())]
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


def shot(page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / name), animations="disabled")  # a card mid fade-in, finished
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / name, SCREENSHOTS / name)


PLAYGROUND_BOT = "Test Bot"  # the bot's name in the Playground's default configuration


def ask(page, question: str, mention: str | None = None) -> None:
    """Type a question and send it; with `mention`, @mention that member first, picked from the
    composer's list as a person does in a group chat or channel (a mention entity the bot sees)."""
    box = page.locator("[data-lexical-editor=true]")
    box.click()
    if mention:
        page.keyboard.type(f"@{mention.split()[0]}")  # a space would close the list
        page.get_by_role("menuitem", name=mention).first.click()
        page.keyboard.type(" ")
    page.keyboard.type(question)
    page.keyboard.press("Enter")


def ig_forms(page):
    """Every IG hand-off form in the chat."""
    return page.locator(".ac-adaptiveCard", has_text="Ask the Information Governance Team")


def ask_for_ig_card(page, question: str):
    """Ask a question that goes to IG: the form it brings (this question's, never an earlier one)."""
    from playwright.sync_api import expect

    forms = ig_forms(page)
    before = forms.count()
    ask(page, question)
    expect(forms).to_have_count(before + 1)
    return forms.nth(before)


def open_chat(page, name: str) -> None:
    """Switch conversation in the Playground's left rail: "Personal Chat", "Group Chat", ..."""
    page.locator(f"button[aria-label='{name}']").click()


def hide_log(page) -> None:
    """Close the Playground's log panel, which repeats the start of every message."""
    button = page.get_by_role("button", name="Hide log panel")
    if button.count():
        button.click()
