"""Whether the database answers, checked in the background for /healthz.

A load balancer must stop sending staff to an instance whose database is away (every question
would fail on its conversation state, every Send on its escalation), and send them again once it
is back, without a restart. The check is `SELECT 1` every couple of seconds, off the event loop,
under bot.supervise like the other background loops: the outage is logged once, not every check.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from tenacity import wait_fixed

from bot.store.db import check_connection
from bot.supervise import Supervised


class DatabaseWatch:
    def __init__(self, engine: Engine, interval: float = 2.0, timeout: float = 5.0) -> None:
        self.engine = engine
        self.interval, self.timeout = interval, timeout
        # a fixed wait, not a backoff: readiness must come back within seconds of the database
        self.task = Supervised("database-watch", wait=wait_fixed(interval))
        self.reachable: bool | None = None  # unknown until the first check

    async def _pass(self) -> float:
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.run_in_executor(None, check_connection, self.engine), self.timeout)
        except Exception:
            self.reachable = False
            raise
        self.reachable = True
        return self.interval

    async def run(self) -> None:
        await self.task.loop(self._pass)

    def stop(self) -> None:
        self.task.stop()

    def not_ready(self) -> str | None:
        """Why the instance is not ready, while the database does not answer (type names only)."""
        if self.reachable is False:
            return f"the database is unreachable ({self.task.error or 'no answer'})"
        return None

    def report(self) -> dict[str, str]:
        return {"database": {None: "unchecked", True: "reachable", False: "unreachable"}[self.reachable]}
