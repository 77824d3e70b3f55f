"""Structured logs: one JSON object per line, each tagged with the activity's correlation id.

The correlation id lives in a context variable set when an activity arrives, so every line
logged while handling it (in the handler, the adapter, the reply path) carries the same id
without passing it around. Never log message text: it may hold personal data.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")


def new_correlation_id() -> str:
    """A fresh id for one activity, set for everything that runs in this context."""
    value = os.urandom(6).hex()  # 12 random hex digits, as uuid4().hex[:12] gave, without building a UUID
    correlation_id.set(value)
    return value


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, correlation_id (and the traceback when there is one)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": correlation_id.get(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "json", stream=None) -> None:  # type: ignore[no-untyped-def]
    """Route the root logger to one handler in the chosen format (LOG_FORMAT=json|text)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(correlation)s]: %(message)s"))
        handler.addFilter(_add_correlation)
    handler.setLevel(level.upper())  # also for libraries that set their own loggers' level (bm25s: DEBUG)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def _add_correlation(record: logging.LogRecord) -> bool:
    record.correlation = correlation_id.get()
    return True


def where(exc: BaseException) -> str:
    """Where an exception was raised, as `file.py:line in function`: enough to find a bug, and no data."""
    tb = exc.__traceback__
    if tb is None:
        return "?"
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f"{code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno} in {code.co_name}"


def safe_traceback(exc: BaseException) -> str:
    """A traceback with the frames and exception types only, never the messages.

    The message of a database error holds the statement's parameters (Teams ids, the roster's email
    address, the question), and other exceptions may quote what a user typed: logs carry neither.
    """
    import traceback

    lines = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        lines.append(f"{type(current).__module__}.{type(current).__name__}")
        lines += [f"  {f.filename.rsplit('/', 1)[-1]}:{f.lineno} in {f.name}" for f in frames]
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return "\n".join(lines)
