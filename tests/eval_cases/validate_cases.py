"""Check the evaluation cases against the evaluation corpus.

Run: python tests/eval_cases/validate_cases.py   (every *.jsonl here; exit status 1 on any problem)
Every line parses, ids are unique, every fact and cite appears verbatim (case and
whitespace ignored) in the named document, and no forbidden string appears in it.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOC_DIRS = [HERE.parent / "eval_corpus", ROOT / "knowledge"]
KEYS = {"id", "question", "route", "facts", "cite", "forbid", "doc"}
ROUTES = {"answer", "decline", "escalate", "not-escalate", "any"}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):
        text = text.split("---", 2)[2]
    return norm(text)


def find_doc(name: str) -> Path | None:
    for folder in DOC_DIRS:
        if (folder / name).is_file():
            return folder / name
    return None


def check(files: list[Path]) -> list[str]:
    problems: list[str] = []
    ids: set[str] = set()
    questions: dict[str, str] = {}
    for file in files:
        routes: Counter[str] = Counter()
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{file.name}:{n}"
            try:
                case = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: bad JSON ({exc})")
                continue
            if set(case) != KEYS:
                problems.append(f"{where}: keys {sorted(case)}")
                continue
            cid = case["id"]
            where = f"{file.name}:{n} {cid}"
            if cid in ids:
                problems.append(f"{where}: duplicate id")
            ids.add(cid)
            q = norm(case["question"])
            if q in questions:
                problems.append(f"{where}: question repeats {questions[q]}")
            questions[q] = cid
            routes[case["route"]] += 1
            if case["route"] not in ROUTES:
                problems.append(f"{where}: route {case['route']!r}")
            if case["route"] == "answer" and (not case["doc"] or not case["facts"] or not case["cite"]):
                problems.append(f"{where}: answer case needs doc, facts and cite")
            if case["doc"] is None:
                continue
            path = find_doc(case["doc"])
            if path is None:
                problems.append(f"{where}: no document {case['doc']}")
                continue
            text = body(path)
            for fact in case["facts"]:
                options = fact if isinstance(fact, list) else [fact]
                if not any(norm(o) in text for o in options):
                    problems.append(f"{where}: fact {fact!r} not in {case['doc']}")
            if case["cite"] and norm(case["cite"]) not in text:
                problems.append(f"{where}: cite {case['cite']!r} not in {case['doc']}")
            for bad in case["forbid"]:
                if norm(bad) in text:
                    problems.append(f"{where}: forbidden {bad!r} is in {case['doc']} itself")
        print(f"{file.name}: {sum(routes.values())} cases {dict(routes)}")
    return problems


def main() -> int:
    # every set at once, so a question repeated across sets is caught
    files = sorted(HERE.glob("*.jsonl"))
    problems = check(files)
    for p in problems:
        print(p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
