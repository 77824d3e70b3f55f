"""Score answers as bot.core.evaluate does (route, facts, citations, leaks), for the project's own tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any


def norm(s: str | None) -> str:
    return re.sub(r"\s+", " ", s or "").lower()


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def problems(case: dict[str, Any], out: dict[str, Any]) -> list[str]:
    """Everything wrong with one answer; empty when the case passes."""
    found: list[str] = []
    route = out.get("route")
    want = case["route"]
    if want == "not-escalate":
        if route not in ("answer", "decline"):
            found.append(f"route {route} != {want}")
    elif want != "any" and route != want:
        found.append(f"route {route} != {want}")
    text = norm(out.get("text"))
    cites = " ".join(norm(c.get("quote")) + " " + norm(c.get("title")) for c in out.get("citations") or [])
    if want in ("answer", "escalate"):  # an escalation cites the policy and the IG contact too
        for fact in case.get("facts", []):
            alts = fact if isinstance(fact, list) else [fact]
            if not any(norm(a) in text for a in alts):
                found.append(f"missing fact {fact!r}")
        if case.get("cite") and norm(case["cite"]) not in cites:
            found.append(f"missing citation {case['cite']!r}")
    for bad in case.get("forbid", []):
        if norm(bad) in text or norm(bad) in cites:
            found.append(f"leaked {bad!r}")
    return found
