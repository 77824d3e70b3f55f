"""Where escalation emails go: an SMTP server, Microsoft Graph, or a local folder.

Each transport's `send` returns only once the message was accepted (SMTP 250 after DATA, Graph
202, the file renamed into place) and raises otherwise, so the sender can mark delivery honestly.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)


class Transport(Protocol):
    name: str

    async def send(self, message: EmailMessage) -> None: ...


class SmtpTransport:
    """SMTP through aiosmtplib; STARTTLS and authentication as configured."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int = 587,
        starttls: bool = True,
        username: str = "",
        password: str = "",
        use_tls: bool = False,
        timeout: float = 60.0,
    ) -> None:
        self.host, self.port, self.starttls, self.use_tls = host, port, starttls, use_tls
        self.username, self.password, self.timeout = username, password, timeout

    async def send(self, message: EmailMessage) -> None:
        import aiosmtplib

        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            start_tls=self.starttls and not self.use_tls,
            use_tls=self.use_tls,
            username=self.username or None,
            password=self.password or None,
            timeout=self.timeout,
        )


class GraphTransport:
    """Microsoft Graph sendMail with app credentials (client-credentials flow).

    The message goes as MIME (base64 in a text/plain body), so its Message-ID, the idempotency
    key, survives exactly as in the SMTP path.
    """

    name = "graph"

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        mailbox: str,
        authority: str = "https://login.microsoftonline.com",
        graph_url: str = "https://graph.microsoft.com",
        timeout: float = 60.0,
    ) -> None:
        self.tenant_id, self.client_id, self.client_secret, self.mailbox = tenant_id, client_id, client_secret, mailbox
        self.authority, self.graph_url = authority.rstrip("/"), graph_url.rstrip("/")
        self.timeout = timeout
        self._token: tuple[str, float] | None = None

    async def _access_token(self, http) -> str:
        if self._token and self._token[1] > time.monotonic() + 60:
            return self._token[0]
        url = f"{self.authority}/{self.tenant_id}/oauth2/v2.0/token"
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "scope": "https://graph.microsoft.com/.default",
        }
        async with http.post(url, data=form) as r:
            body = await r.json(content_type=None)
            if r.status != 200 or "access_token" not in body:
                raise RuntimeError(f"token request failed: HTTP {r.status} {body.get('error', '')}")
        self._token = (body["access_token"], time.monotonic() + float(body.get("expires_in", 3599)))
        return self._token[0]

    async def send(self, message: EmailMessage) -> None:
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http:
            token = await self._access_token(http)
            url = f"{self.graph_url}/v1.0/users/{self.mailbox}/sendMail"
            mime = base64.b64encode(message.as_bytes())
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
            async with http.post(url, data=mime, headers=headers) as r:
                if r.status == 401:
                    self._token = None
                if r.status != 202:
                    raise RuntimeError(f"Graph sendMail failed: HTTP {r.status}")


class FolderTransport:
    """The embedded default: each email is an .eml file in a folder (written, then renamed)."""

    name = "folder"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in message["Message-ID"].strip("<>"))
        target = self.folder / f"{stem}.eml"
        tmp = target.with_suffix(".eml.tmp")
        with open(tmp, "wb") as f:
            f.write(message.as_bytes())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)  # same name on a resend: still one email per escalation
