"""The question-to-Answer pipeline: clean, redact, route, retrieve, compose.

This is the one place that knows the order of the steps. It holds the current index snapshot
by reference, so a new index can be swapped in while requests are running.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from bot.core.answer import Extract, citation, extract
from bot.core.answer_cache import AnswerCache
from bot.core.embed import Embedder
from bot.core.index_store import IndexSnapshot
from bot.core.models import Answer, Hit, Route
from bot.core.privacy import names_prefetched, redact
from bot.core.retrieve import Mode, Thresholds, relevant, search
from bot.core.route import escalation_signal
from bot.core.text import clean, sentences

log = logging.getLogger(__name__)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_QUESTION_CHARS = 1000
# What an escalation shows when the question's own words find no policy passage.
POLICY_QUERY = (
    "Using AI technology with personal data: data protection, the Generative AI Policy, contact Information Governance"
)


@dataclass(frozen=True)
class Contacts:
    """Where the bot sends people when it cannot answer."""

    ig_mailbox: str = "informationgovernance@lancashire.gov.uk"
    ig_team: str = "Information Governance Team"


def redaction_notice(kinds: tuple[str, ...]) -> str:
    """Tell the staff member what was removed, without repeating it."""
    return (
        f"Your message contained personal data ({', '.join(kinds)}). I removed it before "
        "processing your question and have not stored it. Please don't paste personal data here."
    )


class Assistant:
    """Answers questions from one index snapshot at a time. Thread-safe for reads."""

    def __init__(
        self,
        snapshot: IndexSnapshot,
        embedder: Embedder,
        thresholds: Thresholds | None = None,
        contacts: Contacts | None = None,
        sentence_cache_size: int = 20_000,
        cache: AnswerCache | None = None,
        mode: Mode = Mode.HYBRID,
    ) -> None:
        self.snapshot = snapshot
        self.mode = mode  # dense-only and keyword-only exist for evaluation
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds.calibrated()
        self.contacts = contacts or Contacts()
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = sentence_cache_size
        self._policy: np.ndarray | None = None
        self.cache = cache if cache is not None else AnswerCache()

    def swap(self, snapshot: IndexSnapshot) -> None:
        """Serve a new index; requests already running finish on the one they started with."""
        self.snapshot = snapshot

    # -- public API -------------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """Answer one question."""
        return self.answer_many([question])[0]

    def answer_many(self, questions: list[str]) -> list[Answer]:
        """Answer several questions with one embedding batch (the costly step)."""
        snapshot = self.snapshot
        results: list[Answer | None] = [None] * len(questions)
        pending: list[tuple[int, str, tuple[str, ...]]] = []
        # Lone UTF-16 surrogates (valid JSON escapes, invalid text) break tokenisers: replace them.
        texts = [clean(_LONE_SURROGATE.sub("\ufffd", raw or "")) for raw in questions]
        # Names are found by a neural tagger: one pass over the whole batch is ~3x cheaper.
        with names_prefetched([t for t in texts if t and len(t) <= MAX_QUESTION_CHARS]):
            for i, text in enumerate(texts):
                if not text:
                    results[i] = self._empty()
                elif len(text) > MAX_QUESTION_CHARS:
                    results[i] = self._too_long(len(text))
                else:
                    red = redact(text)
                    cached = self.cache.get(snapshot.build_id, red.text)
                    if cached is not None:
                        results[i] = self._with_notice(cached, red.kinds)
                    else:
                        pending.append((i, red.text, red.kinds))
        if pending:
            vectors = self.embedder.encode([p[1] for p in pending])
            all_hits = search(snapshot, [p[1] for p in pending], vectors, self.thresholds, mode=self.mode)
            for (i, question, kinds), vector, hits in zip(pending, vectors, all_hits):
                # the classifier reuses the question's vector: no extra embedding
                escalate = escalation_signal(question, vector).escalate
                answer = self._escalate(vector, hits, snapshot) if escalate else self._answer(vector, hits, snapshot)
                answer = replace(answer, question=question)
                self.cache.put(snapshot.build_id, question, answer)
                results[i] = self._with_notice(answer, kinds)
        return [r for r in results if r is not None]

    @staticmethod
    def _with_notice(answer: Answer, kinds: tuple[str, ...]) -> Answer:
        """Tell the staff member what was removed from this message (never the data itself)."""
        text = f"{redaction_notice(kinds)}\n\n{answer.text}" if kinds else answer.text
        return replace(answer, text=text, redacted=kinds)

    # -- routes -----------------------------------------------------------------------------

    def _passages(self, hits: list[Hit], snapshot: IndexSnapshot) -> list[Hit]:
        """Relevant hits widened to their sections, one passage per section."""
        seen: set[tuple[str, str]] = set()
        out = []
        for h in relevant(hits, self.thresholds):
            key = (h.chunk.source, h.chunk.section)
            if key not in seen:
                seen.add(key)
                out.append(replace(h, chunk=snapshot.section_of(h.chunk)))
        return out

    def _answer(self, vector: np.ndarray, hits: list[Hit], snapshot: IndexSnapshot) -> Answer:
        good = self._passages(hits, snapshot)
        if not good:
            best = max((h.score for h in hits), default=0.0)
            return Answer(Route.DECLINE, self._decline_text(), confidence=round(min(1.0, best), 4))
        ex = extract(vector, good, self._sentence_vectors)
        return Answer(Route.ANSWER, ex.text, ex.citations, confidence=round(min(1.0, good[0].score), 4))

    def _escalate(self, vector: np.ndarray, hits: list[Hit], snapshot: IndexSnapshot) -> Answer:
        """Never judge the case: show what the policy says, and hand it to the IG team."""
        c = self.contacts
        passages = self._passages(hits, snapshot)
        if not passages:  # the question's own words found nothing: show the policy itself
            vector = self._policy_vector()
            passages = self._passages(
                search(snapshot, [POLICY_QUERY], vector[None, :], self.thresholds, mode=self.mode)[0], snapshot
            )
        ex = extract(vector, passages, self._sentence_vectors)
        contact = self._contact_passage(snapshot, ex)
        # The bot's own words claim nothing about any document; what the documents ask is
        # quoted below, so each sentence stays with the document that says it.
        body = (
            "This is a question about using AI with personal data, so it is for the "
            f"{c.ig_team} to decide, not me. You can reach them at {c.ig_mailbox}."
        )
        parts = [body]
        if ex.text:
            parts += ["What the council's documents say:", ex.text]
        if contact is not None:
            parts.append(contact.text)
        cites = ex.citations + (contact.citations if contact else ())
        return Answer(Route.ESCALATE, "\n\n".join(parts), cites, confidence=1.0)

    def _policy_vector(self) -> np.ndarray:
        if self._policy is None:
            self._policy = self.embedder.encode([POLICY_QUERY])[0]
        return self._policy

    def _contact_passage(self, snapshot: IndexSnapshot, ex: Extract) -> Extract | None:
        """The sentences that give the IG team's contact details, cited, if not already quoted."""
        mailbox = self.contacts.ig_mailbox.lower()
        if mailbox in ex.text.lower():
            return None
        for chunk in snapshot.chunks:
            if mailbox in chunk.text.lower():
                section = snapshot.section_of(chunk)
                wanted = [
                    s
                    for s in sentences(section.text)
                    if (mailbox in s.lower() or "e-form" in s.lower()) and s not in ex.text
                ]
                position = len(ex.citations) + 1
                cite = citation(position, Hit(section, 1.0), " ".join(wanted))
                return Extract(f"{cite.quote} [{position}]", (cite,))
        return None

    def _decline_text(self) -> str:
        c = self.contacts
        return (
            "I can't find the answer to that in the council documents I have, so I won't guess. "
            "Please check the intranet or ask your line manager. For questions about personal data "
            f"or information governance, contact the {c.ig_team} at {c.ig_mailbox}."
        )

    def _empty(self) -> Answer:
        return Answer(
            Route.DECLINE,
            "Your message was empty. Ask me a question about council policy, for example: "
            '"Who do I contact about AI and personal data?"',
        )

    def _too_long(self, length: int) -> Answer:
        return Answer(
            Route.DECLINE,
            f"Your message is {length:,} characters long; I can take questions of up to "
            f"{MAX_QUESTION_CHARS:,} characters. Please ask a shorter question, and leave out any "
            "personal data.",
        )

    def similarity(self, question: str, texts: list[str]) -> np.ndarray:
        """How close each text is to a (redacted) question: ranks the sentences a follow-up wants."""
        return self._sentence_vectors(texts) @ self.embedder.encode([question])[0]

    # -- sentence embeddings, cached: the same passages are quoted again and again -----------

    def _sentence_vectors(self, texts: list[str]) -> np.ndarray:
        found = {t: self._sentences.get(t) for t in texts}
        missing = [t for t, v in found.items() if v is None]
        if missing:
            for t, v in zip(missing, self.embedder.encode(missing)):
                found[t] = self._sentences[t] = v
            while len(self._sentences) > self._cache_size:
                self._sentences.popitem(last=False)
        return np.stack([found[t] for t in texts])
