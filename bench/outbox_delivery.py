"""How long the sender takes to deliver 100 queued escalations to a local SMTP server (aiosmtpd).

python bench/outbox_delivery.py [N]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.mail.sender import OutboxSender
from bot.mail.transports import SmtpTransport
from bot.store.db import create_all, make_engine
from bot.store.escalations import EscalationStore
from tests.mail.smtp_server import SmtpServer


def main(n: int = 100) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        create_all(engine)
        store = EscalationStore(engine)
        passages = [{"position": 1, "title": "Bulletin", "source": "bulletin.md", "url": None, "quote": "Contact IG."}]
        for i in range(n):
            store.create(
                f"bench-{i}",
                user_name="Bench User",
                user_email="bench@example.org",
                question=f"Can I use Copilot on case notes? ({i})",
                fields={"question": "Can I use Copilot on case notes?", "contact": "Bench User"},
                passages=passages,
                conversation_reference=None,
            )
        server = SmtpServer().start()
        try:
            sender = OutboxSender(store, SmtpTransport("127.0.0.1", server.port, starttls=False), "a@x.org", "b@x.org")
            started = time.perf_counter()
            asyncio.run(sender.run(until_empty=True))
            elapsed = time.perf_counter() - started
        finally:
            server.stop()
        assert len(server.handler.accepted) == n, len(server.handler.accepted)
        print(f"delivered {n} escalations in {elapsed:.2f} s ({n / elapsed:.0f} per second)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
