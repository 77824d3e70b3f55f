from pathlib import Path

import pytest

from bot.core.load import LoadError, iter_knowledge_files, load_document
from tests.conftest import KNOWLEDGE


def test_bulletin_has_front_matter_and_the_four_items_as_sections():
    doc = load_document(KNOWLEDGE / "staff-bulletin-2024-11-18.md", KNOWLEDGE)
    assert doc.title == "Staff bulletin, week of 18 November 2024"
    assert doc.date == "2024-11-18"
    assert "staff bulletin" in doc.meta["source"].lower()
    assert [s.headings for s in doc.sections] == [
        ("Artificial Intelligence (AI) and Information Governance Compliance",),
        ("Managing change together – future programmes",),
        ("Children's social care reform",),
        ("Employee conferences",),
    ]


def test_bulletin_text_is_the_council_text_unchanged():
    doc = load_document(KNOWLEDGE / "staff-bulletin-2024-11-18.md", KNOWLEDGE)
    original = KNOWLEDGE.parent.parent / "shared" / "knowledge" / "staff-bulletin-november-2024.txt"
    if not original.exists():
        pytest.skip("../shared/knowledge is not beside this checkout")
    body = " ".join(s.text for s in doc.sections)
    for line in original.read_text(encoding="utf-8").splitlines():
        if line.strip() and line.strip() not in {h for s in doc.sections for h in s.headings}:
            assert line.strip() in body


def test_nested_headings_give_a_heading_path(tmp_path: Path):
    (tmp_path / "p.md").write_text(
        "---\ntitle: Policy\n---\n# Policy\nIntro.\n## Scope\nAll staff.\n### Agency\nAgency staff too.\n"
    )
    doc = load_document(tmp_path / "p.md", tmp_path)
    assert [s.headings for s in doc.sections] == [("Policy",), ("Policy", "Scope"), ("Policy", "Scope", "Agency")]


def test_heading_like_lines_inside_code_fences_are_text(tmp_path: Path):
    (tmp_path / "p.md").write_text("# A\n```\n# not a heading\n```\n")
    doc = load_document(tmp_path / "p.md", tmp_path)
    assert len(doc.sections) == 1 and "# not a heading" in doc.sections[0].text


def test_plain_text_file_is_one_section_titled_by_file_name(tmp_path: Path):
    (tmp_path / "clear-desk_policy.txt").write_text("Lock your screen.\n")
    doc = load_document(tmp_path / "clear-desk_policy.txt", tmp_path)
    assert doc.title == "clear desk policy"
    assert doc.sections[0].text == "Lock your screen."


def test_broken_front_matter_and_bad_encoding_are_load_errors(tmp_path: Path):
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\n---\nbody\n")
    (tmp_path / "latin.txt").write_bytes("caf\xe9".encode("latin-1"))
    for name in ("bad.md", "latin.txt"):
        with pytest.raises(LoadError, match=name):
            load_document(tmp_path / name, tmp_path)


def test_only_supported_visible_files_are_listed(tmp_path: Path):
    for name in ("a.md", "b.txt", "README.md", ".hidden.md", "c.exe"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.md").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_knowledge_files(tmp_path)] == ["a.md", "b.txt", "sub/d.md"]
