"""Tell a follow-up from a question of its own, answer the new part of a follow-up, and never
say the same thing twice in a row.

A message leans on the one before only when it cannot stand alone (`leans_on_previous`): it opens
like a continuation ("and where is it?", "what about part-time staff?") with little of its own,
or points back with a pronoun ("why was that?") and has at most two words of its own. "Is there
still going to be a session in Burnley?" stands alone: an existential "is there" points at
nothing, and it names its own subject.

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

# Words that open a continuation of the last question.
_OPENER = re.compile(
    r"^(?:and|also|but|so|then|plus|or|what about|how about|what if|same for|same with|what else|anything else|"
    r"and for|and what about|is that|was that|does that|did that)\b",
    re.I,
)
# "What about X" and its kin name a new subject X for the same question.
_SUBJECT_OPENER = re.compile(
    r"^(?:and\s+)?(?:what about|how about|same for|same with|and for|what if|is that (?:the same |true )?for)\s+(.+)$",
    re.I,
)
_POINTERS = frozenset(
    re.findall(r"\S+", "it its it's that that's this those these they them their theirs he she him her his there one")
)
# "is there", "are there", "there is", "will there be": existential, pointing at nothing; nor
# does "one of the conferences".
_EXISTENTIAL = re.compile(
    r"\bones? of\b|\b(?:is|are|was|were|will|would|could|can|might|should|has|have|isn't|aren't|wasn't|won't)\s+there\b"
    r"|\bthere\s*(?:is|are|was|were|will|'s|’s|has|have|had|isn't|aren't|wasn't|won't|might|may|should|could|would)\b",
    re.I,
)
# Words that carry no subject of their own: question words, auxiliaries, pronouns, fillers.
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\S+",
        """
    a an the and or but so then also plus of to in on at by for from with about into over under after before as
    what whats which who whom whose when where why how whether if is are was were be been being am do does did
    done have has had having can could will would shall should may might must i me my mine we us our you your
    yours it its it's that thats that's this these those they them their he she him her his there one ones same
    not no yes any anything else some more less much many all each every other another just only still even
    too very really please ok okay then than s t don't doesn't isn't aren't wasn't can't won't didn't i'm
    get got go going gone need needs want tell know say said mean means happen happens happened does
    off up out down
    """,
    )
)
LEAN_OWN_WORDS = 2  # a pointer plus at most this many words of its own leans on the last question
OPENER_OWN_WORDS = 4  # an opener ("and", "what about") plus at most this many
LEAN_MAX_WORDS = 12


def own_words(question: str) -> list[str]:
    """The words of a message that name something: not question words, pronouns or auxiliaries."""
    return [w for w in re.findall(r"[a-z0-9]+(?:['’][a-z]+)?", question.lower()) if w not in _FUNCTION_WORDS]


def leans_on_previous(question: str) -> bool:
    """True when a message cannot stand alone: an opener ("and…", "what about…") with little of
    its own, or a pronoun pointing back with at most LEAN_OWN_WORDS words of its own."""
    text = " ".join(question.split())
    words = text.split()
    if not words or len(words) > LEAN_MAX_WORDS:
        return False
    own = own_words(text)
    if _OPENER.match(text):
        return len(own) <= OPENER_OWN_WORDS
    pointing = [w for w in re.findall(r"[a-z]+(?:['’][a-z]+)?", _EXISTENTIAL.sub(" ", text.lower())) if w in _POINTERS]
    return bool(pointing) and len(own) <= LEAN_OWN_WORDS


def new_subject(follow_up: str) -> str | None:
    """What a "what about X?" follow-up asks about instead ("part-time staff"); None for others."""
    m = _SUBJECT_OPENER.match(" ".join(follow_up.split()))
    return m.group(1).strip(" ?.!") if m else None


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


def not_covered(answer: Answer, follow_up: str) -> Answer | None:
    """When none of a follow-up's own words is in the passages quoted for it ("what about
    part-time staff?" after a question about the conferences), the documents don't say: a reply
    that says so and points at the passage it has (citation kept), instead of quoting it again.
    `follow_up` must be the redacted message: its subject is repeated back. None when covered.

    The route is decline: the person's question is one the documents don't answer, and that is
    what the IG report's declined questions are for (bot/report/compute.py)."""
    if answer.route is not Route.ANSWER or not answer.citations:
        return None
    subject = new_subject(follow_up)
    words = own_words(subject if subject is not None else follow_up)
    if not words:
        return None
    # the section's heading counts ("what about the conferences?"), the document's title does not
    cited = " ".join(f"{c.title.split(' – ')[-1]} {c.quote}" for c in answer.citations)
    found = {_stem(w) for w in re.findall(r"[a-z0-9]+", cited.lower())}
    if any(_stem(w) in found for part in words for w in re.findall(r"[a-z0-9]+", part)):
        return None
    first = answer.citations[0]
    section = first.title.split(" – ")[-1]
    about = f"anything about {subject}" if subject else "anything about that"
    return replace(
        answer,
        route=Route.DECLINE,
        text=(
            f"The documents I have don't say {about}. The nearest passage I found is the one on {section} [1]: "
            "open the citation to read it in full, or check the intranet or ask your line manager."
        ),
        citations=(replace(first, position=1),),
    )


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
