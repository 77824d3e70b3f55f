"""Conversation state every replica shares: follow-up context and what each recent reply said.

Two maps with the get/put shape of bot.teams.conversation.Bounded, kept in one table so that
any replica behind the Bot Service can continue a conversation another one started:

- "follow-up": the last exchange per conversation and person, the *redacted* question and what the
  bot said (keys are hashed);
- "offered": the suggestion buttons last offered there (title -> the question it asks);
- "reply": per reply activity id, the redacted question, the answer, route and cited titles,
  so feedback clicked on a reply files them, on whichever replica the click lands.

The fast path stays fast: `put` only queues the value (a background flush encodes and writes the
queue in one transaction every second, as the conversation log does: the writes go behind the
reply, off the event loop), and `get` answers from the queue first; a turn reads what it needs
from the queue on the event loop (`queued`), and through a thread only when the database must answer. Rows are
bounded in age (read only while fresh; expired rows deleted by the flush) and in number (the
oldest beyond the limit deleted), and purged by the retention rules (bot.store.retention)
with the conversation log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, DateTime, Engine, String, Table, Text, and_, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from bot.store.clock import naive_utc, utc_now
from bot.store.db import metadata
from bot.store.flush_loop import FlushLoop
from bot.store.migrate import ensure_schema

log = logging.getLogger(__name__)

FOLLOW_UP, OFFERED, REPLY = "follow-up", "offered", "reply"

conversation_state = Table(
    "conversation_state",
    metadata,
    Column("kind", String(16), primary_key=True),  # FOLLOW_UP | OFFERED | REPLY
    Column("key", String(200), primary_key=True),  # sha256 of the conversation and person; a reply id
    Column("value", Text, nullable=False),  # JSON; only redacted text
    Column("updated_at", DateTime(timezone=True), nullable=False, index=True),
)

V = TypeVar("V")

# One statement for every read, built once (SQLAlchemy then only binds the values).
_READ = select(conversation_state.c.value).where(
    conversation_state.c.kind == bindparam("kind"),
    conversation_state.c.key == bindparam("key"),
    conversation_state.c.updated_at >= bindparam("cutoff"),
)


class SharedContext(FlushLoop, Generic[V]):
    """A map in the database, bounded in size and age; `put` is cheap and never blocks on the database."""

    def __init__(
        self,
        engine: Engine,
        kind: str,
        max_items: int,
        max_age_s: float,
        encode: Callable[[V], Any] = lambda v: v,
        decode: Callable[[Any], V] = lambda v: v,
        hash_keys: bool = False,
        interval: float = 1.0,
        prune_every_s: float = 60.0,
    ) -> None:
        ensure_schema(engine)
        self.engine = engine
        self.kind = kind
        self.max_items = max_items
        self.max_age = timedelta(seconds=max_age_s)
        self._encode, self._decode = encode, decode
        self._hash_keys = hash_keys
        self.name = f"conversation-state-{kind}"
        super().__init__(interval)
        self._prune_every = prune_every_s
        self._last_prune = 0.0
        # Queued values, encoded (`encode`) but not yet JSON: the JSON is made by the flush, on its thread.
        self._pending: dict[str, tuple[datetime, Any]] = {}
        # The batch a flush is writing: still this replica's to read until it is committed, or a
        # `get` between the swap and the commit would find it in neither place.
        self._writing: dict[str, tuple[datetime, Any]] = {}
        self._lock = threading.Lock()
        self.reads = 0  # database reads (the tests check the fast path makes none)
        self._read_failing = False

    def _key(self, key: str) -> str:
        # surrogatepass: a key is only hashed, so text that is not valid Unicode (a lone surrogate in a
        # Teams id) must still give a key rather than a UnicodeEncodeError on every turn
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest() if self._hash_keys else key[:200]

    def put(self, key: str, value: V) -> None:
        with self._lock:
            self._pending[self._key(key)] = (utc_now(), self._encode(value))

    def queued(self, key: str) -> tuple[bool, V | None]:
        """(True, what `get` would return) when this replica's queue can answer without the
        database (a value put and not yet written); (False, None) when only a read can say.
        Microseconds: the handler calls it on the event loop and hops to a thread only for the read."""
        stored = self._key(key)
        with self._lock:
            queued = self._pending.get(stored) or self._writing.get(stored)
        if queued is None:
            return False, None
        if queued[0] < utc_now() - self.max_age:
            return True, None
        return True, self._decode(json.loads(json.dumps(queued[1])))  # through JSON, as a read would come

    def get(self, key: str) -> V | None:
        """This replica's unwritten value if there is one, else the database's, if still fresh."""
        found, value = self.queued(key)
        if found:
            return value
        stored = self._key(key)
        cutoff = utc_now() - self.max_age
        self.reads += 1
        try:
            with self.engine.connect() as conn:
                found = conn.execute(_READ, {"kind": self.kind, "key": stored, "cutoff": naive_utc(cutoff)}).scalar()
        except SQLAlchemyError as exc:
            # The context is a nicety: while the database is away the question is answered without
            # it, rather than failing. Logged once per outage (the write loop reports the outage too).
            if not self._read_failing:
                log.warning("%s unreadable (%s): answering without it", self.name, type(exc).__name__)
            self._read_failing = True
            return None
        self._read_failing = False
        return None if found is None else self._decode(json.loads(found))

    def due(self) -> bool:
        return bool(self._pending) or time.monotonic() - self._last_prune >= self._prune_every

    def write(self) -> int:
        """Write what is queued (one transaction); now and then delete what is too old or too many."""
        with self._lock:
            batch, self._pending = self._pending, {}
            self._writing = batch
        written = 0
        try:
            if batch:
                self._upsert(batch)
                written = len(batch)
            if time.monotonic() - self._last_prune >= self._prune_every:
                self._prune()
                self._last_prune = time.monotonic()
        except Exception:  # keep what was queued (newer values win); the loop logs it, never the text
            with self._lock:
                for key, item in batch.items():
                    self._pending.setdefault(key, item)
                while len(self._pending) > self.max_items:  # a stuck database must not grow memory
                    self._pending.pop(next(iter(self._pending)))
            raise
        finally:
            with self._lock:
                self._writing = {}
        return written

    def _upsert(self, batch: dict[str, tuple[datetime, Any]]) -> None:
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        rows = [
            {"kind": self.kind, "key": key, "value": json.dumps(value), "updated_at": naive_utc(at)}
            for key, (at, value) in batch.items()
        ]
        statement = insert(conversation_state)
        statement = statement.on_conflict_do_update(
            index_elements=["kind", "key"],
            set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at},
        )
        with self.engine.begin() as conn:
            conn.execute(statement, rows)

    def _prune(self) -> None:
        t = conversation_state
        mine = t.c.kind == self.kind
        with self.engine.begin() as conn:
            conn.execute(delete(t).where(mine, t.c.updated_at < naive_utc(utc_now() - self.max_age)))
            if conn.execute(select(func.count()).where(mine)).scalar() > self.max_items:
                newest = select(t.c.updated_at).where(mine).order_by(t.c.updated_at.desc())
                oldest_kept = conn.execute(newest.offset(self.max_items - 1).limit(1)).scalar()
                conn.execute(delete(t).where(and_(mine, t.c.updated_at < oldest_kept)))

    def __len__(self) -> int:
        with self.engine.connect() as conn:
            stored = conn.execute(select(func.count()).where(conversation_state.c.kind == self.kind)).scalar()
        return int(stored) + len(self._pending)
