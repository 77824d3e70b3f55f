"""Small text helpers shared by loading, chunking and answering."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Characters nobody means to type into a question or a form: format characters (zero-width
# spaces and joiners, soft hyphens, bidirectional controls, tags) are invisible and split an
# identifier so no rule sees it ("07700\u200b900321"); control characters (NUL, ESC, DEL, C1)
# can fake lines or colours in an email or a terminal. Tabs and line breaks are whitespace, below.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_SPACE = re.compile(r"\s+")
_LINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(?:\n\s*)+")
# A sentence ends at . ! ? followed by space and an upper-case letter, digit or quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'‘“(])")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "get",
        "got",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "up",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "tell",
        "know",
    ]
)


def normalise(text: str, single_line: bool = True) -> str:
    """The one clean-up every piece of typed text gets before it is redacted, stored or sent.

    NFKC (full-width "ＱＱ６５４３２１Ａ" reads as "QQ654321A", so the rules see it), invisible
    and control characters removed (NUL, ESC and zero-width ones included), whitespace
    collapsed. A single-line text (a question, a one-line form field) becomes one line: CR and
    LF are spaces, so a field can't fake a line such as "Subject:" in an email. A multi-line one
    keeps its line breaks (CR LF and CR become LF) and at most one blank line in a row.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    if single_line:
        return _SPACE.sub(" ", text).strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    lines = (_LINE_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean(text: str) -> str:
    """A typed question, normalised to one line (see `normalise`)."""
    return normalise(text, single_line=True)


def sentences(text: str) -> list[str]:
    """Split prose into sentences; good enough for policy text, no model needed."""
    return list(_sentences(text))


@lru_cache(maxsize=4096)  # the same passages are split again for every question that quotes them
def _sentences(text: str) -> tuple[str, ...]:
    parts = []
    for block in re.split(r"\n\s*\n|\n(?=[-*•] )", text):
        block = _SPACE.sub(" ", block).strip()
        if block:
            parts.extend(s.strip() for s in _SENTENCE_END.split(block) if s.strip())
    return tuple(parts)


def words(text: str) -> list[str]:
    """Lower-case word tokens, for keyword matching."""
    return _WORD.findall(text.lower().replace("’", "'"))


def content_words(text: str) -> set[str]:
    """Words that carry meaning: tokens minus stopwords."""
    return {w for w in words(text) if w not in STOPWORDS}


def shorten(text: str, limit: int) -> str:
    """Cut at a word boundary and mark the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
