"""Which documents have been replaced, so that retrieval never quotes them.

Two ways to say it, both explicit:

- front matter `supersedes: <file name or title>` on the newer document;
- a statement in the newer document's text: "This version supersedes version 4 (2023)",
  "It replaces the Information Security Policy version 1.4 of June 2022", "They replace the
  2024 thresholds". The statement names the older one by its version or year; it counts only
  for an older document of the same family (the title without years and versions), or one
  whose family title the statement spells out.

Issues of one series (staff bulletins: same family title, different dates) are not replaced
wholesale; retrieval drops an older issue's passage only when a newer issue says the same
kind of thing (see retrieve.py).

A replaced document is quoted only when the question names it: "under the 2023 expenses
policy", "in version 1 of the hybrid policy", "the old travel policy". Staff still need the old
rules (a claim for a journey made before the change is paid at the old rate); the answer then
says which document replaced it (assistant.py).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.core.records import Chunk
from bot.core.text import sentences, words

_STATEMENT = re.compile(r"\b(?:replaces|replace|supersedes|supersede)\b", re.I)
_VERSION = re.compile(r"\bversion (\d+(?:\.\d+)?)(?![.\d]*\d)", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "version", "week", "of", "the", "and", "v",
}  # fmt: skip


@dataclass(frozen=True)
class Doc:
    source: str
    title: str
    date: str
    text: str
    supersedes: str | None


@lru_cache(maxsize=4096)
def family(title: str) -> frozenset[str]:
    """A title's words without years, versions, dates and filler: what stays from issue to issue.
    Cached: every question compares its words with every document title's (unheld_version)."""
    return frozenset(w for w in words(title) if not w.isdigit() and w not in _MONTHS and not re.fullmatch(r"\d+\w*", w))


def _docs(chunks: tuple[Chunk, ...] | list[Chunk]) -> list[Doc]:
    by_source: dict[str, list[Chunk]] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    return [
        Doc(src, cs[0].doc_title, str(cs[0].date or ""), " ".join(c.text for c in cs), cs[0].supersedes)
        for src, cs in by_source.items()
    ]


def _versions(doc: Doc) -> set[str]:
    return set(_VERSION.findall(doc.title)) or set(_VERSION.findall(doc.text[:400]))


def _years(doc: Doc) -> set[str]:
    return set(_YEAR.findall(doc.title)) | ({doc.date[:4]} if doc.date else set())


def _named_by(statement: str, newer: Doc, older: Doc) -> bool:
    """Whether a replaces/supersedes statement in `newer` points at `older`."""
    said_versions = set(_VERSION.findall(statement))
    said_years = set(_YEAR.findall(statement)) - _years(newer)
    by_mark = bool(said_versions & _versions(older)) or (not said_versions and bool(said_years & _years(older)))
    if not by_mark:
        return False
    fam_new, fam_old = family(newer.title), family(older.title)
    overlap = len(fam_new & fam_old) / max(len(fam_new | fam_old), 1)
    spelled = bool(fam_old) and fam_old <= set(words(statement))
    return overlap >= 0.5 or spelled


def replaced_by(chunks: tuple[Chunk, ...] | list[Chunk]) -> dict[str, str]:
    """Each replaced document's source, mapped to the source of a document that replaces it."""
    docs = _docs(chunks)
    gone: dict[str, str] = {}
    for newer in docs:
        if newer.supersedes:
            target = newer.supersedes.strip().lower()
            for d in docs:
                if d is not newer and target in (d.source.lower(), d.title.lower()):
                    gone.setdefault(d.source, newer.source)
        for statement in (s for s in sentences(newer.text) if _STATEMENT.search(s)):
            for older in docs:
                if older is newer or (older.date and newer.date and older.date >= newer.date):
                    continue
                if _named_by(statement, newer, older):
                    gone.setdefault(older.source, newer.source)
    return gone


# "the old expenses policy", "the previous version": an earlier-version word before a word
# naming a document. "my old car" or "the original receipt" name no document.
_EARLIER = re.compile(
    r"\b(?:old|older|previous|former|original|earlier|first|superseded|last year'?s)\b"
    r"(?:\s+[\w-]+){0,3}?\s+(version|policy|standard|rules|thresholds|procedure|guidance|[\w-]+ policy)\b",
    re.I,
)
_DOCUMENT_WORDS = frozenset({"version", "policy", "standard", "rules", "thresholds", "procedure", "guidance"})


def documents(chunks: tuple[Chunk, ...] | list[Chunk], sources: Collection[str]) -> list[Doc]:
    """The documents of these sources, with their titles, dates and versions (for named_past)."""
    return [d for d in _docs(chunks) if d.source in sources]


def named_past(question: str, replaced: Sequence[Doc]) -> frozenset[str]:
    """The replaced documents that the question asks about by name: a year or version of theirs
    in a question that also names them (a word of their title, or else a word such as
    "policy"), or "old", "previous" and the like before a word of their title. Nothing else
    brings a replaced document back."""
    if not replaced:
        return frozenset()
    asked = set(words(question))
    years = set(_YEAR.findall(question))
    versions = set(_VERSION.findall(question))
    earlier = _EARLIER.search(question)
    if not (years or versions or earlier):
        return frozenset()
    titled = [d for d in replaced if (family(d.title) - _DOCUMENT_WORDS) & asked]  # "policy" alone names none
    # a title word narrows it down ("2023 expenses policy"); without one, a year or version next
    # to a document word ("the 2022 policy") still counts, "old" alone does not
    candidates = titled or (replaced if asked & _DOCUMENT_WORDS else [])
    named = set()
    for doc in candidates:
        if (years & _years(doc)) or (versions & _versions(doc)) or (earlier and doc in titled):
            named.add(doc.source)
    return frozenset(named)


# A year that dates a document ("the 2023 version", "2023 Generative AI policy", "the policy
# from 2023"), not any year ("journeys in 2026" asks about journeys, not a 2026 policy).
_DOC_WORD = r"(?:version|edition|policy|standard|rules|thresholds|procedure|guidance|bulletin)"
_YEAR_OF_DOCUMENT = re.compile(
    rf"\b((?:19|20)\d{{2}})(?:\s+(?!(?:under|in|for|on|at|by|of|with)\b)[\w'-]+){{0,3}}?\s+{_DOC_WORD}\b|\b{_DOC_WORD}\s+(?:of|from|in)\s+((?:19|20)\d{{2}})\b",
    re.I,
)


@dataclass(frozen=True)
class Unheld:
    """A version the question asks about that no document held here is: "the 2023 version"."""

    mark: str  # how the question named it: "the 2023 version", "version 1", "an earlier version"


def unheld_version(question: str, held: Sequence[Doc]) -> Unheld | None:
    """The version a question asks about when none of the documents held is it: "What did the
    old 2023 version of the Generative AI policy say?" over a 2024 bulletin. Quoting the 2024
    text as if it were the 2023 one would pass one off as the other, so the answer must say
    what it holds. A year or version held by a document the question names (or, naming none,
    by any document) is held; "old" or "previous" alone is never held here, since a replaced
    document that it names is found by `named_past` first."""
    asked = set(words(question))
    years = {m.group(1) or m.group(2) for m in _YEAR_OF_DOCUMENT.finditer(question)}
    versions = set(_VERSION.findall(question))
    earlier = _EARLIER.search(question)
    if not (years or versions or earlier):
        return None
    titled = [d for d in held if (family(d.title) - _DOCUMENT_WORDS) & asked] or list(held)
    held_years = set().union(*(_years(d) for d in titled)) if titled else set()
    held_versions = set().union(*(_versions(d) for d in titled)) if titled else set()
    missing_years = sorted(years - held_years)
    missing_versions = sorted(versions - held_versions)
    if missing_versions:
        return Unheld(f"version {missing_versions[0]}")
    if missing_years:
        return Unheld(f"the {missing_years[0]} version")
    if earlier and not years and not versions:
        return Unheld("an earlier version")
    return None
