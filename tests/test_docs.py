"""The README and docs/: a one-screen README, links that resolve, and a settings table that is
generated from bot/config.py and names exactly the settings there are."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import pytest

from bot.config import TABLE_BEGIN, TABLE_END, Settings, configuration_table, env_name, main, with_table
from tests.conftest import ROOT

DOCS = ROOT / "docs"
README = ROOT / "README.md"
CONFIGURATION = DOCS / "configuration.md"
SETTINGS_ENV = {env_name(name, field) for name, field in Settings.model_fields.items()}

# Environment variables the docs mention that are not the bot's settings: read by tests and tools.
NOT_SETTINGS = {
    "CI": "tests: a missing tool fails instead of skipping",
    "TEAMSAPPTESTER_BROWSER": "the Agents Playground's own switch",
    "SAVE_SCREENSHOTS": "tests/e2e writes the screenshots in docs/screenshots",
    "TEAMS_MANIFEST_SCHEMA": "the manifest schema test",
    "TEST_POSTGRES_URL": "tests and benchmarks against PostgreSQL",
}

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
_FENCE_OR_INDENTED = re.compile(r"^(?: {4}|\t)")


def markdown_files() -> list[Path]:
    """The repository's own Markdown (not the documents the bot answers from, nor installed packages)."""
    skip = {".venv", ".git", "node_modules", "knowledge", "eval_corpus", ".pytest_cache"}
    return sorted(p for p in ROOT.rglob("*.md") if not skip & set(p.relative_to(ROOT).parts[:-1]))


def prose(text: str) -> str:
    """Text outside indented code blocks (where `[1]` and the like are not links)."""
    return "\n".join(line for line in text.splitlines() if not _FENCE_OR_INDENTED.match(line))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", path.read_text(encoding="utf-8"), re.MULTILINE)}


def links(path: Path) -> list[str]:
    return _LINK.findall(prose(path.read_text(encoding="utf-8")))


def table_env_names(text: str) -> list[str]:
    """The first column of the configuration table, each `NAME`."""
    body = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0]
    return re.findall(r"^\| `([^`]+)` \|", body, re.MULTILINE)


def test_readme_fits_one_screen_before_read_next() -> None:
    text = README.read_text(encoding="utf-8")
    assert "## Read next" in text
    head = text.split("## Read next", 1)[0].rstrip().splitlines()
    assert len(head) <= 30, f"{len(head)} lines before 'Read next'"
    assert "make run" in text and "make test" in text
    assert len(text.splitlines()) <= 45


def test_readme_leads_to_configuration_and_bad_input_handling() -> None:
    """What reviewers look for from the README: the settings, and what the bot does with bad input."""
    targets = {(README.parent / link.split("#")[0]).resolve() for link in links(README)}
    assert CONFIGURATION.resolve() in targets
    behaviour = DOCS / "behaviour.md"
    assert behaviour.resolve() in targets
    bad_input = behaviour.read_text(encoding="utf-8")
    for reply in ("broken JSON", "`415` / `413`", "over 1,000 characters", "prompt injection"):
        assert reply in bad_input
    assert (DOCS / "README.md").resolve() in targets


@pytest.mark.parametrize("path", markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path: Path) -> None:
    broken = []
    for link in links(path):
        if re.match(r"^[a-z][a-z0-9+.-]*:", link, re.IGNORECASE):  # https:, mailto:
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists():
            broken.append(f"{link}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{link}: no heading #{anchor}")
    assert broken == []


def test_the_link_checker_sees_broken_links(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[a](missing.md) [b](#nowhere) [c](page.md#title)\n\n    [1](code.md)\n")
    assert links(page) == ["missing.md", "#nowhere", "page.md#title"]
    assert "title" in anchors(page) and "nowhere" not in anchors(page)


def test_docs_index_lists_every_page() -> None:
    listed = {(DOCS / link.split("#")[0]).resolve() for link in links(DOCS / "README.md")}
    pages = {p.resolve() for p in DOCS.glob("*.md") if p.name != "README.md"}
    assert sorted(p.name for p in pages - listed) == []


def test_configuration_table_is_generated_from_settings() -> None:
    """Stale when a field or its description changed without `make docs`."""
    text = CONFIGURATION.read_text(encoding="utf-8")
    assert with_table(text) == text, "docs/configuration.md is stale: run `make docs`"


def test_configuration_table_names_exactly_the_settings() -> None:
    documented = table_env_names(CONFIGURATION.read_text(encoding="utf-8"))
    assert len(documented) == len(set(documented))
    assert sorted(set(documented) - SETTINGS_ENV) == [], "documented but not in Settings"
    assert sorted(SETTINGS_ENV - set(documented)) == [], "in Settings but not documented"


def test_make_docs_rewrites_a_stale_table(tmp_path: Path) -> None:
    doc = tmp_path / "configuration.md"
    doc.write_text(f"# Configuration\n\n{TABLE_BEGIN}\n| `OLD_NAME` | x | y |\n{TABLE_END}\n\nAfter.\n")
    assert main(["--write", str(doc)]) == 0
    text = doc.read_text()
    assert "OLD_NAME" not in text and text.endswith(f"{TABLE_END}\n\nAfter.\n")
    assert set(table_env_names(text)) == SETTINGS_ENV
    assert configuration_table() in text


def _named_env_vars(text: str) -> set[str]:
    """`UPPER_CASE` names and `MicrosoftApp…` in backticks, and NAME= lines of example env files."""
    names = set(re.findall(r"`((?:[A-Z][A-Z0-9]*_[A-Z0-9_*]+)|(?:Microsoft[A-Za-z]+))(?:=[^`]*)?`", text))
    names |= set(
        re.findall(r"^(?: {4}|\t)((?:[A-Z][A-Z0-9]*_)*[A-Z][A-Z0-9]*|Microsoft[A-Za-z]+)=", text, re.MULTILINE)
    )
    return names


def test_every_variable_the_docs_name_is_a_setting() -> None:
    unknown: dict[str, list[str]] = {}
    seen: set[str] = set()
    for path in [README, *sorted(DOCS.glob("*.md"))]:
        for name in _named_env_vars(path.read_text(encoding="utf-8")):
            seen.add(name)
            if name in NOT_SETTINGS or fnmatch.filter(SETTINGS_ENV, name):  # CONVERSATION_MEMORY_* too
                continue
            unknown.setdefault(name, []).append(path.name)
    assert unknown == {}
    assert {"MicrosoftAppId", "DATABASE_URL", "HOST", "TERMS_URL", "CONVERSATION_MEMORY_*"} <= seen


def test_the_variable_scan_finds_names_in_text_and_env_files() -> None:
    text = (
        "Set `IG_MAILBOX`, `SMTP_TLS=true` and `MicrosoftAppType`, not `INFO`.\n\n    PORT=3978\n    NOT_A_SETTING=1\n"
    )
    assert _named_env_vars(text) == {"IG_MAILBOX", "SMTP_TLS", "MicrosoftAppType", "PORT", "NOT_A_SETTING"}
