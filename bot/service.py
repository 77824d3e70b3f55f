"""The running service as one typed object: what the Teams handler and the commands may use.

    service = Service(settings, state, engine, feedback=..., turns=..., workers=[...])
    await service.start()          # background workers, then the model and index (in the background)
    answer = await service.answer("When is the last employee conference session?")
    await service.stop()

bot.compose builds it; bot.teams reads its attributes by name and type. It holds no Bot Framework
types: the Teams side (adapter, handler, escalation flow) is built around it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Engine

from bot.config import Settings
from bot.core.answer_cache import AnswerCache
from bot.core.assistant import Assistant
from bot.core.batching import MicroBatcher
from bot.core.embed import Embedder
from bot.core.records import Answer
from bot.core.suggest import Neighbourhood, Suggestion
from bot.errors import NotReady  # asked before loading (the handler is not reachable then: /healthz is 503)
from bot.reload import IndexService
from bot.store.feedback import FeedbackStore
from bot.store.turn_writer import TurnWriter
from bot.store.turns import turn_from_answer
from bot.supervise import Supervised
from bot.web import ServiceState

if TYPE_CHECKING:
    from bot.teams.cases import CaseDesk

log = logging.getLogger(__name__)

WARM_UP_QUESTION = "Who wrote the policy for Jane Doe?"  # every stage, the name tagger included
STOP_GRACE_SECONDS = 10


class Worker(Protocol):
    """A background loop: `run()` until `stop()` is called, finishing what it holds.

    Each runs its passes under bot.supervise (`task`), so no exception ends it; /healthz shows `task.health()`.
    """

    task: Supervised

    async def run(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(eq=False)
class Service:
    settings: Settings
    state: ServiceState
    engine: Engine | None  # None only in tests of the Teams adapter alone
    feedback: FeedbackStore | None
    turns: TurnWriter | None  # the conversation log, written in batches off the request path
    workers: Sequence[Worker] = ()  # started with the service, stopped with it (the log writer among them)
    embedder: Embedder | None = None  # loaded at start when not given (tests share one)
    assistant: Assistant | None = None  # set once loaded; swapped in place on a new index
    index: IndexService | None = None  # live reload and the IG team's `refresh`, once loaded
    suggestions: Neighbourhood | None = None  # the curated questions, placed near their sections
    cases: CaseDesk | None = None  # IG cases: the `cases` and `my requests` commands and their buttons
    batcher: MicroBatcher = field(init=False)
    _tasks: list[asyncio.Task] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.batcher = MicroBatcher(
            self.answer_many,
            window=self.settings.batch_window_ms / 1000,
            company_coming=self._company_coming,
        )
        self.state.probes.append(
            lambda: {"embedding_batches": self.batcher.batches, "batched_questions": self.batcher.items}
        )
        self.state.probes.append(lambda: {"conversation_log_dropped": self.turns.dropped if self.turns else 0})
        self.state.probes.append(self._tasks_health)

    def _tasks_health(self) -> dict[str, Any]:
        """Each background task's liveness and failure streak, by name."""
        supervised = [w.task for w in self.workers] + ([self.index.task] if self.index is not None else [])
        return {"tasks": {task.name: task.health() for task in supervised}}

    # -- what the handler and commands use --------------------------------------------------

    async def answer(self, text: str) -> Answer:
        """The core's answer to one question: batched with concurrent ones, off the event loop."""
        if self.settings.batching:
            return await self.batcher.submit(text)
        return await asyncio.get_running_loop().run_in_executor(None, self._ready().answer, text)

    def answer_many(self, texts: list[str]) -> list[Answer]:
        """A batch of questions through the loaded assistant (the batcher calls this on its worker)."""
        return self._ready().answer_many(texts)

    def _company_coming(self) -> bool:
        return self.state.in_flight > 1  # a lone question is not kept waiting for a batch

    def suggest(self, answer: Answer, asked: tuple[str, ...]) -> list[Suggestion]:
        """Curated questions near the answer's sources, none already answered or reworded from
        `asked` (none until they are placed). Embeds the questions: call it off the event loop."""
        if self.suggestions is None:
            return []
        return self.suggestions.near(answer, asked, similarity=self.score)

    def score(self, question: str, texts: list[str]) -> Sequence[float]:
        """How well each text answers the question (follow-ups pick their sentence with it)."""
        return self._ready().similarity(question, texts)

    def record(self, conversation_id: str, answer: Answer, latency_ms: float) -> None:
        """Queue the turn for the conversation log (redacted); never blocks the event loop."""
        if self.turns is not None:
            self.turns.add(turn_from_answer(conversation_id, answer, latency_ms))

    def _ready(self) -> Assistant:
        if self.assistant is None:
            raise NotReady("the model and index are still loading")
        return self.assistant

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the workers, then load the model and index; watch for new builds until stopped."""
        from bot.compose import make_assistant

        for worker in self.workers:
            self._tasks.append(asyncio.create_task(worker.run(), name=worker.task.name))
        loop = asyncio.get_running_loop()
        settings = self.settings
        try:
            assistant = await loop.run_in_executor(None, make_assistant, settings, True, self.embedder)
        except Exception as exc:
            log.exception("start-up failed")
            self.state.error = f"{type(exc).__name__}: {exc}"
            return
        # One question through every stage now, not on the first real one (uncached: the cache is set after).
        await loop.run_in_executor(None, assistant.answer, WARM_UP_QUESTION)
        assistant.cache = AnswerCache(settings.answer_cache_size)
        self.assistant = assistant
        await self.place_suggestions(assistant)  # before ready: the first answer already has its suggestions
        self._serving(assistant)
        self.state.ready = True
        log.info("ready: index %s, %d chunks", assistant.snapshot.build_id, len(assistant.snapshot.chunks))
        self.index = IndexService(
            assistant,
            settings.knowledge_dir,
            settings.index_dir,
            poll_seconds=settings.index_poll_seconds,
            hnsw_above=settings.hnsw_above,
            on_swap=self._on_swap,
        )
        await self.index.watch()  # live reload until the service stops (cancelled then)

    async def stop(self) -> None:
        """Ask every worker to stop, give them STOP_GRACE_SECONDS together to finish what they hold, then
        cancel the rest. Whatever state a task is in (finished, failed, stuck), every other one still
        gets its final write, and shutdown itself never raises."""
        for worker in self.workers:
            worker.stop()
        if self.index is not None:
            self.index.stop()
        tasks = list(self._tasks)
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=STOP_GRACE_SECONDS)
            for task in stuck:
                task.cancel()
            for task, outcome in zip(tasks, await asyncio.gather(*tasks, return_exceptions=True), strict=True):
                if isinstance(outcome, Exception):  # type only: a message may hold SQL parameters
                    log.error("background task %s ended with %s", task.get_name(), type(outcome).__name__)
        await self.batcher.aclose()

    def _serving(self, assistant: Assistant) -> None:
        self.state.details.update(index=assistant.snapshot.build_id, chunks=len(assistant.snapshot.chunks))

    def _on_swap(self, assistant: Assistant) -> None:
        """A new index is served: report it, and place the curated questions again."""
        self._serving(assistant)
        task = asyncio.get_running_loop().create_task(self.place_suggestions(assistant))
        self._tasks.append(task)
        task.add_done_callback(lambda t: self._tasks.remove(t) if t in self._tasks else None)

    async def place_suggestions(self, assistant: Assistant) -> None:
        """Answer the documents' curated questions once per index, to offer them near their answers."""
        from bot.core.load import curated_questions

        loop = asyncio.get_running_loop()
        try:
            curated = await loop.run_in_executor(None, curated_questions, self.settings.knowledge_dir)
            build = Neighbourhood.build
            hood = await loop.run_in_executor(None, build, curated, assistant.snapshot.chunks, assistant.answer_many)
        except Exception:  # suggestions are a nicety: answering must go on without them
            log.exception("could not place the curated questions")
            return
        self.suggestions = hood
        log.info("suggestions: %d of %d curated questions answered", len(hood.placed), len(curated))
