"""Measure answer quality on labelled cases, for hybrid, dense-only and keyword-only retrieval.

Cases follow ../shared/eval/README.md: {"question", "route", "facts", "cite", "forbid"}, plus an
optional "doc" (the file that holds the answer) for recall@k. Scores are what a reader notices:
was the question routed right, are the facts in the answer, is the right passage cited, did a
forbidden (outdated or wrong) string leak, and did retrieval find the right document at all.
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any

from bot.core.assistant import Assistant
from bot.core.embed import Embedder
from bot.core.glossary import Synonyms
from bot.core.index_store import IndexSnapshot, build_index, load_index
from bot.core.retrieve import Mode, Thresholds, search

RECALL_AT = (1, 3, 5)


def throwaway_index(knowledge: Path, extra: Path | None, embedder: Embedder) -> IndexSnapshot:
    """An index of `knowledge` plus the `extra` folder, built in a temporary folder so the real
    index is never touched (README files skipped: they describe a corpus, they are not part of it)."""
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as tmp:
        docs = Path(tmp) / "knowledge"
        ignore = shutil.ignore_patterns("README.md", "readme.md", ".*")
        shutil.copytree(knowledge, docs, ignore=ignore)
        if extra is not None:
            shutil.copytree(extra, docs, ignore=ignore, dirs_exist_ok=True)
        build_index(docs, Path(tmp) / "index", embedder)
        return load_index(Path(tmp) / "index")


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").lower()


@dataclass
class Score:
    """Counts for one retrieval mode; rates are derived so the table shows n as well."""

    mode: Mode
    label: str = ""  # the row's name when it is not just the mode
    cases: int = 0
    route_ok: int = 0
    answer_cases: int = 0
    facts_ok: int = 0
    cite_cases: int = 0
    cite_ok: int = 0
    leaks: int = 0
    recall_cases: int = 0
    found_at: dict[int, int] = field(default_factory=lambda: dict.fromkeys(RECALL_AT, 0))
    failures: list[str] = field(default_factory=list)
    words: list[int] = field(default_factory=list)  # length of each answer to an answerable case

    def rate(self, name: str) -> float:
        num, den = {
            "route": (self.route_ok, self.cases),
            "facts": (self.facts_ok, self.answer_cases),
            "cite": (self.cite_ok, self.cite_cases),
        }[name]
        return num / den if den else 0.0

    def recall(self, k: int) -> float:
        return self.found_at[k] / self.recall_cases if self.recall_cases else 0.0


def route_ok(want: str, got: str) -> bool:
    if want == "not-escalate":
        return got in ("answer", "decline")
    return want == "any" or want == got


def score_answer(case: dict[str, Any], out: dict[str, Any], score: Score) -> None:
    """Add one answer (contract 3 JSON shape) to the counts."""
    score.cases += 1
    want, got = case["route"], out["route"]
    ok = route_ok(want, got)
    score.route_ok += ok
    problems = [] if ok else [f"route {got} != {want}"]
    text = _norm(out["text"])
    cites = " ".join(_norm(c["quote"]) + " " + _norm(c["title"]) for c in out["citations"])
    if want == "answer":
        score.answer_cases += 1
        if got == "answer":
            score.words.append(len(re.sub(r"\[\d+\]", " ", out["text"]).split()))
        missing = [f for f in case.get("facts", []) if not any(_norm(a) in text for a in _alts(f))]
        score.facts_ok += not missing
        problems += [f"missing fact {f!r}" for f in missing]
        if case.get("cite"):
            score.cite_cases += 1
            hit = _norm(case["cite"]) in cites
            score.cite_ok += hit
            problems += [] if hit else [f"missing citation {case['cite']!r}"]
    leaked = [b for b in case.get("forbid", []) if _norm(b) in text or _norm(b) in cites]
    score.leaks += bool(leaked)
    problems += [f"leaked {b!r}" for b in leaked]
    if problems:
        score.failures.append(f"{case.get('id', '?')}: {'; '.join(problems)}")


def _alts(fact: str | list[str]) -> list[str]:
    return fact if isinstance(fact, list) else [fact]


def evaluate(
    snapshot: IndexSnapshot,
    embedder: Embedder,
    cases: list[dict[str, Any]],
    modes: tuple[Mode, ...] = (Mode.HYBRID, Mode.DENSE, Mode.KEYWORD),
    thresholds: Thresholds | None = None,
    knowledge: list[Path] | None = None,
) -> list[Score]:
    """Answer every case once per mode and score it. With `knowledge` (the folders holding
    synonyms.yml and curated.yml) and synonyms in them, one more row shows hybrid without them."""
    thresholds = thresholds or Thresholds.calibrated()
    questions = [c["question"] for c in cases]
    vectors = embedder.encode(questions)
    scores = []
    runs = [(mode, "", False) for mode in modes]
    probe = Assistant(snapshot, embedder, thresholds, knowledge=knowledge)
    if probe.glossary.synonyms.pairs and Mode.HYBRID in modes:
        runs.append((Mode.HYBRID, "hybrid-no-synonyms", True))
    for mode, label, plain in runs:
        score = Score(mode, label)
        assistant = Assistant(snapshot, embedder, thresholds, mode=mode, knowledge=knowledge)
        if plain:
            assistant.glossary = replace(assistant.glossary, synonyms=Synonyms())
        for case, answer in zip(cases, assistant.answer_many(questions)):
            score_answer(case, answer.to_dict(), score)
        for case, hits in zip(cases, search(snapshot, questions, vectors, thresholds, k=max(RECALL_AT), mode=mode)):
            if not case.get("doc"):
                continue
            score.recall_cases += 1
            docs = [PurePosixPath(h.chunk.source).name for h in hits]
            for k in RECALL_AT:
                score.found_at[k] += case["doc"] in docs[:k]
        scores.append(score)
    return scores


def table(scores: list[Score]) -> str:
    """One plain-text table, a row per mode."""
    head = ["mode", "route acc", "fact hits", "citation hits", "leaks"] + [f"recall@{k}" for k in RECALL_AT]
    rows = [head]
    for s in scores:
        rows.append(
            [
                s.label or s.mode.value,
                f"{s.rate('route'):.3f} ({s.route_ok}/{s.cases})",
                f"{s.rate('facts'):.3f} ({s.facts_ok}/{s.answer_cases})",
                f"{s.rate('cite'):.3f} ({s.cite_ok}/{s.cite_cases})",
                str(s.leaks),
            ]
            + [f"{s.recall(k):.3f}" for k in RECALL_AT]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n = scores[0].recall_cases if scores else 0
    lines.append(f"recall@k: the expected document among the top k passages ({n} cases with a 'doc')")
    medians = ", ".join(f"{s.label or s.mode.value} {statistics.median(s.words):g}" for s in scores if s.words)
    lines.append(f"median answer length in words (answerable cases answered): {medians}")
    return "\n".join(lines)
