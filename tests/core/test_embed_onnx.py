"""ONNX Runtime must give the answers sentence-transformers gives: same vectors, same order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.compose import make_embedder
from bot.config import Settings
from bot.core.embed import Embedder, MiniLMEmbedder
from bot.core.embed_onnx import OnnxMiniLMEmbedder, export

TEXTS = [
    "Can I paste case notes into ChatGPT?",
    "When is the last employee conference session?",
    "",
    "Ünïcödé, emoji 🙂 and a tab\tin one line",
    "The Information Governance Team must be contacted at the earliest possible opportunity. " * 20,
    "x",
]


@pytest.fixture(scope="module")
def reference() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_the_service_uses_onnx_runtime(embedder: Embedder) -> None:
    assert isinstance(embedder, OnnxMiniLMEmbedder)


def test_vectors_equal_sentence_transformers_including_texts_longer_than_the_model_reads(
    embedder: Embedder, reference: MiniLMEmbedder
) -> None:
    got, want = embedder.encode(TEXTS), reference.encode(TEXTS)
    assert got.shape == want.shape == (len(TEXTS), 384)
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * want).sum(axis=1).min()) > 0.9999


def test_batching_by_length_keeps_each_row_with_its_text(embedder: Embedder) -> None:
    together = embedder.encode(TEXTS)
    alone = np.stack([embedder.encode([t])[0] for t in TEXTS])
    assert float((together * alone).sum(axis=1).min()) > 0.9999
    assert embedder.encode([]).shape == (0, 384)


def test_export_writes_a_verified_model_atomically(tmp_path: Path, reference: MiniLMEmbedder) -> None:
    target = tmp_path / "cache" / "model.onnx"
    export(target)
    assert [p.name for p in target.parent.iterdir()] == ["model.onnx"]  # no partial file left behind
    vectors = OnnxMiniLMEmbedder(target).encode(TEXTS[:2])
    assert float((vectors * reference.encode(TEXTS[:2])).sum(axis=1).min()) > 0.9999


def test_an_unwritable_model_cache_falls_back_to_sentence_transformers(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    chosen = make_embedder(Settings(model_cache_dir=blocker / "models"))
    assert isinstance(chosen, MiniLMEmbedder)
    assert chosen.encode(["still answers"]).shape == (1, 384)
