"""Plain records the core passes around: documents, sections, chunks, citations, answers.

Data only, with their (de)serialising; no behaviour."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Route(StrEnum):
    """What the bot does with a question."""

    ANSWER = "answer"
    ESCALATE = "escalate"
    DECLINE = "decline"


@dataclass(frozen=True)
class Section:
    """A run of text under one heading path, e.g. ("Employee conferences",)."""

    headings: tuple[str, ...]
    text: str
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """One source file as loaded: metadata plus its sections in reading order."""

    source: str  # path relative to the knowledge folder, with forward slashes
    title: str
    sections: tuple[Section, ...]
    content_hash: str
    url: str | None = None
    date: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CuratedQuestion:
    """A question a document's owner offers staff (front matter or sidecar `questions:`)."""

    source: str  # the document it was written for
    question: str  # what a click sends
    title: str | None = None  # a short button title, if the author gave one


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: a few sentences of one section, with a stable id."""

    id: str
    source: str
    doc_title: str
    section: str
    text: str
    url: str | None = None
    date: str | None = None
    page: int | None = None
    supersedes: str | None = None  # front matter: the file name or title this document replaces

    @property
    def title(self) -> str:
        """The name a citation shows: the section, or the document when it has none."""
        return self.section or self.doc_title

    def embedding_text(self) -> str:
        """Headings give short passages the context the embedding model needs."""
        return f"{self.doc_title}. {self.section}: {self.text}" if self.section else self.text


@dataclass(frozen=True)
class Hit:
    """A chunk found for a question.

    `score` is the relevance used to decide whether to answer: the cosine similarity plus a
    calibrated weight times the keyword coverage. The parts are kept for evaluation.
    """

    chunk: Chunk
    score: float
    dense: float = 0.0
    coverage: float = 0.0


@dataclass(frozen=True)
class Citation:
    """A numbered source, matching `[position]` in the answer text."""

    position: int
    title: str
    source: str
    url: str | None
    quote: str
    document: str | None = None  # the cited document's title, for "From the staff bulletin of …"
    date: str | None = None  # the document's date (ISO), so a reader can tell how current it is


CONTRACT_CITATION = ("position", "title", "source", "url", "quote")  # `ask --json`'s citation fields, in order


@dataclass(frozen=True)
class Answer:
    """The bot's reply to one question, independent of any channel."""

    route: Route
    text: str
    citations: tuple[Citation, ...] = ()
    confidence: float = 0.0
    redacted: tuple[str, ...] = ()  # kinds of personal data removed from the question
    question: str = ""  # the question as answered, personal data removed (prefills an escalation)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `python -m bot ask --json`, which other tools read: keep it stable."""
        return {
            "route": self.route.value,
            "text": self.text,
            "citations": [{k: v for k, v in asdict(c).items() if k in CONTRACT_CITATION} for c in self.citations],
            "confidence": round(float(self.confidence), 4),
        }
