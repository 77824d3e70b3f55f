import json
import os
from pathlib import Path

import numpy as np
import pytest

from bot.core.index_store import IndexMissing, build_index, current_build, load_index


def test_build_writes_a_complete_index_and_points_current_at_it(knowledge_copy: Path, tmp_path: Path, embedder):
    index = tmp_path / "index"
    report = build_index(knowledge_copy, index, embedder)
    assert report.added == ["staff-bulletin-2024-11-18.md"] and not report.failed
    build = current_build(index)
    assert build is not None and build.parent.name == "builds"
    manifest = json.loads((build / "manifest.json").read_text())
    assert manifest["model"] == "sentence-transformers/all-MiniLM-L6-v2" and manifest["dimensions"] == 384
    assert manifest["files"]["staff-bulletin-2024-11-18.md"] == report_hash(knowledge_copy)
    snap = load_index(index)
    assert snap.vectors.ntotal == len(snap.chunks) == report.chunks
    # vectors are the normalised embeddings of the chunks, so inner product is cosine
    first = embedder.encode([snap.chunks[0].embedding_text()])[0]
    assert snap.search(first[None, :], 1)[0][0][1] == pytest.approx(1.0, abs=1e-4)


def report_hash(knowledge: Path) -> str:
    """The bulletin's content hash: the file and its sidecar metadata (bot.core.load.file_hash)."""
    import hashlib

    digest = hashlib.sha256((knowledge / "staff-bulletin-2024-11-18.md").read_bytes())
    digest.update(b"\x00sidecar\x00" + (knowledge / "staff-bulletin-2024-11-18.md.yml").read_bytes())
    return digest.hexdigest()


def test_unchanged_rebuild_embeds_nothing_and_keeps_the_build(knowledge_copy: Path, tmp_path: Path, embedder):
    index = tmp_path / "index"
    first = build_index(knowledge_copy, index, embedder)
    again = build_index(knowledge_copy, index, embedder)
    assert again.embedded == 0 and again.unchanged == ["staff-bulletin-2024-11-18.md"]
    assert again.build_id == first.build_id


def test_changed_added_removed_and_failed_files_are_reported(knowledge_copy: Path, tmp_path: Path, embedder):
    index = tmp_path / "index"
    (knowledge_copy / "old.md").write_text("# Old\nThe canteen closes at 3pm.\n")
    (knowledge_copy / "flaky.md").write_text("# Flaky\nThe staff car park opens at 7am.\n")
    first = build_index(knowledge_copy, index, embedder)
    bulletin = knowledge_copy / "staff-bulletin-2024-11-18.md"
    bulletin.write_text(
        bulletin.read_text() + "\n## Parking\n\nThe staff car park at County Hall is closed on Fridays.\n"
    )
    (knowledge_copy / "old.md").unlink()
    (knowledge_copy / "new.md").write_text("# New\nLibraries open at 9am.\n")
    (knowledge_copy / "flaky.md").write_text("---\ntitle: [broken\n---\n")
    report = build_index(knowledge_copy, index, embedder)
    assert report.changed == ["staff-bulletin-2024-11-18.md"]
    assert report.added == ["new.md"] and report.removed == ["old.md"]
    assert list(report.failed) == ["flaky.md"]
    # only the new passages were embedded; the rest were reused
    assert 0 < report.embedded < report.chunks
    texts = " ".join(c.text for c in load_index(index).chunks)
    assert "closed on Fridays" in texts and "Libraries open" in texts and "canteen" not in texts
    # the file that failed keeps serving its last good version
    assert "car park opens at 7am" in texts
    assert first.build_id != report.build_id


def test_a_killed_build_leaves_the_old_index_serving(knowledge_copy: Path, tmp_path: Path, embedder, monkeypatch):
    index = tmp_path / "index"
    build_index(knowledge_copy, index, embedder)
    before = current_build(index)
    (knowledge_copy / "new.md").write_text("# New\nLibraries open at 9am.\n")

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # as if killed while writing vectors

    monkeypatch.setattr("bot.core.index_store.faiss.write_index", crash)
    with pytest.raises(KeyboardInterrupt):
        build_index(knowledge_copy, index, embedder)
    assert current_build(index) == before
    assert "Libraries" not in " ".join(c.text for c in load_index(index).chunks)
    monkeypatch.undo()
    report = build_index(knowledge_copy, index, embedder)  # and the next build cleans up
    assert report.added == ["new.md"]
    assert not list((index / "builds").glob(".tmp-*"))


def test_current_is_swapped_by_rename_not_rewritten(knowledge_copy: Path, tmp_path: Path, embedder):
    index = tmp_path / "index"
    build_index(knowledge_copy, index, embedder)
    link = index / "current"
    assert link.is_symlink() and not os.path.isabs(os.readlink(link))  # the folder can be moved


def test_missing_index_says_how_to_build_one(tmp_path: Path):
    with pytest.raises(IndexMissing, match="python -m bot index"):
        load_index(tmp_path / "nowhere")


def test_empty_knowledge_folder_gives_an_empty_index_that_declines(tmp_path: Path, embedder):
    (tmp_path / "k").mkdir()
    build_index(tmp_path / "k", tmp_path / "i", embedder)
    snap = load_index(tmp_path / "i")
    assert snap.chunks == () and snap.search(np.zeros((1, 384), dtype=np.float32), 5) == [[]]


def _no_model():
    raise AssertionError("the model was loaded although nothing needed embedding")


def test_unchanged_or_removal_only_refresh_never_loads_the_model(knowledge_copy: Path, tmp_path: Path, embedder):
    index = tmp_path / "index"
    (knowledge_copy / "old.md").write_text("# Old\nThe canteen closes at 3pm.\n")
    (knowledge_copy / "bad.md").write_text("---\ntitle: [broken\n---\n")
    first = build_index(knowledge_copy, index, embedder)
    again = build_index(knowledge_copy, index, _no_model)  # a factory: called only when needed
    assert again.build_id == first.build_id and again.embedded == 0
    assert sorted(again.unchanged) == ["old.md", "staff-bulletin-2024-11-18.md"] and list(again.failed) == ["bad.md"]
    (knowledge_copy / "old.md").unlink()
    removed = build_index(knowledge_copy, index, _no_model)
    assert removed.removed == ["old.md"] and removed.build_id != first.build_id
    assert "canteen" not in " ".join(c.text for c in load_index(index).chunks)


def test_word_pdf_and_html_files_are_indexed_and_pdf_hits_know_their_page(tmp_path: Path, embedder):
    from tests.core.test_load_formats import write_docx, write_pdf

    knowledge = tmp_path / "k"
    knowledge.mkdir()
    write_docx(knowledge / "retention.docx")
    write_pdf(knowledge / "breach.pdf", [("Intro", "About breaches."), ("Deadline", "Report breaches in 24 hours.")])
    (knowledge / "breach.pdf.yml").write_text("title: Data Breach Procedure\ndate: 2025-01-01\n")
    (knowledge / "foi.html").write_text("<h1>FOI</h1><p>Answer requests within 20 working days.</p>")
    report = build_index(knowledge, tmp_path / "i", embedder)
    assert sorted(report.added) == ["breach.pdf", "foi.html", "retention.docx"] and not report.failed
    snap = load_index(tmp_path / "i")
    q = embedder.encode(["How quickly must I report a data breach?"])
    best = snap.chunks[snap.search(q, 1)[0][0][0]]
    assert (best.source, best.page, best.doc_title, best.date) == (
        "breach.pdf",
        2,
        "Data Breach Procedure",
        "2025-01-01",
    )


def test_large_indexes_use_hnsw_and_still_find_the_passage(knowledge_copy: Path, tmp_path: Path, embedder):
    import faiss

    index = tmp_path / "index"
    build_index(knowledge_copy, index, embedder, hnsw_above=5)
    snap = load_index(index)
    assert (
        isinstance(snap.vectors, faiss.IndexHNSWFlat)
        and json.loads((current_build(index) / "manifest.json").read_text())["index_type"] == "hnsw"
    )
    row = 3
    hit = snap.search(embedder.encode([snap.chunks[row].embedding_text()]), 1)[0][0]
    assert hit[0] == row and hit[1] == pytest.approx(1.0, abs=1e-4)


def test_a_refresh_killed_during_embedding_leaves_the_old_index_serving(knowledge_copy: Path, tmp_path: Path, embedder):
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    index = tmp_path / "index"
    first = build_index(knowledge_copy, index, embedder)
    (knowledge_copy / "long.md").write_text(
        "# Long\n" + "\n".join(f"Item {i}: the depot on road {i} opens at {i % 12 + 1} o'clock." for i in range(2000))
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "index", "--knowledge", str(knowledge_copy), "--index", str(index)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in proc.stderr:  # wait until it is embedding, then kill it without warning
            if line.startswith("embedding "):
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    snap = load_index(index)
    assert snap.build_id == first.build_id and "depot" not in " ".join(c.text for c in snap.chunks)
