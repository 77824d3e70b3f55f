"""Questions worth offering after an answer: curated ones that the same or nearby sections answer.

A document's owner writes questions for staff in its front matter or sidecar (`questions:`).
Each is answered once per index (`Neighbourhood.build`); only those the documents answer are
kept, placed at the sections their answers cite. After an answer, the questions placed at the
sections it cites come first, then those at nearby sections of the same documents. A question
whose answer is already in the text just shown is never offered, however the person worded the
question just answered ("Why was the Burnley one called off?" is answered by the sentence that
"Why was the Burnley conference session cancelled?" gets): clicking it would say nothing new.
Nor is one worded almost as the question just asked (embedding similarity of PARAPHRASE or more).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.core.records import Answer, Chunk, CuratedQuestion, Route
from bot.core.text import sentences, shorten

TITLE_CHARS = 30  # Teams cuts longer suggested-action titles (measured in the Agents Playground)
# Cosine similarity of all-MiniLM-L6-v2 above which two questions are taken as one reworded:
# "Who should I talk to about AI and personal data?" / "Who do I contact about AI and personal
# data?" score 0.88, while distinct questions about one section reach 0.80 ("When is the last
# employee conference session?" / "Where was the first employee conference session?").
PARAPHRASE = 0.85
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Suggestion:
    title: str  # the button, at most TITLE_CHARS
    question: str  # what a click sends, in full


def button_title(question: str, title: str | None = None) -> str:
    """A button title that fits: the author's, else the question, cut at a word if it must be."""
    text = " ".join((title or question).split())
    if len(text) <= TITLE_CHARS:
        return text
    return shorten(text.rstrip("?"), TITLE_CHARS)


def section_key(chunk: Chunk) -> tuple[str, str]:
    """A section as citations name it: (source, title) without the page."""
    title = f"{chunk.doc_title} – {chunk.section}" if chunk.section else chunk.doc_title
    return chunk.source, title


def _key(source: str, title: str) -> tuple[str, str]:
    return source, re.sub(r", page \d+$", "", title)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


@dataclass(frozen=True)
class Placed:
    suggestion: Suggestion
    sections: frozenset[tuple[str, str]]
    text: str  # what the bot answers to it (to avoid offering the answer just given)


class Neighbourhood:
    """Curated questions, each placed at the sections that answer it."""

    def __init__(self, placed: Sequence[Placed], order: dict[tuple[str, str], int]) -> None:
        self.placed = tuple(placed)
        self._order = order  # a section's position within its document
        # Normalised once, not on every near(): each question, and the sentences its answer quotes.
        self._questions = tuple(_norm(p.suggestion.question) for p in self.placed)
        self._said = tuple(_said(p.text) for p in self.placed)

    @classmethod
    def build(
        cls,
        curated: Iterable[CuratedQuestion],
        chunks: Iterable[Chunk],
        answer_many: Callable[[list[str]], list[Answer]],
    ) -> Neighbourhood:
        """Answer every curated question once (one batch) and keep those the documents answer."""
        order: dict[tuple[str, str], int] = {}
        for chunk in chunks:
            key = section_key(chunk)
            if key not in order:
                order[key] = sum(1 for k in order if k[0] == chunk.source)
        items = list(dict.fromkeys(curated))
        answers = answer_many([q.question for q in items]) if items else []
        placed = [
            Placed(
                Suggestion(button_title(q.question, q.title), q.question),
                frozenset(_key(c.source, c.title) for c in a.citations),
                a.text,
            )
            for q, a in zip(items, answers)
            if a.route is not Route.DECLINE and a.citations
        ]
        return cls(placed, order)

    def _distance(self, placed: Placed, cited: set[tuple[str, str]]) -> int | None:
        """0 for a cited section, 1 + the gap in sections for one nearby; None elsewhere."""
        best = None
        for source, title in placed.sections:
            for c_source, c_title in cited:
                if source != c_source:
                    continue
                if title == c_title:
                    return 0
                here, there = self._order.get((source, title)), self._order.get((c_source, c_title))
                gap = abs(here - there) if here is not None and there is not None else 99
                best = min(best, 1 + gap) if best is not None else 1 + gap
        return best

    def near(
        self,
        answer: Answer,
        asked: Iterable[str] = (),
        limit: int = 2,
        similarity: Callable[[str, list[str]], Sequence[float]] | None = None,
    ) -> list[Suggestion]:
        """Up to `limit` questions about the cited sections or nearby ones, nearest first, none
        already answered by `answer` (the text as shown), asked already (`asked`), or worded like
        the question just asked (the first of `asked`). `similarity(question, texts)` is the
        embedding model's cosine, when there is one (one embedding: the question's)."""
        cited = {_key(c.source, c.title) for c in answer.citations}
        asked = [a for a in asked if a]
        skip = {_norm(a) for a in asked}
        shown = _norm(answer.text)
        ranked = []
        for i, placed in enumerate(self.placed):
            distance = self._distance(placed, cited)
            if distance is None or self._questions[i] in skip:
                continue
            said = self._said[i]
            if said and all(s in shown for s in said):  # it would repeat the answer just given
                continue
            ranked.append((distance, i, placed.suggestion))
        kept = [s for _, _, s in sorted(ranked)]
        if similarity is not None and kept and asked:
            close = similarity(asked[0], [s.question for s in kept])
            kept = [s for s, c in zip(kept, close) if float(c) < PARAPHRASE]
        return kept[:limit]


def _said(text: str) -> tuple[str, ...]:
    """The sentences `text` quotes, normalised (quotes and markers aside): it says nothing new
    after an answer whose normalised text holds every one of them."""
    return tuple(n for n in (_norm(s) for s in sentences(_MARKER.sub("", text))) if n)
