"""The IG hand-off under load: 30 users, one turn in ten a hand-off (question -> card -> Send -> reference).

Run with `python -m bench.handoff` (also part of `make bench`). The same run first measures the
same users asking questions only, so the two question p95s compare on one busy machine. Targets:
question p95 under 300 ms with hand-offs mixed in, and Send -> reference p95 under 500 ms.
The connector serves the Teams roster (members endpoint), so every offer does its roster lookup.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from aiohttp import ClientSession, ClientTimeout, web

from bench.loadgen import ROOT, ROW_HEAD, Load, ReplyCollector, Run, Server, activity, unique_questions

USERS, ROUNDS = 30, 3  # each round: nine questions and one hand-off per user
HANDOFF = "Can I use Copilot to summarise case notes about children in care? (query {n})"
CARD = "application/vnd.microsoft.card.adaptive"


class HandoffCollector(ReplyCollector):
    """The reply endpoint, plus the roster, plus who is waiting for a card or a reference."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, asyncio.Future[dict]] = {}
        self.references: dict[str, asyncio.Future[float]] = {}

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/v3/conversations/{conversation}/members/{member}", self._member)

    async def _member(self, request: web.Request) -> web.Response:
        member = request.match_info["member"]
        return web.json_response({"id": member, "name": "User", "email": f"{member.split(':')[-1]}@example.org"})

    async def _reply(self, request: web.Request) -> web.Response:
        body = await request.json()
        conversation = request.match_info["conversation"]
        for attachment in body.get("attachments") or []:
            fut = self.cards.pop(conversation, None)
            if attachment.get("contentType") == CARD and fut is not None and not fut.done():
                fut.set_result(attachment["content"])
        if "Your reference is IG-" in (body.get("text") or ""):
            fut = self.references.pop(conversation, None)
            if fut is not None and not fut.done():
                fut.set_result(time.perf_counter())
        return await super()._reply(request)


class HandoffLoad(Load):
    collector: HandoffCollector

    async def handoff(self, n: int, user: int, asked: Run, sent: Run) -> None:
        conversation = f"a:conv-{user}"
        loop = asyncio.get_running_loop()
        card = self.collector.cards[conversation] = loop.create_future()
        await self.ask(HANDOFF.format(n=n), user, asked)
        try:
            offered = await asyncio.wait_for(card, 30)
        except TimeoutError:
            sent.errors += 1
            return
        button = next(a for a in offered["actions"] if "send_to_ig" in (a.get("verb"), a["data"].get("action")))
        data = {**button["data"], **{e["id"]: e.get("value", "") for e in offered["body"] if e["type"] == "Input.Text"}}
        body = activity(self.collector.url, "", user)
        body.pop("text")
        if button["type"] == "Action.Submit":  # a card from before Universal Actions: a message with a value
            body["value"] = data
        else:
            body.update(
                type="invoke",
                name="adaptiveCard/action",
                value={"action": {"type": "Action.Execute", "verb": button["verb"], "data": data}},
            )
        reference = self.collector.references[conversation] = loop.create_future()
        started = time.perf_counter()
        try:
            async with self.http.post(f"{self.bot_url}/api/messages", json=body) as r:
                reply = await r.read()
                if r.status >= 300 or (button["type"] == "Action.Execute" and b"Sent: IG-" not in reply):
                    sent.errors += 1
                    return
            sent.latencies.append(await asyncio.wait_for(reference, 30) - started)
        except Exception:
            sent.errors += 1

    async def mixed(self, users: int, rounds: int, offset: int) -> tuple[Run, Run]:
        asked, sent = Run(f"{users} users, one turn in ten a hand-off: questions"), Run("Send -> reference")
        questions = iter(unique_questions(users * rounds * 9, offset=offset))

        async def user(u: int) -> None:
            for r in range(rounds):
                for k in range(10):
                    if k == (u + r) % 10:  # users' hand-offs are spread over the round
                        await self.handoff(offset + u * rounds + r, u, asked, sent)
                    else:
                        await self.ask(next(questions), u, asked)

        t0 = time.perf_counter()
        await asyncio.gather(*(user(u) for u in range(users)))
        asked.wall = sent.wall = time.perf_counter() - t0
        return asked, sent


async def measure(index_dir: Path, root: Path = ROOT) -> dict[str, Run]:
    collector = await HandoffCollector().start()
    server = Server(index_dir, root)
    try:
        async with ClientSession(timeout=ClientTimeout(total=120)) as http:
            await server.start(http)
            load = HandoffLoad(server.url, collector, http)
            await load.closed_loop("warm-up", 10, unique_questions(40, offset=80_000))
            only = await load.closed_loop(
                f"{USERS} users, questions only", USERS, unique_questions(USERS * ROUNDS * 10, offset=100_000)
            )
            asked, sent = await load.mixed(USERS, ROUNDS, offset=200_000)
    finally:
        server.stop()
        await collector.stop()
    return {"only": only, "asked": asked, "sent": sent}


def report(runs: dict[str, Run]) -> list[str]:
    asked, sent = runs["asked"], runs["sent"]
    errors = sum(r.errors for r in runs.values())
    return [
        "## The IG hand-off under load (`python -m bench.handoff`)",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| question p95 < 300 ms with hand-offs mixed in | {asked.pct(0.95):.0f} ms | {asked.pct(0.95) < 300} |",
        f"| Send -> reference p95 < 500 ms | {sent.pct(0.95):.0f} ms | {sent.pct(0.95) < 500} |",
        f"| 0 errors | {errors} | {errors == 0} |",
        "",
        ROW_HEAD.replace("questions |", "turns |"),
        *[r.row() for r in runs.values()],
        "",
    ]


async def main(compare: Path | None) -> int:
    """This checkout; with `--compare OTHER_CHECKOUT`, that one too, then this one again, in one run."""
    from bot.compose import make_embedder
    from bot.core.index_store import build_index

    index_dir = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    build_index(ROOT / "knowledge", index_dir, make_embedder())
    roots = [ROOT] if compare is None else [compare, ROOT, compare, ROOT]
    for root in roots:
        print(f"### {root}\n")
        print("\n".join(report(await measure(index_dir, root))))
    return 0


if __name__ == "__main__":
    other = Path(sys.argv[2]) if sys.argv[1:2] == ["--compare"] else None
    sys.exit(asyncio.run(main(other)))
