"""Decide whether a question is about using AI with personal data, which the IG team decides.

Two signals, either of which escalates (a missed escalation is worse than a false one):

- transparent rules: the question names an AI technology *and* a kind of personal data;
- a logistic-regression classifier over the question's all-MiniLM-L6-v2 embedding (the vector
  the assistant computes anyway), plus the two rule flags as features. Its weights are a small
  committed JSON file fitted on the train split only (`python -m bot train-router`), and its
  threshold is set from out-of-fold predictions on train so that every train positive escalates.

Two gates keep policy lookups about AI with the documents ("What does the policy say about
AI?" is answered, with the IG contact, not handed over):

- weak personal-data terms ("minutes of", "photos of", "names", "the public", "details of")
  count only in context: beside a strong term, or followed closely by a person ("photos of
  residents", not "photos of our new bridge", "published minutes of a Cabinet meeting");
- a lookup (a question that starts "What…" / "Which…" or asks whether there is guidance, and
  names no personal data at all) is not escalated by the classifier alone;
- writing for the public (a press release, a speech, an announcement, a newsletter) is about a
  subject, not about people's data: a service named as its subject ("the new children's homes",
  "children's social care reform") is no personal data, and such writing naming none is not
  escalated by the classifier alone. People in it still count ("photos of the children at the
  holiday club for the newsletter", "a press release about a child in our care").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from importlib import resources

import numpy as np

from bot.core.privacy import KINDS

AI_TERMS = re.compile(
    r"\b(?:a\.?i\.?|gen ?ai|artificial intelligence|generative|chat ?gpt|gpt-?\d*|openai|co-?pilot|gemini|"
    r"claude|bard|llms?|large language models?|language models?|machine learning|ml models?|chat ?bots?|bots?|"
    r"transcri(?:be|bing|bed|ption|ptions)|speech[- ]to[- ]text|(?:speech|voice) recognition|"
    r"dictation software|facial recognition|face recognition|(?:number|licence) plate recognition|anpr|"
    r"automated decisions?(?:[- ]making)?|automated decision[- ]making|algorithms?|algorithmic|"
    r"predictive (?:analytics|models?|tools?|software|risk)|cameras? that (?:detect|recognise|identify)|"
    r"tag (?:who|people|faces)|risk (?:scoring|prediction|models?)|"
    r"profiling|sentiment analysis|emotion (?:detection|recognition)|computer vision|"
    r"otter(?:\.ai)?|magic notes|grammarly|intelligent recaps?|teams premium|(?:premium|meeting|call) recaps?|"
    r"ai scribes?|scribe|voice clon(?:e|ing)|"
    r"neural networks?|deep learning|ai[- ]powered|ai[- ]driven|ai tools?|ai platforms?|ai note-?takers?|"
    r"speech analytics|smart speakers?|predict(?:s|ing|ion)? (?:which|who|whether)|"
    r"(?:build|train)\w* (?:a|our own) model|models? that predicts?|"
    r"app (?:that|which) (?:listen(?:s|ed)?|record(?:s|ed)?) and "
    r"(?:writes?|wrote|types?|typed)(?: up)?(?: the)? notes)\b",
    re.I,
)
PERSONAL_TERMS = re.compile(
    r"\b(?:personal (?:data|information|details)|personally identifiable|special category|sensitive data|"
    r"residents?'?|service users?'?|clients?'?|customers?'?|citizens?'?|constituents?'?|members? of the public|"
    r"child(?:ren)?'?s?|young people'?s?|pupils?|students?|learners?|families|family|parents?|carers?|care leavers?|"
    r"patients?'?|tenants?'?|households?|applicants?|job applicants?|homeless people|named (?:child|person|people)|"
    r"staff (?:data|records|details|information|members?)|staff member'?s?|colleagues?'?|"
    r"employees?'?s? (?:data|records|details|files)|employee files?|hr (?:data|records|files?)|personnel files?|"
    r"case ?notes?|case ?files?|case records?|case recording|casework|care records?|social care records?|"
    r"records about|individual cases?|"
    r"health (?:data|records|information)|medical|diagnos[ie]s|safeguarding|social care|social work|"
    r"child protection|adoption|fostering|cctv|body[- ]?(?:cam|worn)|biometric|faces?|voices?|"
    r"names? and (?:home )?addresses|(?:home )?addresses|home address|dates? of birth|ni numbers?|nhs numbers?|"
    r"disciplinary|grievance|capability|complaints? from|referrals?|assessments?|care plans?|support plans?|ehcps?|"
    r"education,? health and care plans?|send support|meeting notes|interviews? with|"
    r"(?:older |disabled |vulnerable |homeless )?people(?: who| needing| reporting| at risk)|sickness|"
    r"gp (?:data|records)|deceased|members' |borrowing history|waiting lists?|home visits?|supervision|"
    r"occupational health|(?:one|some|a member|members) of my team|1:1s?(?: with)?|one[- ]to[- ]ones?|"
    r"health (?:stuff|issues?|conditions?|problems?)|sar bundles?|sars\b|"
    r"cvs?|curricul(?:um|a) vitae|candidates?'?|shortlist\w*|job applications?|"
    r"kids'?|(?:birth|death|marriage) certificates?|requesters?'?s?|"
    r"individuals?|named|who is in|"
    r"(?:housing|benefit|blue badge) applications|claimants?|"
    r"people'?s (?:data|information)|their data|criminal|offenders?|offending|victims?|vulnerable|"
    r"exit interviews?|tribunal|arrears|appraisals?|underperform\w*|email activity|absence|postcodes?|"
    r"their circumstances|care homes?|supported living|older people|deprivation of liberty|care proceedings|"
    r"complaints database|subject access|health checks|admissions|fine people|staff sign|redact(?:ing)? names)\b",
    re.I,
)


# The placeholders bot.core.privacy.redact puts where it removed personal data.
_REDACTED = re.compile(r"\[(?:" + "|".join(map(re.escape, KINDS)) + r")\]", re.I)
# Personal data only when about people: "photos of residents", not "photos of our new bridge".
WEAK_PERSONAL_TERMS = re.compile(
    r"\b(?:minutes (?:of|in|from|for)|photos? of|pictures? of|names?|the public|details of)\b", re.I
)
# ...or after someone's: "the requester's name", "people's names", "their names".
_PEOPLE_BEFORE = re.compile(
    r"(?:\b(?:people|staff|residents?|their|his|her|real|users?|clients?|children)|\w's|s')\W+$", re.I
)
_PEOPLE_SOON = re.compile(
    r"^\W*(?:\w+\W+){0,4}?(?:residents?|child(?:ren)?|kids|famil(?:y|ies)|service users?|persons?|people|staff|"
    r"employees?|colleagues?|clients?|tenants?|pupils?|patients?|carers?|victims?|offenders?|named|individuals?|"
    r"members?|applicants?|candidates?|customers?|claimants?|users?|team|attendees|participants|visitors|"
    r"conference|hearing|case|review|strategy|safeguarding|disciplinary|grievance|interview|him|her|them)\b",
    re.I,
)
# Questions that look something up rather than describe a use: answered from the documents.
LOOKUP = re.compile(
    r"^\s*(?:what|which)\b|^\s*(?:is there|are there|has the council|have we got|do we have) (?:an?y? )?|"
    r"\bwhat does (?:the|our|this|that|council'?s?) \w+(?: \w+)? say\b",
    re.I,
)


# Writing meant for the public. "speech" only as a talk, not speech-to-text or speech analytics.
PUBLIC_WRITING = re.compile(
    r"\b(?:press releases?|media (?:releases?|statements?)|web ?pages?|website (?:text|copy|content|pages?)|"
    r"speech(?:es)?(?![- ](?:to|recognition|analytics))|"
    r"(?:public )?announcements?|newsletters?|news (?:stories|story|items?|articles?)|blog posts?|"
    r"social media posts?|posters?|leaflets?|headlines?)\b",
    re.I,
)
# A service or policy area as the subject of what is written: no one's personal data.
TOPIC = re.compile(
    r"\b(?:(?:children|child|young people|adult|adults|older people|family|families|care leavers)(?:['’]s|['’]|s)?\s+"
    r"(?:homes?|services?|centres?|social care|social work|residential care|hubs?)"
    r"(?:\s+(?:reform|system|sector|investment|funding|budget|strategy|plans?|programme|beds?))?"
    r"|social care (?:reform|system|sector|investment|funding|budget|strategy|plans?|programme)"
    r"|school admissions?(?:\s+(?:dates?|deadlines?|process|criteria|arrangements))?)\b",
    re.I,
)


def public_writing(question: str) -> bool:
    """A press release, speech, announcement or newsletter: writing about a subject, for the public."""
    return bool(PUBLIC_WRITING.search(question))


@dataclass(frozen=True)
class RouteSignal:
    """Why the router said what it said: shown in logs and tests, never the question."""

    escalate: bool
    ai_terms: tuple[str, ...]
    personal_terms: tuple[str, ...]
    probability: float | None = None  # the classifier's, when it had the question's vector

    @property
    def rule(self) -> bool:
        return bool(self.ai_terms and self.personal_terms)


@dataclass(frozen=True)
class RouterModel:
    """Logistic regression over [embedding, has_ai_term, has_personal_term], with its threshold."""

    coef: np.ndarray
    intercept: float
    threshold: float
    fitted_on: str = ""

    def probability(self, vector: np.ndarray, ai: bool, personal: bool) -> float:
        z = float(np.dot(self.coef, features(vector, ai, personal))) + self.intercept
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> str:
        return json.dumps(
            {
                "fitted_on": self.fitted_on,
                "threshold": round(self.threshold, 6),
                "intercept": self.intercept,
                "coef": [round(float(x), 6) for x in self.coef],
            }
        )


def features(vector: np.ndarray, ai: bool, personal: bool) -> np.ndarray:
    """The classifier's input: the normalised embedding and the two rule flags."""
    return np.concatenate([np.asarray(vector, dtype=np.float32), np.array([float(ai), float(personal)], np.float32)])


# Product names staff misspell in a hurry ("copliot", "chatgtp"): matched within one slip.
PRODUCTS = ("copilot", "chatgpt", "gemini", "grammarly", "otter.ai", "transcription")


def _misspelt_products(question: str) -> set[str]:
    found = set()
    for word in re.findall(r"[a-z.]{6,}", question.lower()):
        found.update(_near_products(word))
    return found


@lru_cache(maxsize=10_000)  # words of redacted questions only
def _near_products(word: str) -> tuple[str, ...]:
    """Products within one slip of `word`; the cheap upper bounds rule most words out first."""
    near = []
    for product in PRODUCTS:
        matcher = SequenceMatcher(None, word, product)
        if (
            word != product
            and matcher.real_quick_ratio() >= 0.85
            and matcher.quick_ratio() >= 0.85
            and matcher.ratio() >= 0.85
        ):
            near.append(product)
    return tuple(near)


def rule_terms(question: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The AI and personal-data terms the question names (lower case, sorted)."""
    ai = tuple(sorted({m.group(0).lower() for m in AI_TERMS.finditer(question)} | _misspelt_products(question)))
    if public_writing(question):  # "a press release about the new children's homes": a subject, not people
        question = TOPIC.sub(" ", question)
    strong = {m.group(0).lower() for m in PERSONAL_TERMS.finditer(question)}
    # what the redaction took out ("[name]", "[NHS number]") was personal data in the question
    strong |= {m.group(0).lower() for m in _REDACTED.finditer(question)}
    weak = {
        m.group(0).lower()
        for m in WEAK_PERSONAL_TERMS.finditer(question)
        if strong or _PEOPLE_SOON.match(question[m.end() :]) or _PEOPLE_BEFORE.search(question[: m.start()])
    }
    return ai, tuple(sorted(strong | weak))


def is_lookup(question: str) -> bool:
    """A question that asks what the documents say, not whether a planned use is allowed."""
    return bool(LOOKUP.search(question))


MODEL_FILE = "router_model.json"
# The classifier's probability a question naming no personal data must reach to escalate: the
# least confident such positive in tests/data/router_questions.jsonl scores 0.33, the AI
# questions without personal data mostly 0.21-0.29.
NO_PERSONAL_MIN = 0.30


@lru_cache(maxsize=1)
def load_model() -> RouterModel | None:
    """The committed classifier, read once per process; None when it has not been trained."""
    target = resources.files("bot.core").joinpath(MODEL_FILE)
    if not target.is_file():
        return None
    data = json.loads(target.read_text())
    return RouterModel(
        np.asarray(data["coef"], np.float32),
        float(data["intercept"]),
        float(data["threshold"]),
        data.get("fitted_on", ""),
    )


def escalation_signal(question: str, vector: np.ndarray | None = None, model: RouterModel | None = None) -> RouteSignal:
    """Escalate when the rules fire, or when the classifier (given the question's vector) says so."""
    ai, personal = rule_terms(question)
    rule = bool(ai and personal)
    model = model or (load_model() if vector is not None else None)
    p = model.probability(vector, bool(ai), bool(personal)) if model is not None and vector is not None else None
    # A question naming no personal data at all needs the classifier to be surer, and a lookup or
    # writing for the public naming none is the documents' to answer, whatever the classifier says.
    needed = (model.threshold if personal else max(model.threshold, NO_PERSONAL_MIN)) if model else 1.0
    documents = (is_lookup(question) or public_writing(question)) and not personal
    classifier = p is not None and p >= needed and not documents
    return RouteSignal(
        escalate=rule or classifier,
        ai_terms=ai,
        personal_terms=personal,
        probability=None if p is None else round(p, 4),
    )
