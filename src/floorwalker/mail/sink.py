"""A mailbox: an SMTP server on loopback that keeps what it is sent (the last
``keep`` e-mails, in memory). ``floorwalker demo`` starts one so a new user sees every
e-mail the product sends (``/demo/mailbox``); the tests deliver to one too."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

MAX_MESSAGE_BYTES = 1024 * 1024


@dataclass(slots=True)
class Caught:
    """One e-mail the mailbox received."""

    received_at: float
    mail_from: str
    rcpt_to: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str | None:
        """The ``text/<subtype>`` body, decoded."""
        body = self.message.get_body(preferencelist=(subtype,))
        return None if body is None else str(body.get_content()).replace("\r\n", "\n")

    def view(self) -> dict[str, Any]:
        m = self.message
        return {"received_at": self.received_at, "from": str(m["From"] or ""),
                "to": str(m["To"] or ""), "subject": str(m["Subject"] or ""),
                "message_id": str(m["Message-ID"] or ""),
                "in_reply_to": str(m["In-Reply-To"] or "") or None,
                "reply_to": str(m["Reply-To"] or "") or None,
                "text": self.part("plain"), "html": self.part("html")}


@dataclass
class Mailbox:
    """The SMTP server and what it caught."""

    host: str = "127.0.0.1"
    port: int = 0  # 0: any free port (see ``port`` once started)
    keep: int = 200
    caught: deque[Caught] = field(default_factory=deque)
    refuse: int | None = None  # answer every RCPT with this code (tests: 450, 550)
    delay: float = 0.0  # seconds before it answers each DATA (tests: a slow relay)
    _server: asyncio.AbstractServer | None = None
    _arrived: asyncio.Condition | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._arrived = asyncio.Condition()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="floorwalker-mailbox", data_size_limit=MAX_MESSAGE_BYTES),
            self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}?starttls=off"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if self.refuse is not None:
            return f"{self.refuse} {'Try again later' if self.refuse < 500 else 'No such user'}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = envelope.original_content or envelope.content or b""
        message = message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(),
                                     policy=policy.default)
        self.caught.append(Caught(time.time(), str(envelope.mail_from),
                                  list(envelope.rcpt_tos), message))
        while len(self.caught) > self.keep:
            self.caught.popleft()
        if self._arrived is not None:
            async with self._arrived:
                self._arrived.notify_all()
        return "250 Message accepted"

    async def wait_for(self, count: int, seconds: float = 10.0) -> list[Caught]:
        """Wait until the mailbox holds ``count`` e-mails (tests)."""
        assert self._arrived is not None

        async def enough() -> None:
            assert self._arrived is not None
            async with self._arrived:
                await self._arrived.wait_for(lambda: len(self.caught) >= count)

        await asyncio.wait_for(enough(), seconds)
        return list(self.caught)
