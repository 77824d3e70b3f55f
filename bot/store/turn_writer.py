"""Write the conversation log in batches, off the request path.

One row per answered question, each in its own transaction, cost about 1.5 ms of CPU a
question under load (a thread hop, SQLAlchemy, and an fsync per commit). Rows are queued
here in memory and written together once a second, and at shutdown. The log feeds the IG
team's report; a crash can lose at most the last second of it. Escalations never go this way:
they are written in their own transaction before the staff member is told anything.
"""

from __future__ import annotations

import logging
import threading

from bot.store.flush_loop import FlushLoop
from bot.store.turns import Turn, TurnStore

log = logging.getLogger(__name__)


class TurnWriter(FlushLoop):
    """`add` is cheap and never blocks; `run` flushes every `interval` seconds until stopped."""

    name = "conversation-log-writer"

    def __init__(self, store: TurnStore, interval: float = 1.0, max_pending: int = 10_000) -> None:
        self.store = store
        super().__init__(interval)
        self.max_pending = max_pending  # a stuck database must not grow memory without bound
        self._pending: list[Turn] = []
        self._lock = threading.Lock()
        self.dropped = 0

    def add(self, turn: Turn) -> None:
        with self._lock:
            if len(self._pending) >= self.max_pending:
                if not self.dropped:  # once: /healthz carries the running count
                    log.warning("conversation log queue full (%d rows): dropping new rows", self.max_pending)
                self.dropped += 1
                return
            self._pending.append(turn)

    def write(self) -> int:
        """Write everything queued now (blocking); returns how many rows were written."""
        with self._lock:
            batch, self._pending = self._pending, []
        if not batch:
            return 0
        try:
            return len(self.store.add_many(batch))
        except Exception:  # keep the rows for the next attempt; the loop logs the failure (never their text)
            with self._lock:
                self._pending = (batch + self._pending)[: self.max_pending]
            raise
