"""The question-to-Answer pipeline: clean, redact, route, retrieve, compose.

This is the one place that knows the order of the steps. It holds the current index snapshot
by reference, so a new index can be swapped in while requests are running.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bot.core.answer import Extract, citation, extract
from bot.core.answer_cache import AnswerCache
from bot.core.answer_type import asked, asked_detail, gives
from bot.core.background import Background, bank
from bot.core.decide import DecisionModel, Features, committed, inputs
from bot.core.embed import Embedder
from bot.core.escalation_classifier import escalation_signal
from bot.core.glossary import CuratedAnswer, Glossary, glossary_stamp
from bot.core.hostile import gives_orders
from bot.core.index_store import IndexSnapshot
from bot.core.privacy import names_prefetched, redact
from bot.core.records import Answer, Hit, Route
from bot.core.retrieve import Mode, Thresholds, asked_about_replaced, held_documents, relevant, replacements, search
from bot.core.supersede import Unheld, unheld_version
from bot.core.text import clean, sentences

log = logging.getLogger(__name__)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

MAX_QUESTION_CHARS = 1000
QUESTION_VECTORS = 1024  # recent questions' vectors kept (the suggestions ask right after the answer)
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
        decision: DecisionModel | None = None,
        knowledge: list[Path] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.mode = mode  # dense-only and keyword-only exist for evaluation
        self.embedder = embedder
        self.thresholds = thresholds or Thresholds.calibrated()
        self.decision = decision or committed()
        self.contacts = contacts or Contacts()
        self._sentences: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = sentence_cache_size
        # The vectors of the questions answered last, by their redacted text: the suggestions'
        # paraphrase check and a follow-up's sentence ranking embed that same text again otherwise.
        self._questions: OrderedDict[str, np.ndarray] = OrderedDict()
        self._questions_lock = threading.Lock()
        self._policy: np.ndarray | None = None
        self._bank_vectors: np.ndarray | None = None
        self.cache = cache if cache is not None else AnswerCache()
        self.knowledge = knowledge or []  # where synonyms.yml and curated.yml are read from
        self._glossary_stamp: tuple = ()
        self._glossary_version = 0
        self.glossary = self._read_glossary(Glossary())
        self.background(snapshot)  # before the first question, not during it

    def swap(self, snapshot: IndexSnapshot) -> None:
        """Serve a new index; requests already running finish on the one they started with.
        The synonyms and curated answers are read again: a change to them is what built it."""
        self.glossary = self._read_glossary(self.glossary)
        self.background(snapshot)  # before the first question on it, not during it
        self.snapshot = snapshot

    def _read_glossary(self, current: Glossary) -> Glossary:
        self._glossary_stamp = glossary_stamp(self.knowledge)
        try:
            g = Glossary.load(self.knowledge)
        except (OSError, ValueError) as exc:  # a typo must not stop the bot: keep the last good one
            log.warning("synonyms or curated answers not reloaded: %s", exc)
            return current
        self._glossary_version += 1  # cached answers were given with the old wording rules
        return replace(g, curated=g.curated.embedded(self.embedder.encode))

    def _cache_key(self, snapshot: IndexSnapshot) -> str:
        return f"{snapshot.build_id}+glossary{self._glossary_version}"

    def _fresh_glossary(self) -> Glossary:
        """The glossary, read again if either file changed since (two stat calls per batch)."""
        if self.knowledge and glossary_stamp(self.knowledge) != self._glossary_stamp:
            self.glossary = self._read_glossary(self.glossary)
        return self.glossary

    # -- public API -------------------------------------------------------------------------

    def answer(self, question: str) -> Answer:
        """Answer one question."""
        return self.answer_many([question])[0]

    def answer_many(self, questions: list[str]) -> list[Answer]:
        """Answer several questions with one embedding batch (the costly step)."""
        snapshot = self.snapshot
        glossary = self._fresh_glossary()
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
                    cached = self.cache.get(self._cache_key(snapshot), red.text)
                    if cached is not None:
                        results[i] = self._with_notice(cached, red.kinds)
                    else:
                        pending.append((i, red.text, red.kinds))
        if pending:
            vectors = self.embedder.encode([p[1] for p in pending])
            self._remember_questions([p[1] for p in pending], vectors)
            queries, query_vectors = self._expanded([p[1] for p in pending], vectors, glossary)
            all_hits = search(snapshot, queries, query_vectors, self.thresholds, mode=self.mode)
            for (i, question, kinds), vector, query, qvec, hits in zip(
                pending, vectors, queries, query_vectors, all_hits
            ):
                # the classifier reuses the question's vector: no extra embedding
                escalate = escalation_signal(question, vector).escalate
                curated = None if escalate else glossary.curated.match(vector)
                curated_answer = self._curated(curated, snapshot) if curated else None
                if escalate:
                    answer = self._escalate(query, qvec, hits, snapshot)
                elif gives_orders(question):
                    answer = self._orders()
                elif curated_answer is not None:
                    answer = curated_answer
                else:
                    answer = self._answer(query, qvec, hits, snapshot, asked_as=question)
                answer = replace(answer, question=question)
                self.cache.put(self._cache_key(snapshot), question, answer)
                results[i] = self._with_notice(answer, kinds)
        return [r for r in results if r is not None]

    @staticmethod
    def _with_notice(answer: Answer, kinds: tuple[str, ...]) -> Answer:
        """Tell the staff member what was removed from this message (never the data itself)."""
        text = f"{redaction_notice(kinds)}\n\n{answer.text}" if kinds else answer.text
        return replace(answer, text=text, redacted=kinds)

    # -- routes -----------------------------------------------------------------------------

    def _passages(self, hits: list[Hit], snapshot: IndexSnapshot) -> list[Hit]:
        """The passages worth quoting, widened to their sections, one passage per section."""
        seen: set[tuple[str, str]] = set()
        out = []
        for h in relevant(hits, self.thresholds):
            key = (h.chunk.source, h.chunk.section)
            if key not in seen:
                seen.add(key)
                out.append(replace(h, chunk=snapshot.section_of(h.chunk)))
        return out

    def _expanded(self, questions: list[str], vectors: np.ndarray, glossary: Glossary) -> tuple[list[str], np.ndarray]:
        """Questions as retrieval sees them: with the document wording of any synonyms."""
        queries = [glossary.synonyms.expand(q) for q in questions]
        changed = [i for i, (q, e) in enumerate(zip(questions, queries)) if q != e]
        if not changed:
            return queries, vectors
        out = np.array(vectors, copy=True)
        out[changed] = self.embedder.encode([queries[i] for i in changed])
        return queries, out

    def _curated(self, entry: CuratedAnswer, snapshot: IndexSnapshot) -> Answer | None:
        """The IG team's answer, cited to its section; None if that section is not indexed."""
        for chunk in snapshot.chunks:
            if chunk.source == entry.source and chunk.section == entry.section:
                section = snapshot.section_of(chunk, window=10)
                cite = citation(1, Hit(section, 1.0), section.text)
                return Answer(Route.ANSWER, f"{entry.answer} [1]", (cite,), confidence=1.0)
        log.warning("curated answer skipped: no section %r in %s", entry.section, entry.source)
        return None

    def judge(
        self,
        question: str,
        vector: np.ndarray,
        hits: list[Hit],
        snapshot: IndexSnapshot,
        asked_as: str | None = None,
    ) -> tuple[Features, list[Hit], Extract]:
        """The decision's features, with the passages and sentences they were computed from.
        `question` is what retrieval searched for (synonyms added); `asked_as`, the question as
        asked, says which kind of fact is wanted."""
        measured, passages, ex = self._measure(question, vector, hits, snapshot, asked_as)
        return inputs(measured, self.background(snapshot)), passages, ex

    def _measure(
        self,
        question: str,
        vector: np.ndarray,
        hits: list[Hit],
        snapshot: IndexSnapshot,
        asked_as: str | None = None,
    ) -> tuple[dict[str, float], list[Hit], Extract]:
        """What the decision weighs, as measured on this index (before the background)."""
        kind = asked(asked_as or question)
        detail = asked_detail(asked_as or question)
        passages = self._passages(hits, snapshot)
        ex = extract(vector, passages, self._sentence_vectors, kind)
        # The first rows of the plain dense and keyword rankings: retrieval made them for these
        # hits (bot.core.retrieve.Ranked); searched again only where it did not.
        dense_first = getattr(hits, "dense_first", None)
        if dense_first is None:
            dense_first = snapshot.search(vector[None, :], 1)[0]
        keyword_first = getattr(hits, "keyword_first", None)
        if keyword_first is None:
            keyword_first = snapshot.keywords.search(question, 1)
        agree = bool(
            dense_first
            and keyword_first
            and snapshot.chunks[dense_first[0][0]].source == snapshot.chunks[keyword_first[0][0]].source
        )
        best = max(hits, key=lambda h: h.dense, default=None)
        # the runner-up: the best passage of another document, or else the next passage
        others = [h.dense for h in hits if best is not None and h.chunk.source != best.chunk.source]
        rest = sorted((h.dense for h in hits), reverse=True)[1:2]
        other = max(others) if others else (rest[0] if rest else None)
        values = {
            "dense_top": best.dense if best else 0.0,
            "coverage_top": max((h.coverage for h in hits), default=0.0),
            "agree": float(agree),
            "gap": (best.dense - other) if best is not None and other is not None else 0.0,
            "bm25_top": float(np.log1p(keyword_first[0][1])) if keyword_first else 0.0,
            "sentence_sim": ex.best_similarity,
            "sentence_coverage": snapshot.keywords.text_coverage(question, ex.best_sentence),  # with its heading
            "type_asked": float(kind is not None),
            "type_found": float(kind is not None and ex.type_found),
            "unseen": snapshot.keywords.unseen(question),
            "detail_missing": float(detail is not None and not any(gives(detail, p.chunk.text) for p in passages)),
        }
        return values, passages, ex

    def features_many(self, questions: list[str], snapshot: IndexSnapshot | None = None) -> list[Features]:
        """The decision's features for each question as asked (for fitting the decision)."""
        snapshot = snapshot or self.snapshot
        background = self.background(snapshot)
        return [inputs(m, background) for m in self._measure_many(questions, snapshot)]

    def _measure_many(
        self, questions: list[str], snapshot: IndexSnapshot, vectors: np.ndarray | None = None
    ) -> list[dict[str, float]]:
        vectors = self.embedder.encode(questions) if vectors is None else vectors
        queries, vectors = self._expanded(questions, vectors, self.glossary)
        all_hits = search(snapshot, queries, vectors, self.thresholds, mode=self.mode)
        return [
            self._measure(q, v, h, snapshot, asked_as=a)[0] for q, v, h, a in zip(queries, vectors, all_hits, questions)
        ]

    def background(self, snapshot: IndexSnapshot) -> Background:
        """How the bank of off-topic questions scores on this index (bot/core/background.py):
        measured once per index, when it is first served (about a second), then cached on it."""
        # per retrieval mode: the dense-only and keyword-only baselines of the evaluation measure
        # the bank their own way
        by_mode: dict[Mode, Background] = snapshot.__dict__.setdefault("_background", {})
        cached = by_mode.get(self.mode)
        if cached is None:
            if self._bank_vectors is None:  # the bank's embeddings do not depend on the index
                self._bank_vectors = self.embedder.encode(list(bank()))
            cached = by_mode[self.mode] = Background.of(self._measure_many(list(bank()), snapshot, self._bank_vectors))
        return cached

    def _answer(
        self, question: str, vector: np.ndarray, hits: list[Hit], snapshot: IndexSnapshot, asked_as: str
    ) -> Answer:
        features, passages, ex = self.judge(question, vector, hits, snapshot, asked_as)
        p = self.decision.probability(features)
        named = asked_about_replaced(snapshot, question)
        unheld = None if named else unheld_version(asked_as, held_documents(snapshot))
        if not passages or not ex.text or p < self.decision.threshold:
            text = self._decline_text()
            if unheld is not None:
                text = f"I don't hold {unheld.mark} of that document. {text}"
            return Answer(Route.DECLINE, text, confidence=round(p, 4))
        note = _unheld_note(unheld, ex) if unheld is not None else _replaced_note(ex, snapshot)
        return Answer(Route.ANSWER, note + ex.text, ex.citations, confidence=round(p, 4))

    def _escalate(self, question: str, vector: np.ndarray, hits: list[Hit], snapshot: IndexSnapshot) -> Answer:
        """Never judge the case: show what the policy says, and hand it to the IG team."""
        c = self.contacts
        features, passages, ex = self.judge(question, vector, hits, snapshot)
        if not passages or not self.decision.answers(features):
            # the question's own words found nothing: show the policy itself
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

    def _orders(self) -> Answer:
        return Answer(
            Route.DECLINE,
            "I only answer questions from the council's documents, and I can't take instructions that "
            "change how I work. Ask me a question about council policy, for example: "
            '"Can I paste case notes into ChatGPT?"',
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
        return self._sentence_vectors(texts) @ self._question_vector(question)

    def _question_vector(self, question: str) -> np.ndarray:
        """The question's vector: the one its answer was found with if it was answered lately."""
        with self._questions_lock:
            found = self._questions.get(question)
        if found is None:
            found = self.embedder.encode([question])[0]
            self._remember_questions([question], found[None, :])
        return found

    def _remember_questions(self, questions: list[str], vectors: np.ndarray) -> None:
        with self._questions_lock:
            for q, v in zip(questions, vectors):
                self._questions[q] = v
                self._questions.move_to_end(q)
            while len(self._questions) > QUESTION_VECTORS:
                self._questions.popitem(last=False)

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


def _replaced_note(ex: Extract, snapshot: IndexSnapshot) -> str:
    """When the question named a replaced document and it is quoted, say so first, and what
    replaced it: the old rule is right for what happened before the change, and only then.
    A paragraph of its own: the bot's words, never inside the quotation (attribution.py)."""
    newer = replacements(snapshot)
    for c in ex.citations:
        if c.source in newer:
            title = next((ch.doc_title for ch in snapshot.chunks if ch.source == newer[c.source]), newer[c.source])
            return f"{c.document or c.title} has been replaced by {title}. This is what the earlier version said:\n\n"
    return ""


def _unheld_note(unheld: Unheld, ex: Extract) -> str:
    """The question asked for a version not held here: say so, and which documents are quoted
    instead, so today's text is never passed off as the version asked about."""
    held = []
    for c in ex.citations:
        name = c.document or c.title
        if name not in held:
            held.append(name)
    return (
        f"I don't hold {unheld.mark} of that document. What I hold is {' and '.join(held)}; this is what it says:\n\n"
    )
