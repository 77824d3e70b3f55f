"""The evidence for one product decision: should the service embed with an int8 model?

The service embeds with the float model (bot.core.embed_onnx), whose vectors equal
sentence-transformers'. ONNX Runtime can quantise that model to int8 weights in seconds, which
cuts the embedding's CPU by 30-50% (docs/throughput.md). That changes every vector a little,
so it is a quality decision, not a tuning one. This script measures both sides in one run and
writes docs/quantization.md:

- how close the int8 vectors are to the float ones (questions and real passages), for weights
  quantised per tensor and per channel;
- CPU per question at the batch sizes the service forms, and one question alone;
- the held-out evaluation (tests/eval_cases/heldout.jsonl against knowledge/ plus
  tests/eval_corpus, as `python -m bot eval` runs it) with each model building its own index,
  and how many answers change route or first citation.

Run: `.venv/bin/python -m bench.quantized` (about 5 minutes).
"""

from __future__ import annotations

import json
import logging
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.loadgen import ROOT, unique_questions
from bench.run import machine
from bot.config import Settings
from bot.core import embed_onnx
from bot.core.assistant import Assistant
from bot.core.evaluate import evaluate, table, throwaway_index

CORPUS = ROOT / "tests" / "eval_corpus"
CASES = ROOT / "tests" / "eval_cases" / "heldout.jsonl"
OUT = ROOT / "docs" / "quantization.md"
FLOAT = "float32 (the service)"


def quantise(source: Path, target: Path, per_channel: bool) -> Path:
    """ONNX Runtime's dynamic quantisation: int8 weights, activations quantised on the fly."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), per_channel=per_channel, weight_type=QuantType.QInt8)
    return target


def cpu_per_question(embedder, questions: list[str], batch: int) -> float:
    """CPU milliseconds per question (all threads of this process), in batches of `batch`."""
    embedder.encode(questions[:batch])
    start = time.process_time()
    for i in range(0, len(questions), batch):
        embedder.encode(questions[i : i + batch])
    return (time.process_time() - start) / len(questions) * 1000


def single_ms(embedder, questions: list[str]) -> float:
    """Wall milliseconds for one question embedded alone (p50)."""
    times = []
    for q in questions[:60]:
        t = time.perf_counter()
        embedder.encode([q])
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def heldout(embedder, cases: list[dict]) -> tuple[str, list[tuple[str, str]], list[str]]:
    """The evaluation table, each case's (route, first citation) for comparing models, and the
    passages the index holds; the index is built as `python -m bot eval` builds it."""
    snapshot = throwaway_index(ROOT / "knowledge", CORPUS, embedder)
    scores = evaluate(snapshot, embedder, cases)
    answers = Assistant(snapshot, embedder).answer_many([c["question"] for c in cases])
    picks = [(a.route.value, a.citations[0].source if a.citations else "") for a in answers]
    return table(scores), picks, [c.embedding_text() for c in snapshot.chunks]


def main() -> None:
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # quantize_dynamic turns on debug logging
    settings = Settings()
    float_model = embed_onnx.load(settings.model_cache_dir)
    source = embed_onnx.onnx_path(settings.model_cache_dir)
    questions = unique_questions(320)
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    tables, picks = {}, {}
    tables[FLOAT], picks[FLOAT], passages = heldout(float_model, cases)
    probe = questions + [c["question"] for c in cases] + passages
    reference = float_model.encode(probe)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        models = {FLOAT: float_model}
        for label, per_channel in (("int8, per tensor", False), ("int8, per channel", True)):
            path = quantise(source, Path(tmp) / f"{per_channel}.onnx", per_channel)
            models[label] = embed_onnx.OnnxMiniLMEmbedder(path)
            tables[label], picks[label], _ = heldout(models[label], cases)
        for label, model in models.items():
            cos = (model.encode(probe) * reference).sum(axis=1)
            rows.append(
                f"| {label} | {cos.min():.4f} | {cos.mean():.4f} | {cpu_per_question(model, questions, 8):.2f} | "
                f"{cpu_per_question(model, questions, 32):.2f} | {single_ms(model, questions):.1f} |"
            )

    base = picks[FLOAT]
    lines = [
        "# Int8 embeddings: what they would cost in quality, what they would save in CPU",
        "",
        f"`python -m bench.quantized` ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC). "
        + ", ".join(f"{k}: {v}" for k, v in machine().items()),
        "",
        f"Vectors compared with the float model's on {len(probe)} texts: {len(questions)} load-test "
        f"questions, {len(cases)} held-out questions and {len(passages)} passages of knowledge/ and "
        "tests/eval_corpus. "
        "CPU is the whole process's (ONNX Runtime's threads included) per question.",
        "",
        "| model | cosine to float32, min | mean | CPU ms/question, batches of 8 | batches of 32 "
        "| one question alone, ms |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "The service embeds with the float model. What int8 would buy under load, and why it is not used: "
        "docs/throughput.md.",
        "",
        f"## Held-out evaluation ({len(cases)} cases; each model builds its own index)",
        "",
    ]
    for label, text in tables.items():
        changed = sum(a != b for a, b in zip(picks[label], base))
        lines += [f"### {label}", "", "```", text, "```", ""]
        if label != FLOAT:
            lines += [f"Answers whose route or first citation differ from float32's: {changed} of {len(cases)}.", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
