"""Decide whether a question is about using AI with personal data, which the IG team decides.

Transparent rules: a question escalates when it names an AI technology and a kind of personal
data. The rules err towards escalating: a missed escalation is worse than a false one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

AI_TERMS = re.compile(
    r"\b(?:a\.?i\.?|gen ?ai|artificial intelligence|generative|chat ?gpt|gpt-?\d*|openai|co-?pilot|gemini|"
    r"claude|bard|llms?|large language models?|language models?|machine learning|ml models?|chat ?bots?|"
    r"transcri(?:be|bing|bed|ption|ptions)|speech[- ]to[- ]text|facial recognition|face recognition|"
    r"automated decisions?(?:[- ]making)?|algorithms?|predictive (?:analytics|models?)|otter(?:\.ai)?|"
    r"magic notes|neural networks?|deep learning|ai[- ]powered|ai tools?)\b",
    re.I,
)
PERSONAL_TERMS = re.compile(
    r"\b(?:personal (?:data|information|details)|personally identifiable|special category|sensitive data|"
    r"residents?'?|service users?'?|clients?'?|customers?'?|citizens?'?|members? of the public|"
    r"child(?:ren)?'?s?|young people|pupils?|students?|families|family|parents?|carers?|"
    r"patients?'?|tenants?'?|staff (?:data|records|details|information)|employees?'? (?:data|records|details)|"
    r"hr (?:data|records|files)|case ?notes?|case files?|case records?|care records?|records about|"
    r"health (?:data|records|information)|medical|safeguarding|social care|social work|child protection|"
    r"adoption|fostering|cctv|body[- ]?cam|biometric|names? and addresses|addresses|dates? of birth|"
    r"ni numbers?|nhs numbers?|disciplinary|grievance|complaints? from|referrals?|assessments? of|"
    r"minutes of|meeting notes|interviews? with|people'?s (?:data|information)|their data|"
    r"criminal|offenders?|victims?|vulnerable)\b",
    re.I,
)


@dataclass(frozen=True)
class RouteSignal:
    """Why the router said what it said: shown in logs and tests, never the question."""

    escalate: bool
    ai_terms: tuple[str, ...]
    personal_terms: tuple[str, ...]


def escalation_signal(question: str) -> RouteSignal:
    """Escalate when the question names AI and a kind of personal data."""
    ai = tuple(sorted({m.group(0).lower() for m in AI_TERMS.finditer(question)}))
    personal = tuple(sorted({m.group(0).lower() for m in PERSONAL_TERMS.finditer(question)}))
    return RouteSignal(escalate=bool(ai and personal), ai_terms=ai, personal_terms=personal)
