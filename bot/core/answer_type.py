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
