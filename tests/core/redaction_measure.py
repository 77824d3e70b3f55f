"""Both directions of redaction error on the personal-data corpus, and the time per question.

    .venv/bin/python -m tests.core.redaction_measure [--corpus FILE] [--repeat N]

- kept: items of personal data (the corpus's "pii" parts) still in the redacted text
  (under-redaction);
- removed: words and numbers that are not personal data but are missing from the redacted text
  (over-redaction), counted over every case, with or without personal data;
- time: mean redact() time per corpus text, after warm-up, without prefetching.

`tests/core/test_privacy.py` asserts that both counts are zero; this module prints them, and can
be pointed at an older checkout (PYTHONPATH) to compare before and after.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.privacy import KINDS, redact, warm_up

CORPUS = Path(__file__).resolve().parents[1] / "data" / "pii_corpus.jsonl"
# A title goes with the name after it ("Mrs Patel" -> "[name]"): losing it is not over-redaction.
TITLES = frozenset(("mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "cllr", "councillor", "sir", "dame"))
_TOKEN = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
_PLACEHOLDER = re.compile("|".join(re.escape(f"[{k}]") for k in KINDS))


def load(path: Path = CORPUS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def survives(part: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(part)}(?!\w)", text) is not None


def _tokens(text: str) -> Counter[str]:
    words = (w.removesuffix("'s").removesuffix("’s") for w in _TOKEN.findall(text))
    # Single letters are skipped: an initial ("Mrs J. Bloggs") goes with the name after it.
    return Counter(w for w in words if w.lower() not in TITLES and (len(w) > 1 or w.isdigit()))


def kept_personal(case: dict, redacted: str) -> list[str]:
    """The case's personal-data items still present after redaction."""
    return [part for part in case["pii"] if survives(part, redacted)]


def removed_words(case: dict, redacted: str) -> list[str]:
    """Words and numbers outside the personal data that redaction removed."""
    rest = case["text"]
    for part in sorted(case["pii"], key=len, reverse=True):
        rest = rest.replace(part, " ")
    before = _tokens(rest)
    after = _tokens(_PLACEHOLDER.sub(" ", redacted))
    return sorted((before - after).elements())


@dataclass
class Errors:
    cases: int = 0
    personal_items: int = 0
    kept: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)


def errors(cases: list[dict]) -> Errors:
    out = Errors(cases=len(cases))
    for case in cases:
        redacted = redact(case["text"]).text
        out.personal_items += len(case["pii"])
        out.kept += [(item, case["text"]) for item in kept_personal(case, redacted)]
        out.removed += [(word, case["text"]) for word in removed_words(case, redacted)]
    return out


def seconds_per_text(texts: list[str], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            redact(text)
        best = min(best, (time.perf_counter() - start) / len(texts))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--verbose", "-v", action="store_true", help="list each kept item and removed word")
    args = parser.parse_args()
    cases = load(args.corpus)
    warm_up()
    found = errors(cases)
    print(f"corpus: {found.cases} texts, {found.personal_items} personal-data items")
    print(f"under-redaction (personal items kept): {len(found.kept)}")
    print(f"over-redaction (other words removed): {len(found.removed)}")
    if args.verbose:
        for item, text in found.kept:
            print(f"  kept    {item!r:24} in {text!r}")
        for word, text in found.removed:
            print(f"  removed {word!r:24} from {text!r}")
    per = seconds_per_text([c["text"] for c in cases], args.repeat)
    print(f"redact(): {per * 1000:.2f} ms per text (best of {args.repeat} passes over the corpus)")


if __name__ == "__main__":
    main()
