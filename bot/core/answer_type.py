"""What kind of fact a question asks for, and whether a sentence holds one.

"When…" wants a date or a time, "how much…" an amount of money, "who…" or "how do I contact…"
a person, team, mailbox or number, "where…" a place, system or form, "how long / how often…"
a period. A sentence that has the asked-for kind of fact is a better answer than a closer
paraphrase without one; a passage with no such sentence is a reason to doubt the passage.
"""

from __future__ import annotations

import re
from enum import StrEnum


class AnswerType(StrEnum):
    DATE = "date"
    MONEY = "money"
    CONTACT = "contact"
    PLACE = "place"
    PERIOD = "period"
    NUMBER = "number"


# First match wins: "how long do I have to appeal" is a period, not a contact.
_QUESTION = [
    (
        AnswerType.MONEY,
        [
            r"\bhow much\b(?! (?:notice|time|of my time|longer|leave|holiday|data|extra))",
            r"\bwhat(?:'s| is) the (?:rate|cost|allowance|price|maximum|limit)\b",
            r"\b(?:cost|costs|rate|allowance|price|per mile|per night|pay for|paid|claim for)\b",
        ],
    ),
    (
        AnswerType.PERIOD,
        [
            r"\bhow (?:long|often|soon|quickly|far (?:ahead|in advance)|frequently)\b",
            r"\bhow much (?:notice|time)\b",
            r"\bhow many (?:days|weeks|months|years|hours|minutes)\b",
            r"\b(?:deadline|time limit|timescale|window|after how|by when)\b",
        ],
    ),
    (AnswerType.DATE, [r"\bwhen\b", r"\bwhat (?:date|day|time)\b", r"\bwhich (?:dates?|day)\b", r"\bclosing date\b"]),
    (
        AnswerType.CONTACT,
        [
            r"\b(?:who|whom|contact|mailbox|hotline|extension|ring)\b",
            r"\be-?mail address\b",
            r"\b(?:phone|which) number\b",
        ],
    ),
    (AnswerType.PLACE, [r"\bwhere\b", r"\bwhich (?:app|system|form|site|building|folder)\b", r"\bwhat form\b"]),
    (AnswerType.NUMBER, [r"\bhow many\b", r"\bwhat (?:percentage|proportion)\b", r"\bminimum number\b"]),
]
_QUESTION_RE = [(t, re.compile("|".join(p), re.I)) for t, p in _QUESTION]

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_UNIT = r"(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?)"
_FACT = {
    AnswerType.DATE: [
        rf"\b\d{{1,2}} {_MONTH}\b",
        rf"\b{_MONTH}\b",
        rf"\b{_DAY}s?\b",
        r"\b\d{1,2}(?:[.:]\d{2})? ?(?:am|pm)\b",
        r"\bnoon\b",
        r"\bevery (?:week|month|year|quarter)\b",
    ],
    AnswerType.MONEY: [
        r"£ ?\d",
        r"\b\d+(?:\.\d+)?p\b",
        r"\b(?:free of charge|not pay|never claimable|never reimbursed|per cent)\b",
    ],
    AnswerType.CONTACT: [
        r"[\w.+-]+@[\w-]+\.[\w.]+",
        r"\b0\d{3,4} ?\d{3} ?\d{3,4}\b",
        r"\bextension \d+",
        r"\b(?:Team|Officer|Manager|Service|Services|Desk|Director|Partner|helpdesk|Hub|Ombudsman)\b",
        r"\b(?:Head of \w+|buddy|line manager|administrators?)\b",
    ],
    AnswerType.PLACE: [
        r"\b(?:County Hall|app|[Pp]ortal|SharePoint|OneDrive|Teams|ESS|Learning Zone|intranet|[Rr]egister)\b",
        r"\b(?:form|calendar|log|notice board|consoles?|website|system|queue|drawer|locker|office|Archives)\b",
        r"@",
    ],
    AnswerType.PERIOD: [
        rf"\b\d+(?:,\d{{3}})? ?(?:calendar |working |consecutive )?{_UNIT}",
        rf"\b(?:one|two|three|four|five|six|seven|eight|ten|twelve) (?:calendar |working |further )?{_UNIT}",
        r"\bevery (?:day|week|working day|month|quarter|year)\b",
        r"\b(?:monthly|annually|quarterly|weekly|daily|permanently|no longer expire|twice the length)\b",
        r"\b\d+ ?(?:am|pm)\b",
        rf"\b\d{{1,2}} {_MONTH}\b",
    ],
    AnswerType.NUMBER: [r"\b\d+(?:[.,]\d+)?\b", r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b"],
}
_FACT_RE = {t: re.compile("|".join(p)) for t, p in _FACT.items()}


def asked(question: str) -> AnswerType | None:
    """The kind of fact the question wants, if it names one."""
    for kind, pattern in _QUESTION_RE:
        if pattern.search(question):
            return kind
    return None


def has(kind: AnswerType | None, sentence: str) -> bool:
    """Whether the sentence holds a fact of that kind (always true when no kind is asked)."""
    if kind is None:
        return True
    return bool(_FACT_RE[kind].search(sentence))


class Detail(StrEnum):
    """A detail finer than an AnswerType that a passage either gives or does not: a date is not
    a clock time, a team is not a phone number. Asked for and missing from the best passage, it
    marks a near miss ("What time does the County Hall session start?" over a bulletin that gives
    the day and the place but no time), which retrieval scores alone cannot tell from an answer."""

    CLOCK = "clock time"
    PHONE = "phone number"
    ADDRESS = "postal address"
    PERSON = "named person"


_DETAIL_ASKED = {
    Detail.CLOCK: (
        r"\bwhat time\b|\b(?:opening|closing|start|finish|end) (?:times?|hours?)\b|\bopen (?:till|until)\b"
        r"|\b(?:does|do|will|is|are)\b[^?.!]{0,60}\b(?:start|finish|begin|end|open|close|kick off)\b"
    ),
    Detail.PHONE: (
        r"\b(?:phone|telephone|mobile|contact|helpline) (?:number|no\.?)\b|\bnumber (?:for|to call|to ring)\b"
    ),
    Detail.ADDRESS: r"(?<!e-)(?<!email )(?<!e-mail )\baddress (?:of|for)\b|\bwhat(?:'s| is) the address\b|\bpostcode\b",
    Detail.PERSON: (
        r"\bwho (?:is|are|was|were|runs|leads|heads|chairs|manages)\b"
        r"(?! (?:responsible|eligible|allowed|able|entitled))"
        r"|\b(?:name of|head of|chief executive|speakers?|keynote|presenters?)\b"
    ),
}
_DETAIL_ASKED_RE = {d: re.compile(p, re.I) for d, p in _DETAIL_ASKED.items()}
_DETAIL_GIVEN = {
    Detail.CLOCK: r"\b\d{1,2}(?:[.:]\d{2})? ?(?:am|pm)\b|\b\d{1,2}[.:]\d{2}\b|\b(?:noon|midday|midnight|o'clock)\b",
    Detail.PHONE: r"\b0\d{2,4}[\s-]?\d{3}[\s-]?\d{3,4}\b|\bextension \d+|\+44",
    Detail.ADDRESS: r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b\d+ [A-Z][a-z]+ (?:Road|Street|Lane|Avenue|Way|Drive)\b",
    Detail.PERSON: (
        r"\b(?:Mr|Mrs|Ms|Dr|Cllr|Councillor|Professor)\.? [A-Z]|\b[A-Z][a-z]+ [A-Z][a-z]+, (?:our |the )?[A-Z]"
    ),
}
_DETAIL_GIVEN_RE = {d: re.compile(p) for d, p in _DETAIL_GIVEN.items()}


def asked_detail(question: str) -> Detail | None:
    """The fine detail the question wants, if it names one."""
    for detail, pattern in _DETAIL_ASKED_RE.items():
        if pattern.search(question):
            return detail
    return None


def gives(detail: Detail, text: str) -> bool:
    """Whether a text holds that detail."""
    return bool(_DETAIL_GIVEN_RE[detail].search(text))
