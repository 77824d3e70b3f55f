"""Answer the new part of a follow-up, and never say the same thing twice in a row.

"When is the last employee conference session?" then "and where is it?": the follow-up is
retrieved together with the question before it, so the same passage comes back. What the
person wants now is the place in it. So the kind of answer a follow-up asks for (a place, a
time, a contact, a reason, an amount) is read from its question word, the quoted sentences are
ranked by how well they answer the combined question, and the best one holding such a phrase
is quoted, with the phrase picked out first ("At County Hall in Preston.").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from enum import StrEnum

from bot.core.attribution import paragraphs, quoted_sentences, quotes
from bot.core.records import Answer, Route
from bot.core.text import sentences


class Want(StrEnum):
    PLACE = "place"
    TIME = "time"
    CONTACT = "contact"
    REASON = "reason"
    AMOUNT = "amount"


_WANTS: tuple[tuple[Want, re.Pattern[str]], ...] = tuple(
    (want, re.compile(pattern, re.I))
    for want, pattern in (
        (Want.PLACE, r"\bwhere\b|\bwhat (?:venue|place|location|building)\b|\bwhich (?:venue|building|office|site)\b"),
        (Want.TIME, r"\bwhen\b|\bwhat (?:time|date|day)\b|\bwhich (?:day|date)\b|\bwhat (?:'s|is) the date\b"),
        (Want.REASON, r"\bwhy\b|\bwhat for\b|\bthe reason\b"),
        (Want.AMOUNT, r"\bhow (?:much|many)\b|\bcost\b|\bprice\b"),
        (Want.CONTACT, r"\bwho\b|\bwhom\b|\bcontact\b|\bemail\b|\bwhich team\b"),
    )
)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_NAME_WORD = r"[A-Z][\w'’-]*"
_SPANS: dict[Want, re.Pattern[str]] = {
    # "at County Hall in Preston": a preposition, then capitalised words joined by small ones.
    Want.PLACE: re.compile(rf"\b(?:at|in)\s+(?:the\s+)?{_NAME_WORD}(?:\s+(?:of|in|upon|on)?\s*{_NAME_WORD})*"),
    Want.TIME: re.compile(
        rf"\b(?:(?:on|by|from|until|before)\s+)?(?:(?:{_DAYS}),?\s+)?\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTHS})"
        rf"(?:\s+\d{{4}})?(?:\s+at\s+\d{{1,2}}(?:[.:]\d{{2}})?\s*(?:am|pm))?"
        r"|\b(?:within|after)\s+\d+\s+(?:working\s+)?(?:days|weeks|months)\b"
    ),
    Want.REASON: re.compile(r"\b(?:due to|because(?: of)?|as a result of|owing to|so that)\s+[^.;:]+"),
    Want.AMOUNT: re.compile(
        r"£\s?\d[\d,]*(?:\.\d+)?(?:\s*(?:million|billion|bn|m|k)\b)?|\b\d[\d,]*\s+(?:more\s+)?[a-z]+"
    ),
    Want.CONTACT: re.compile(rf"[\w.+-]+@[\w-]+(?:\.[\w-]+)+\w|\bthe\s+(?:{_NAME_WORD}\s+)+(?:Team|Service|Unit)\b"),
}
_NOT_PLACES = re.compile(rf"^(?:at|in)\s+(?:the\s+)?(?:{_MONTHS}|{_DAYS})\b")


def wanted(follow_up: str) -> Want | None:
    """What kind of answer a follow-up asks for, from its question word; None for "tell me more"."""
    for want, pattern in _WANTS:
        if pattern.search(follow_up):
            return want
    return None


def phrases(sentence: str, want: Want) -> list[str]:
    """The phrases of a sentence that could answer a question of this kind."""
    found = [m.group(0).strip().rstrip(",") for m in _SPANS[want].finditer(sentence)]
    if want is Want.PLACE:
        found = [f for f in found if not _NOT_PLACES.match(f)]
    return found


def _lead(phrase: str, want: Want) -> str:
    if want is Want.CONTACT:
        phrase = f"Contact {phrase}"
    return phrase[:1].upper() + phrase[1:].rstrip(".,;") + "."


def _stem(word: str) -> str:
    return word.lower().rstrip("s")


def without_topic(question: str, headings: Iterable[str]) -> str:
    """The question without the words of the section headings it was answered from.

    Every sentence of a section shares its topic ("employee conferences"), so those words only
    pull the ranking towards whichever sentence repeats them; what tells the sentences apart is
    the rest ("the last session" is the one on 27 November, not the first).
    """
    topic = {_stem(w) for h in headings for w in re.findall(r"[\w'’]+", h)}
    kept = [w for w in question.split() if _stem(re.sub(r"[^\w'’]", "", w)) not in topic]
    return " ".join(kept)


def focus(
    answer: Answer,
    follow_up: str,
    score: Callable[[str, list[str]], Sequence[float]] | None = None,
) -> Answer | None:
    """The answer narrowed to what the follow-up asks for, or None when it asks for nothing
    in particular or no quoted sentence holds it. `score(question, sentences)` ranks sentences
    by how well they answer the combined question (document order without it)."""
    want = wanted(follow_up)
    if want is None or answer.route is not Route.ANSWER:
        return None
    pool = [(s, q.citation) for q in quoted_sentences(answer) for s in sentences(q.text)]
    if not pool:
        return None
    question = without_topic(answer.question or follow_up, (c.title.split(" – ")[-1] for c in answer.citations))
    in_order = [-float(i) for i in range(len(pool))]
    ranks = list(score(question, [s for s, _ in pool])) if score is not None else in_order
    for i in sorted(range(len(pool)), key=lambda i: -ranks[i]):
        sentence, cited = pool[i]
        found = phrases(sentence, want)
        if found:
            by_position = {c.position: c for c in answer.citations}
            notes = [p for p in paragraphs(answer.text) if quotes(p, by_position) is None]  # e.g. what was redacted
            text = "\n\n".join([*notes, _lead(found[0], want), f"{sentence} [1]"])
            return replace(answer, text=text, citations=(replace(cited, position=1, quote=sentence),))
    return None


def nothing_new(answer: Answer, said_before: str) -> bool:
    """True when every sentence the answer quotes was already in the reply before it."""
    mine = [s for q in quoted_sentences(answer) for s in sentences(q.text)]
    return bool(mine) and all(s in said_before for s in mine)


def point_back(answer: Answer) -> Answer:
    """Instead of the same text again: say so, and point to the passage (its citation stays)."""
    marks = " ".join(f"[{c.position}]" for c in answer.citations)
    return replace(
        answer,
        text=(
            "I have nothing to add to my last answer: the documents say no more about this than the "
            f"passage I quoted {marks}. Open the citation to read it in full, or ask me something else."
        ),
    )
