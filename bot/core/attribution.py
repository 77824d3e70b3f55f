"""Say whose words an answer quotes, and how current they are.

An extractive answer is the documents' own sentences: "There is one more session running on
Wednesday 27 November…" has no year, and its "we" is the council's. So each run of quoted
sentences is put in quotation marks after the document it comes from and its date ("From the
staff bulletin of 18 November 2024: “…” [1]"), and a document older than a set age gets a gentle
line saying the answer may be out of date.

Answer text is parsed as paragraphs: a paragraph made only of "sentences [n]" runs is a
quotation; any other paragraph (the bot's own words) is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache

from bot.core.records import Answer, Citation, Route

STALE_MONTHS = 12
_RUN = re.compile(r"\s*(?P<text>[^\[\]]*?)\s*\[(?P<n>\d{1,3})\]")
# "Staff bulletin, week of 18 November 2024" -> "Staff bulletin": the date is said once, after "of".
_DATE_TAIL = re.compile(r"[\s,–—-]*(?:(?:the\s+)?(?:week|issue|edition|month)\s+)?(?:of|dated|from)?\s*$", re.I)


@dataclass(frozen=True)
class Quote:
    """A run of quoted sentences and the citation they come from."""

    text: str
    citation: Citation


@lru_cache(maxsize=1024)
def long_date(iso: str | None) -> str | None:
    """'2024-11-18' -> '18 November 2024' (None when there is no readable date)."""
    parsed = parse_date(iso)
    return f"{parsed.day} {parsed:%B %Y}" if parsed else None


def parse_date(iso: str | None) -> date | None:
    try:
        return date.fromisoformat(str(iso)[:10]) if iso else None
    except ValueError:
        return None


@lru_cache(maxsize=1024)  # the same few documents are named answer after answer, on the event loop
def source_name(document: str, iso: str | None) -> str:
    """How a sentence names a document: 'the staff bulletin of 18 November 2024',
    'the Use of Generative AI Policy'. Titles in sentence case lose their capital; names keep it."""
    name = " ".join(document.split()) or "the council's documents"
    when = long_date(iso)
    if when and when in name:
        name = _DATE_TAIL.sub("", name.replace(when, "")).strip()
    words = re.findall(r"[^\W\d_]+", name)
    if len(words) > 1 and words[0][1:].islower() and all(w.islower() for w in words[1:]):
        name = name[0].lower() + name[1:]  # "Staff bulletin" is a description; "Use of … Policy" a name
    if not name.lower().startswith(("the ", "our ", "a ", "an ")):
        name = f"the {name}"
    return f"{name} of {when}" if when else name


def quotes(paragraph: str, citations: dict[int, Citation]) -> list[Quote] | None:
    """The runs of a paragraph made only of quoted sentences with markers; None for other text."""
    if not paragraph.rstrip().endswith("]"):  # the last run's marker ends a quotation
        return None
    found: list[Quote] = []
    end = 0
    # Each run must start where the last ended: matched at that position, never searched for
    # (a search from every position of a paragraph of the bot's own words, with no marker to
    # stop it, took time quadratic in its length: 0.4 ms a question on the event loop).
    while (match := _RUN.match(paragraph, end)) is not None:
        if int(match.group("n")) not in citations:
            return None
        found.append(Quote(match.group("text"), citations[int(match.group("n"))]))
        end = match.end()
    return found if found and not paragraph[end:].strip() else None


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def quoted_sentences(answer: Answer) -> Iterator[Quote]:
    """Every quoted run in an answer, in order."""
    by_position = {c.position: c for c in answer.citations}
    for paragraph in paragraphs(answer.text):
        yield from quotes(paragraph, by_position) or []


def _said_by(citation: Citation) -> str:
    return source_name(citation.document or citation.title, citation.date)


def _attributed(runs: list[Quote], lines: list[str], previous: str | None) -> str | None:
    """Add 'From the staff bulletin of 18 November 2024: “…” [1] “…” [2]' to `lines`, one
    paragraph per document in turn; returns the document quoted last."""
    for run in runs:
        who = _said_by(run.citation)
        quoted = f"“{run.text}” [{run.citation.position}]" if run.text else f"[{run.citation.position}]"
        if who == previous and lines:
            lines[-1] += f" {quoted}"
        else:
            lines.append(f"From {who}: {quoted}")
        previous = who
    return previous


def stale_sources(answer: Answer, today: date, months: int = STALE_MONTHS) -> list[str]:
    """Names of the cited documents dated more than `months` before today, oldest first."""
    cutoff_month = today.year * 12 + today.month - 1 - months
    cutoff = date(cutoff_month // 12, cutoff_month % 12 + 1, min(today.day, 28))
    dated = sorted({(d, c.document or c.title) for c in answer.citations if (d := parse_date(c.date)) and d < cutoff})
    return list(dict.fromkeys(source_name(title, d.isoformat()) for d, title in dated))


def attribute(answer: Answer, today: date, stale_after_months: int = STALE_MONTHS) -> Answer:
    """The answer with its quotations attributed and dated, and a line if a source is old."""
    if answer.route is Route.DECLINE or not answer.citations:
        return answer
    by_position = {c.position: c for c in answer.citations}
    out: list[str] = []
    previous = None  # the document the paragraph before quoted, so it is named once
    for paragraph in paragraphs(answer.text):
        runs = quotes(paragraph, by_position)
        if runs:
            previous = _attributed(runs, out, previous)
        else:
            out.append(paragraph)
            previous = None
    old = stale_sources(answer, today, stale_after_months)
    if old:
        names, verb = " and ".join(old), "are" if len(old) > 1 else "is"
        out.append(
            f"Please note: {names} {verb} more than {stale_after_months} months old, so this may be out of date. "
            "Check the intranet for anything newer."
        )
    return replace(answer, text="\n\n".join(out))
