"""Cut documents into section-aware passages small enough for the embedding model."""

from __future__ import annotations

import hashlib

from bot.core.records import Chunk, Document
from bot.core.text import sentences, words

# all-MiniLM-L6-v2 truncates at 256 word pieces; ~1.3 pieces a word leaves room for headings.
MAX_WORDS = 60


def _chunk_id(source: str, section: str, text: str) -> str:
    """Stable across rebuilds: same file, section and text give the same id."""
    return hashlib.sha1(f"{source}\x00{section}\x00{text}".encode()).hexdigest()[:16]


def _split_long(sents: list[str], max_words: int) -> list[str]:
    """A run-on sentence (a table row, a list without stops) is cut so the model sees it all."""
    out: list[str] = []
    for sent in sents:
        tokens = sent.split()
        if len(tokens) <= max_words:
            out.append(sent)
        else:
            out.extend(" ".join(tokens[i : i + max_words]) for i in range(0, len(tokens), max_words))
    return out


def _windows(sents: list[str], max_words: int) -> list[list[str]]:
    """Group sentences into passages of at most max_words (a long sentence stands alone)."""
    groups: list[list[str]] = []
    current: list[str] = []
    count = 0
    for sent in _split_long(sents, max_words):
        n = len(words(sent))
        if current and count + n > max_words:
            groups.append(current)
            current, count = [], 0
        current.append(sent)
        count += n
    if current:
        groups.append(current)
    return groups


def chunk_document(doc: Document, max_words: int = MAX_WORDS) -> list[Chunk]:
    """Passages follow sections; a section longer than max_words is split on sentences."""
    chunks: list[Chunk] = []
    for sec in doc.sections:
        section = " › ".join(sec.headings)
        for group in _windows(sentences(sec.text), max_words):
            text = " ".join(group)
            chunks.append(
                Chunk(
                    id=_chunk_id(doc.source, section, text),
                    source=doc.source,
                    doc_title=doc.title,
                    section=section,
                    text=text,
                    url=doc.url,
                    date=doc.date,
                    page=sec.page,
                    supersedes=doc.meta.get("supersedes"),
                )
            )
    return chunks
