"""The SMTP relay named by ``FLOORWALKER_SMTP_URL``, and sending one message through it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib


class PermanentFailure(Exception):
    """The relay refused the message for good (5xx): retrying will not help."""


class TemporaryFailure(Exception):
    """The relay could not be reached or answered 4xx: try again later."""


@dataclass(frozen=True, slots=True)
class Relay:
    """Where and how to hand e-mails over."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool | None = None  # None: upgrade when the server offers it
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> Relay:
        """``smtp://user:password@host:587`` or ``smtps://host:465``; ``?starttls=off``."""
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        start_tls: bool | None = None
        if query.get("starttls", [""])[0].lower() in {"off", "false", "0", "no"}:
            start_tls = False
        elif query.get("starttls", [""])[0].lower() in {"on", "true", "1", "yes"}:
            start_tls = True
        return cls(host=parts.hostname or "localhost", port=parts.port or (465 if tls else 25),
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password else None,
                   use_tls=tls, start_tls=None if tls else start_tls)

    async def send(self, message: EmailMessage, sender: str | None = None) -> None:
        """Hand ``message`` to the relay on a connection of its own; raises
        :class:`PermanentFailure` or :class:`TemporaryFailure`."""
        async with self.connect() as connection:
            await connection.send(message, sender)

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Connection]:
        """One SMTP session for several messages (the sender's batch); raises
        :class:`TemporaryFailure` when the relay cannot be reached."""
        client = aiosmtplib.SMTP(hostname=self.host, port=self.port, username=self.username,
                                 password=self.password, use_tls=self.use_tls,
                                 start_tls=self.start_tls, timeout=self.timeout)
        try:
            await client.connect()
        except aiosmtplib.SMTPResponseException as exc:
            raise _failure(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        try:
            yield Connection(client)
        finally:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                if client.is_connected:
                    await client.quit()


def _failure(exc: aiosmtplib.SMTPResponseException) -> Exception:
    if 500 <= exc.code < 600:
        return PermanentFailure(f"{exc.code} {exc.message}")
    return TemporaryFailure(f"{exc.code} {exc.message}")


class Connection:
    """An open SMTP session."""

    def __init__(self, client: aiosmtplib.SMTP) -> None:
        self.client = client

    @property
    def usable(self) -> bool:
        return bool(self.client.is_connected)

    async def send(self, message: EmailMessage, sender: str | None = None) -> None:
        """Send one message (``sender``: the envelope's, else its From); raises
        :class:`PermanentFailure` or :class:`TemporaryFailure` (after which the session
        may be closed)."""
        try:
            await self.client.send_message(message, sender=sender)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [err.code for err in exc.recipients]
            if codes and all(500 <= code < 600 for code in codes):
                raise PermanentFailure(str(exc)) from exc
            raise TemporaryFailure(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise _failure(exc) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
