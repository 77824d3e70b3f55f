"""The micro-batcher and the answer cache, with the real assistant and model."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.core.answer_cache import AnswerCache, normalise
from bot.core.assistant import Assistant
from bot.core.batching import MicroBatcher


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed (to see batches and cache hits)."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name, self.dimensions = inner.name, inner.dimensions
        self.calls: list[int] = []

    def encode(self, texts):
        self.calls.append(len(texts))
        return self.inner.encode(texts)


@pytest.mark.asyncio(loop_scope="session")
async def test_concurrent_questions_share_one_batch_and_get_their_own_answers(snapshot, embedder):
    counting = CountingEmbedder(embedder)
    assistant = Assistant(snapshot, counting)
    assistant.answer("warm up the sentence cache: when is the conference?")
    batcher = MicroBatcher(assistant.answer_many, window=0.05)
    questions = [
        "When is the last employee conference session?",
        "Why was the Burnley session cancelled?",
        "What time does the canteen at County Hall close?",
    ]
    counting.calls.clear()
    answers = await asyncio.gather(*(batcher.submit(q) for q in questions))
    await batcher.aclose()
    assert counting.calls[0] == 3 and batcher.batches == 1  # one embedding call for all three questions
    assert "27 November" in answers[0].text
    assert "heating" in answers[1].text
    assert "can't find" in answers[2].text
    assert [a.text for a in answers] == [a.text for a in assistant.answer_many(questions)]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_failing_item_does_not_fail_its_batch():
    def process(items: list[str]) -> list[str]:
        if "poison" in items:
            raise ValueError("cannot process poison")
        return [i.upper() for i in items]

    batcher = MicroBatcher(process, window=0.05)
    results = await asyncio.gather(*(batcher.submit(x) for x in ["a", "poison", "b"]), return_exceptions=True)
    await batcher.aclose()
    assert results[0] == "A" and results[2] == "B"
    assert isinstance(results[1], ValueError)


@pytest.mark.asyncio(loop_scope="session")
async def test_batches_run_on_one_worker_thread_off_the_event_loop():
    seen: set[int] = set()

    def process(items: list[int]) -> list[int]:
        seen.add(threading.get_ident())
        return items

    batcher = MicroBatcher(process, window=0)
    for i in range(5):
        assert await batcher.submit(i) == i
    await batcher.aclose()
    assert len(seen) == 1 and threading.get_ident() not in seen


def test_a_repeated_question_skips_embedding_and_search(snapshot, embedder):
    counting = CountingEmbedder(embedder)
    assistant = Assistant(snapshot, counting)
    first = assistant.answer("When is the last employee conference session?")
    counting.calls.clear()
    again = assistant.answer("  when is the LAST employee   conference session ")
    assert counting.calls == [] and again == first
    assert assistant.cache.hits == 1


def test_the_cache_holds_redacted_text_and_keeps_the_notice_per_question(snapshot, embedder):
    assistant = Assistant(snapshot, embedder)
    a = assistant.answer("Can I email jane.doe@example.com about the Burnley session?")
    b = assistant.answer("Can I email john.smith@example.org about the Burnley session?")
    assert assistant.cache.hits == 1  # both redact to the same question
    assert "personal data" in a.text and "personal data" in b.text
    assert "jane.doe" not in b.text and "john.smith" not in a.text


def test_the_cache_is_emptied_when_the_index_changes(snapshot):
    cache = AnswerCache(maxsize=2)
    cache.put("build-1", "Q one?", "answer-1")  # type: ignore[arg-type]
    assert cache.get("build-1", "q ONE") == "answer-1"
    assert cache.get("build-2", "q one") is None  # a new index: stale answers are gone
    assert cache.get("build-1", "q one") is None
    for q in ("a", "b", "c"):
        cache.put("build-1", q, q)  # type: ignore[arg-type]
    assert len(cache) == 2 and cache.get("build-1", "a") is None  # bounded: the oldest went
    assert normalise(" Hello   WORLD?! ") == "hello world"


@pytest.mark.asyncio(loop_scope="session")
async def test_a_lone_question_is_not_kept_waiting_for_company_that_is_not_coming():
    import time

    coming = {"now": False}
    batcher = MicroBatcher(lambda items: items, window=1.0, company_coming=lambda: coming["now"])
    started = time.perf_counter()
    assert await batcher.submit("alone") == "alone"
    assert time.perf_counter() - started < 0.5  # not the one-second window
    coming["now"] = True  # other requests under way: the first waits for them and they share a batch
    first = asyncio.ensure_future(batcher.submit("first"))
    await asyncio.sleep(0.1)
    second = await batcher.submit("second")
    assert (await first, second) == ("first", "second")
    await batcher.aclose()
    assert batcher.batches == 2
