"""A real SMTP server (aiosmtpd) on localhost that records what it accepted, and can stall."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from email.message import Message

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """aiosmtpd handler: `accepted` holds messages it answered 250 to; `attempts` every DATA seen."""

    def __init__(self) -> None:
        self.accepted: list[Message] = []
        self.attempts: list[str] = []
        self.stall = threading.Event()  # while set, DATA hangs, then is refused (never accepted)
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = email.message_from_bytes(envelope.content)
        self.attempts.append(msg["Message-ID"])
        if self.stall.is_set():
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 try again later"
        self.accepted.append(msg)
        return "250 OK"

    def wait_accepted(self, n: int = 1, timeout: float = 30.0) -> list[Message]:
        deadline = time.monotonic() + timeout
        while len(self.accepted) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"SMTP server got {len(self.accepted)} messages, expected {n}")
            time.sleep(0.05)
        return self.accepted


class SmtpServer:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = Recorder()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller:
            self._controller.stop()
            self._controller = None
