"""Answers to repeated questions, kept so a repeat skips the embedding and the search.

Keyed by the question as the assistant sees it (cleaned and with personal data already
redacted, so no personal data is ever held here), normalised for case and spacing. Bounded
LRU; emptied when the index snapshot changes, since answers quote the index.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from bot.core.records import Answer

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?!.]+$")


def normalise(question: str) -> str:
    """The cache key for a redacted question: case, runs of spaces and end punctuation don't matter."""
    return _TRAILING.sub("", _SPACE.sub(" ", question.casefold())).strip()


class AnswerCache:
    """A thread-safe bounded LRU of normalised redacted question -> Answer for one index build."""

    def __init__(self, maxsize: int = 4096) -> None:
        self._maxsize = maxsize
        self._items: OrderedDict[str, Answer] = OrderedDict()
        self._build: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, build_id: str, question: str) -> Answer | None:
        key = normalise(question)
        with self._lock:
            if build_id != self._build:
                self._items.clear()
                self._build = build_id
            answer = self._items.get(key)
            if answer is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return answer

    def put(self, build_id: str, question: str, answer: Answer) -> None:
        if self._maxsize <= 0:
            return
        key = normalise(question)
        with self._lock:
            if build_id != self._build:
                self._items.clear()
                self._build = build_id
            self._items[key] = answer
            self._items.move_to_end(key)
            while len(self._items) > self._maxsize:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
