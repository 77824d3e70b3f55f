"""Find and redact personal data in a question before it is logged, embedded or stored.

Rules cover the identifiers staff most often paste: emails, UK phone numbers, National
Insurance numbers, NHS numbers (check digit verified), postcodes and dates of birth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
# UK numbers: +44 or 0, then 9-10 digits with optional spaces, dashes or brackets.
_PHONE = re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?|0)(?:[\s-]?\(?\d\)?){9,10}(?!\d)")
# NI number: two letters (not D F I Q U V; second not O; not the never-issued pairs), 6 digits, A-D.
_NINO = re.compile(
    r"\b(?!BG|GB|NK|KN|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.I
)
_NHS = re.compile(r"(?<!\d)(\d{3})[\s-]?(\d{3})[\s-]?(\d{4})(?!\d)")
_POSTCODE = re.compile(r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?)\s?\d[ABD-HJLNP-UW-Z]{2}\b", re.I)
_DOB = re.compile(
    r"\b(?:born(?: on)?|d\.?o\.?b\.?|date of birth)[:\s]*"
    r"(\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)? \w+ \d{4}|\w+ \d{1,2}(?:st|nd|rd|th)?,? \d{4})",
    re.I,
)


def nhs_number_valid(digits: str) -> bool:
    """Modulus 11 check of a 10-digit NHS number."""
    if len(digits) != 10 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1)))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return check != 10 and check == int(digits[9])


@dataclass(frozen=True)
class Redaction:
    """The question with personal data replaced, and which kinds were found."""

    text: str
    kinds: tuple[str, ...]

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def _nhs(match: re.Match[str]) -> bool:
    return nhs_number_valid("".join(match.groups()))


_RULES: list[tuple[str, re.Pattern[str], Callable[[re.Match[str]], bool] | None]] = [
    ("email address", _EMAIL, None),
    ("date of birth", _DOB, None),
    ("NI number", _NINO, None),
    ("NHS number", _NHS, _nhs),
    ("phone number", _PHONE, None),
    ("postcode", _POSTCODE, None),
]


def redact(text: str) -> Redaction:
    """Replace each identifier with a placeholder such as [NHS number]."""
    kinds: list[str] = []
    for kind, pattern, accept in _RULES:

        def repl(m: re.Match[str], kind: str = kind, accept=accept) -> str:
            if accept is not None and not accept(m):
                return m.group(0)
            if kind not in kinds:
                kinds.append(kind)
            return f"[{kind}]"

        text = pattern.sub(repl, text)
    return Redaction(text=text, kinds=tuple(kinds))
