"""Live reload: serve a new index as soon as one is built, without failing requests in flight.

A build moves `index/current` atomically (see bot.core.index_store). The running bot polls that
link; when it points at a new build, the build is loaded off the event loop and swapped into the
Assistant. A request already running keeps the snapshot it started with. IG members can also ask
for a refresh from Teams; one refresh runs at a time.

Several replicas may share one index folder (a mounted volume): each polls `current` and loads a
new build whoever made it. Two builds at once in one folder can leave `current` pointing at a
build the other pruned, so a build takes a file lock in the index folder (`.build.lock`): a
refresh on one replica waits for another's, then finds the knowledge already indexed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from bot.core.assistant import Assistant
from bot.core.index_store import BuildReport, build_index, current_build, load_index
from bot.supervise import Supervised

log = logging.getLogger(__name__)

BUILD_LOCK_TIMEOUT_S = 1800  # a build of a large knowledge folder takes minutes, not hours


def build_lock(index_dir: Path) -> FileLock:
    """The lock every build into `index_dir` holds, across processes and replicas sharing the folder."""
    Path(index_dir).mkdir(parents=True, exist_ok=True)
    return FileLock(str(Path(index_dir) / ".build.lock"), timeout=BUILD_LOCK_TIMEOUT_S)


@dataclass(frozen=True)
class IndexStatus:
    """What `index status` tells the IG team."""

    build_id: str
    built_at: str
    documents: int
    chunks: int
    failed: dict[str, str]
    index_type: str

    def text(self) -> str:
        lines = [
            f"Index {self.build_id}, built {self.built_at}: {self.documents} documents, "
            f"{self.chunks} passages ({self.index_type} search)."
        ]
        if self.failed:
            lines.append(f"{len(self.failed)} file(s) could not be read (their last good version is served):")
            lines.extend(f"- {reason}" for reason in self.failed.values())
        else:
            lines.append("No files failed.")
        return "\n".join(lines)


class IndexService:
    """Owns the Assistant's index: watches for new builds, refreshes on request."""

    def __init__(
        self,
        assistant: Assistant,
        knowledge_dir: Path,
        index_dir: Path,
        poll_seconds: float = 5.0,
        hnsw_above: int | None = None,
        on_swap: Callable[[Assistant], None] | None = None,
    ) -> None:
        self.assistant = assistant
        self.knowledge_dir = knowledge_dir
        self.index_dir = index_dir
        self.poll_seconds = poll_seconds
        self.hnsw_above = hnsw_above
        self._on_swap = on_swap
        self._lock = asyncio.Lock()  # one build or load at a time
        self.task = Supervised("index-reload")

    def status(self) -> IndexStatus:
        snap = self.assistant.snapshot
        m = snap.manifest
        return IndexStatus(
            build_id=snap.build_id,
            built_at=m.get("built_at", "unknown"),
            documents=len(m.get("files", {})),
            chunks=len(snap.chunks),
            failed=dict(m.get("failed", {})),
            index_type=m.get("index_type", "flat"),
        )

    async def reload_if_new(self) -> bool:
        """Swap in the build `current` points at, if it is not the one being served."""
        async with self._lock:
            return await self._reload_locked()

    async def _reload_locked(self) -> bool:
        target = current_build(self.index_dir)
        if target is None or target == self.assistant.snapshot.path:
            return False
        loop = asyncio.get_running_loop()
        snapshot = await loop.run_in_executor(None, load_index, self.index_dir)
        if snapshot.path == self.assistant.snapshot.path:
            return False
        self.assistant.swap(snapshot)
        if self._on_swap:
            self._on_swap(self.assistant)
        log.info("serving index %s (%d chunks)", snapshot.build_id, len(snapshot.chunks))
        return True

    async def refresh(self) -> BuildReport:
        """Rebuild from the knowledge folder off the event loop, then serve the result."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            kwargs = {} if self.hnsw_above is None else {"hnsw_above": self.hnsw_above}

            def run() -> BuildReport:
                with build_lock(self.index_dir):
                    return build_index(self.knowledge_dir, self.index_dir, self.assistant.embedder, **kwargs)

            report = await loop.run_in_executor(None, run)
            await self._reload_locked()
            return report

    async def _poll(self) -> float:
        await self.reload_if_new()
        return self.poll_seconds

    async def watch(self) -> None:
        """Poll `current` until stopped; a failed load keeps the served index and is retried with backoff."""
        await self.task.loop(self._poll, first_wait=self.poll_seconds)

    def stop(self) -> None:
        self.task.stop()
