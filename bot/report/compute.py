"""The report's numbers, computed from the database into plain dataclasses.

Everything the CSV files, the HTML page and the Teams card show comes from `build_report`, so
the three never disagree. Only redacted text is ever read: the conversation log holds nothing
else.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.core import cases as case_rules
from bot.core.glossary import Synonyms
from bot.report import sources
from bot.report.cluster import Encode, Group, group_similar
from bot.report.synonyms import SynonymSuggestions, suggest_synonyms
from bot.store.turns import TurnStore

if TYPE_CHECKING:
    from bot.core.index_store import IndexSnapshot

ROUTES = ("answer", "escalate", "decline")


@dataclass(frozen=True)
class Topic:
    """A section of a document and how many questions it answered."""

    source: str
    section: str
    questions: int


@dataclass(frozen=True)
class DocumentUse:
    source: str
    questions: int  # questions whose answer cited the document


@dataclass(frozen=True)
class Escalations:
    recorded: bool  # False: there is no escalations table in this database
    by_status: dict[str, int] = field(default_factory=dict)
    delivery_minutes: tuple[float, ...] = ()  # per delivered escalation, from send to accepted

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def median_minutes(self) -> float | None:
        return statistics.median(self.delivery_minutes) if self.delivery_minutes else None

    @property
    def max_minutes(self) -> float | None:
        return max(self.delivery_minutes) if self.delivery_minutes else None


AGE_BANDS = ((0, 1), (2, 5), (6, 10), (11, 20), (21, None))  # working days, inclusive


def band(days: int) -> str:
    for low, high in AGE_BANDS:
        if high is None or days <= high:
            return f"{low}-{high} working days" if high is not None else f"over {low - 1} working days"
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class CaseRow:
    reference: str
    status: str
    received: datetime
    age_days: int  # working days, for an open case; at the time of the first reply otherwise not used
    first_reply: datetime | None
    overdue: bool  # open and past the limit

    @property
    def hours_to_first_reply(self) -> float | None:
        if self.first_reply is None:
            return None
        return round((self.first_reply - self.received).total_seconds() / 3600, 1)


@dataclass(frozen=True)
class Cases:
    """IG cases (bot.store.cases): the open ones by age now, and how fast the IG team first replied."""

    overdue_days: int
    rows: tuple[CaseRow, ...] = ()  # open cases, oldest first
    median_first_reply_hours: float | None = None  # cases received in the period that have a reply
    replied: int = 0

    @property
    def open(self) -> int:
        return len(self.rows)

    @property
    def by_age(self) -> dict[str, int]:
        counts = Counter(band(r.age_days) for r in self.rows)
        return {band(low): counts.get(band(low), 0) for low, _ in AGE_BANDS}

    @property
    def overdue(self) -> list[CaseRow]:
        return [r for r in self.rows if r.overdue]


def summarise_cases(
    rows: list[tuple[str, str, datetime, datetime | None]], since: datetime | None, now: datetime, overdue_days: int
) -> Cases:
    """Open cases now (whenever received), and the median time to a first reply for cases received since `since`."""
    open_rows = tuple(
        CaseRow(
            ref,
            status,
            received,
            case_rules.age(received, now),
            first,
            case_rules.overdue(received, now, overdue_days),
        )
        for ref, status, received, first in rows
        if case_rules.is_open(status)
    )
    period = [(received, first) for _, _, received, first in rows if since is None or received >= since]
    return Cases(
        overdue_days,
        open_rows,
        case_rules.median_hours(period),
        sum(1 for _, first in period if first is not None),
    )


@dataclass(frozen=True)
class Feedback:
    recorded: bool
    likes: int = 0
    dislikes: int = 0

    @property
    def ratio(self) -> str:
        """Likes to dislikes, as people say it: "3:1"."""
        return f"{self.likes}:{self.dislikes}"

    @property
    def like_share(self) -> float | None:
        total = self.likes + self.dislikes
        return self.likes / total if total else None


@dataclass(frozen=True)
class Report:
    since: datetime | None
    generated_at: datetime
    questions: int
    by_route: dict[str, int]
    redacted_questions: int  # questions that had personal data removed
    median_latency_ms: float | None
    declined: list[Group]
    topics: list[Topic]
    documents: list[DocumentUse]  # every cited document, most cited first
    never_cited: list[str]  # documents in the index no answer cited
    escalations: Escalations
    feedback: Feedback
    index_build: str | None = None
    cases: Cases = field(default_factory=lambda: Cases(case_rules.DEFAULT_OVERDUE_DAYS))
    synonyms: SynonymSuggestions = field(default_factory=SynonymSuggestions)  # candidate lines for synonyms.yml


def count_topics(turns: Iterable) -> list[Topic]:
    counts: Counter[tuple[str, str]] = Counter()
    for t in turns:
        for s in set(t.sources):
            counts[(s.source, s.section)] += 1
    return [Topic(src, sec, n) for (src, sec), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def count_documents(turns: Iterable, indexed: Iterable[str]) -> tuple[list[DocumentUse], list[str]]:
    counts: Counter[str] = Counter()
    for t in turns:
        for source in {s.source for s in t.sources}:
            counts[source] += 1
    used = [DocumentUse(src, n) for src, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return used, sorted(set(indexed) - set(counts))


def summarise_escalations(rows: list[tuple[datetime, str, datetime | None]] | None) -> Escalations:
    if rows is None:
        return Escalations(recorded=False)
    by_status = dict(sorted(Counter(status for _, status, _ in rows).items()))
    minutes = tuple(
        round((delivered - created).total_seconds() / 60, 2)
        for created, _, delivered in rows
        if delivered is not None and created is not None
    )
    return Escalations(True, by_status, minutes)


def summarise_feedback(reactions: list[str] | None) -> Feedback:
    if reactions is None:
        return Feedback(recorded=False)
    return Feedback(True, reactions.count("like"), reactions.count("dislike"))


def build_report(
    engine: Engine,
    since: datetime | None = None,
    indexed: Iterable[str] = (),
    encode: Encode | None = None,
    index_build: str | None = None,
    snapshot: IndexSnapshot | None = None,
    synonyms: Synonyms | None = None,
    overdue_days: int = case_rules.DEFAULT_OVERDUE_DAYS,
    now: datetime | None = None,
) -> Report:
    """All the report's numbers for questions asked since `since` (all time when None).

    `indexed` is the documents in the served index (manifest files), for "never cited";
    `encode` is the embedding model's batch encoder, for grouping declined questions.
    `snapshot` is the served index and `synonyms` the IG team's synonyms.yml, for suggesting
    synonyms from declined questions that came close (none without an index). Open IG cases are
    counted as they are `now`, whenever received; one past `overdue_days` working days is flagged.
    """
    now = now or datetime.now(UTC)
    turns = TurnStore(engine).since(since)
    by_route = {r: 0 for r in ROUTES} | Counter(t.route for t in turns)
    cited = [t for t in turns if t.route in ("answer", "escalate")]
    documents, never = count_documents(cited, indexed)
    latencies = [t.latency_ms for t in turns]
    declined = [t for t in turns if t.route == "decline"]
    return Report(
        since=since,
        generated_at=now,
        questions=len(turns),
        by_route=dict(by_route),
        redacted_questions=sum(1 for t in turns if t.redacted),
        median_latency_ms=statistics.median(latencies) if latencies else None,
        declined=group_similar([t.question for t in declined], encode),
        topics=count_topics(cited),
        documents=documents,
        never_cited=never,
        escalations=summarise_escalations(sources.escalations(engine, since)),
        feedback=summarise_feedback(sources.feedback_reactions(engine, since)),
        index_build=index_build,
        cases=summarise_cases(sources.cases(engine), since, now, overdue_days),
        synonyms=suggest_synonyms([(t.question, t.confidence) for t in declined], snapshot, encode, synonyms),
    )
