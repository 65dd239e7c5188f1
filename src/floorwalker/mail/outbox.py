"""The outbox: every e-mail the product sends is a row of ``emails`` first.

An action queues it in its own transaction (so an e-mail exists exactly when what
caused it committed) and wakes the sender after the commit. The sender claims a due row
with a conditional UPDATE that sets a lease (two processes never claim the same row;
a process killed mid-send leaves a lease that runs out, and the row is sent again), hands
it to the relay, and marks it sent. A relay that is down or answers 4xx gets the e-mail
again later (:data:`BACKOFF`); one that answers 5xx, or the last attempt, fails it.

The Message-ID is fixed when the row is queued, so a resend after a crash between the
relay's 250 and our mark is the same e-mail (mail clients show one). Delivery is at
least once; the window for a second copy is that gap.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import structlog
from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.errors import ApiError
from floorwalker.mail import addresses
from floorwalker.mail.smtp import Connection, PermanentFailure, Relay, TemporaryFailure
from floorwalker.ops.background import Background
from floorwalker.store.tables import emails, workspaces

log = structlog.get_logger("floorwalker.mail")

# Seconds to wait after the 1st, 2nd... failed attempt; one more attempt than waits.
BACKOFF: tuple[float, ...] = (30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600)
MAX_ATTEMPTS = len(BACKOFF) + 1
LEASE_SECONDS = 120.0
# A plain address: no display name, no spaces or line breaks (those would be headers).
ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z0-9-]{2,63}$")


def valid_address(value: object) -> bool:
    """Whether ``value`` is an address we would send to."""
    return isinstance(value, str) and len(value) <= 320 and ADDRESS.match(value) is not None


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def quiet_until(now: float, start: str | None, end: str | None, zone: str) -> float | None:
    """When the quiet hours around ``now`` end (epoch seconds), or None outside them.
    ``start`` and ``end`` are "HH:MM" in ``zone``; a window may span midnight."""
    if not start or not end or start == end:
        return None
    tz = ZoneInfo(zone) if valid_timezone(zone) else ZoneInfo("UTC")
    local = datetime.fromtimestamp(now, tz)
    minutes = local.hour * 60 + local.minute
    a = int(start[:2]) * 60 + int(start[3:])
    b = int(end[:2]) * 60 + int(end[3:])
    inside = a <= minutes < b if a < b else (minutes >= a or minutes < b)
    if not inside:
        return None
    day = local.date() if minutes < b else local.date() + timedelta(days=1)
    ends = datetime(day.year, day.month, day.day, b // 60, b % 60, tzinfo=tz)
    return ends.timestamp()


def outbox_address(value: str | None) -> bool:
    """A sender address we may put in From (the same rule as a recipient's)."""
    return value is not None and valid_address(value)


def one_line(value: str, limit: int) -> str:
    """A header value: line breaks and control characters become spaces, at most
    ``limit`` characters."""
    return re.sub(r"[\x00-\x1f\x7f]+", " ", value).strip()[:limit]


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """An e-mail to queue."""

    workspace_id: str
    kind: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None = None
    from_name: str | None = None
    language: str | None = None
    conversation_id: str | None = None
    visitor_id: str | None = None
    in_reply_to: str | None = None
    thread_refs: str | None = None
    reply_to: str | None = None
    through_seq: int | None = None
    list_unsubscribe: str | None = None  # the one-click unsubscribe URL (RFC 8058)
    from_address: str | None = None  # the workspace's own sender, else the server's


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1]


async def enqueue(conn: AsyncConnection, draft: Draft, *, now: float, mail_from: str) -> str:
    """Queue ``draft``; returns its Message-ID. Call it inside the action's transaction
    and wake the sender from an on-commit hook."""
    if not valid_address(draft.to_address):
        raise ApiError(422, "invalid_address", f"{draft.to_address!r} is not an address "
                       "we can send to.", [{"path": "$.to"}])
    email_id = "e_" + secrets.token_hex(10)
    message_id = f"<{email_id}@{domain_of(mail_from)}>"
    await conn.execute(insert(emails).values(
        id=email_id, workspace_id=draft.workspace_id, kind=draft.kind,
        conversation_id=draft.conversation_id, visitor_id=draft.visitor_id,
        to_address=draft.to_address,
        from_name=one_line(draft.from_name, 200) if draft.from_name else None,
        subject=one_line(draft.subject, 300), body_text=draft.body_text,
        body_html=draft.body_html, message_id=message_id, in_reply_to=draft.in_reply_to,
        thread_refs=draft.thread_refs, reply_to=draft.reply_to, language=draft.language,
        list_unsubscribe=draft.list_unsubscribe,
        from_address=draft.from_address if outbox_address(draft.from_address) else None,
        through_seq=draft.through_seq, status="queued", attempts=0, next_attempt_at=now,
        claimed_until=None, last_error=None, created_at=now, sent_at=None))
    return message_id


def compose(row: RowMapping | dict[str, Any], mail_from: str) -> EmailMessage:
    """The MIME message of an outbox row: plain text, and HTML as its alternative."""
    msg = EmailMessage()
    msg["From"] = formataddr((row["from_name"] or "", row.get("from_address") or mail_from))
    msg["To"] = row["to_address"]
    msg["Subject"] = row["subject"]
    msg["Date"] = formatdate(row["created_at"], usegmt=True)
    msg["Message-ID"] = row["message_id"]
    if row["in_reply_to"]:
        msg["In-Reply-To"] = row["in_reply_to"]
        msg["References"] = row["thread_refs"] or row["in_reply_to"]
    if row["reply_to"]:
        msg["Reply-To"] = row["reply_to"]
    # Sent by software, not typed: out-of-office replies must not answer it (RFC 3834).
    msg["Auto-Submitted"] = "auto-generated"
    if row.get("list_unsubscribe"):
        msg["List-Unsubscribe"] = f"<{row['list_unsubscribe']}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(row["body_text"])
    if row["body_html"]:
        msg.add_alternative(row["body_html"], subtype="html")
    if row["language"]:  # after the bodies: setting them drops Content-* headers
        msg["Content-Language"] = row["language"]
    return msg


async def due_ids(conn: AsyncConnection, now: float, limit: int = 20) -> list[str]:
    """Queued e-mails whose time has come and that nobody holds."""
    e = emails.c
    rows = await conn.execute(select(e.id).where(
        e.status == "queued", e.next_attempt_at <= now,
        or_(e.claimed_until.is_(None), e.claimed_until <= now),
    ).order_by(e.next_attempt_at).limit(limit))
    return [str(r.id) for r in rows]


async def claim(conn: AsyncConnection, email_id: str, now: float,
                lease: float = LEASE_SECONDS) -> RowMapping | None:
    """Take ``email_id`` for ``lease`` seconds, or None when another process has it (or
    it is no longer queued). Commit before sending."""
    e = emails.c
    taken = await conn.execute(update(emails).where(
        e.id == email_id, e.status == "queued",
        or_(e.claimed_until.is_(None), e.claimed_until <= now),
    ).values(claimed_until=now + lease, attempts=e.attempts + 1))
    if taken.rowcount != 1:
        return None
    return (await conn.execute(select(emails).where(e.id == email_id))).mappings().first()


async def mark_sent(conn: AsyncConnection, row: RowMapping, now: float) -> bool:
    """The relay took it: sent, if our lease still holds (else someone else has it)."""
    e = emails.c
    done = await conn.execute(update(emails).where(
        e.id == row["id"], e.status == "queued", e.claimed_until == row["claimed_until"],
    ).values(status="sent", sent_at=now, claimed_until=None, last_error=None))
    return done.rowcount == 1


async def mark_failed(conn: AsyncConnection, row: RowMapping, now: float, error: str,
                      *, permanent: bool) -> str:
    """The attempt failed: wait and try again, or give up; returns the new status."""
    e = emails.c
    attempts = int(row["attempts"])
    give_up = permanent or attempts >= MAX_ATTEMPTS
    status = "failed" if give_up else "queued"
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1] if attempts else BACKOFF[0]
    await conn.execute(update(emails).where(
        e.id == row["id"], e.status == "queued", e.claimed_until == row["claimed_until"],
    ).values(status=status, claimed_until=None, last_error=error[:1000],
             next_attempt_at=now if give_up else now + wait))
    return status


class Sender:
    """Sends what the outbox holds: polls every ``every`` seconds, and at once when an
    action that queued an e-mail has committed (:meth:`wake`)."""

    def __init__(self, engine: AsyncEngine, relay: Relay | None, mail_from: str, *,
                 every: float = 2.0, lease: float = LEASE_SECONDS,
                 return_path: Callable[[str], str] | None = None) -> None:
        self.engine = engine
        # The envelope sender per e-mail id (bounces then name the e-mail); else From.
        self.return_path = return_path
        self.relay = relay
        self.mail_from = mail_from
        self.every = every
        self.lease = lease
        self._wake = asyncio.Event()
        self._task = Background("floorwalker-mail-sender")

    def start(self) -> None:
        """Begin sending (nothing happens without a relay: e-mails wait queued)."""
        if self.relay is not None:
            self._task.start(self._loop)

    async def stop(self) -> None:
        await self._task.stop()

    async def _quiet(self, conn: AsyncConnection, row: RowMapping,
                     now: float) -> float | None:
        """The end of the workspace's quiet hours, when a scenario's e-mail is due in them."""
        raw = (await conn.execute(select(workspaces.c.settings).where(
            workspaces.c.id == row["workspace_id"]))).scalar()
        doc = msgspec.json.decode(raw) if raw else {}
        return quiet_until(now, doc.get("email_quiet_start"), doc.get("email_quiet_end"),
                           str(doc.get("email_timezone") or "UTC"))

    async def wake(self) -> None:
        """An on-commit hook: something was queued."""
        self._wake.set()

    async def tick(self, now: float | None = None) -> int:
        """Send every due e-mail once, a batch per SMTP session; returns how many the
        relay took."""
        if self.relay is None:
            return 0
        sent = 0
        while True:
            at = time.time() if now is None else now
            async with self.engine.connect() as conn:
                ids = await due_ids(conn, at)
            if not ids:
                return sent
            sent += await self._batch(ids, now)

    async def _batch(self, ids: list[str], now: float | None) -> int:
        assert self.relay is not None
        sent = 0
        async with contextlib.AsyncExitStack() as stack:
            connection: Connection | None = None
            for email_id in ids:
                async with self.engine.begin() as conn:
                    row = await claim(conn, email_id, time.time() if now is None else now,
                                      self.lease)
                    refused = (await addresses.status_of(conn, row["workspace_id"],
                                                         row["to_address"])
                               if row is not None else None)
                    if row is not None and refused is not None:
                        await skip(conn, row, f"the address is {refused}")
                        row = None
                    if row is not None and row["kind"] == "triggered":
                        later = await self._quiet(conn, row, time.time() if now is None
                                                  else now)
                        if later is not None:
                            await postpone(conn, row, later)
                            row = None
                if row is None:
                    continue
                try:
                    if connection is None or not connection.usable:
                        connection = await stack.enter_async_context(self.relay.connect())
                    await connection.send(compose(row, self.mail_from),
                                          self.return_path(row["id"]) if self.return_path
                                          else None)
                except (PermanentFailure, TemporaryFailure) as exc:
                    async with self.engine.begin() as conn:
                        status = await mark_failed(
                            conn, row, time.time() if now is None else now, str(exc),
                            permanent=isinstance(exc, PermanentFailure))
                    log.warning("e-mail not sent", email_id=email_id, status=status,
                                attempts=row["attempts"], error=str(exc))
                    connection = None  # a new session for the next one
                    continue
                async with self.engine.begin() as conn:
                    await mark_sent(conn, row, time.time() if now is None else now)
                log.info("e-mail sent", email_id=email_id, kind=row["kind"])
                sent += 1
        return sent

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("mail sender tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.every)
            self._wake.clear()


async def postpone(conn: AsyncConnection, row: RowMapping, until: float) -> None:
    """Not now (the workspace's quiet hours): due again at ``until``; not an attempt."""
    e = emails.c
    await conn.execute(update(emails).where(
        e.id == row["id"], e.claimed_until == row["claimed_until"],
    ).values(claimed_until=None, next_attempt_at=until, attempts=e.attempts - 1))


async def skip(conn: AsyncConnection, row: RowMapping, reason: str) -> None:
    """Not sent, and never will be: its address bounced or unsubscribed after it was
    queued."""
    e = emails.c
    await conn.execute(update(emails).where(
        e.id == row["id"], e.claimed_until == row["claimed_until"],
    ).values(status="skipped", claimed_until=None, last_error=reason))


async def mark_bounced(conn: AsyncConnection, email_id: str, reason: str) -> str | None:
    """A bounce (DSN) says the e-mail will never arrive: ``bounced``; returns its
    workspace and address as ``workspace_id|address``, or None when unknown."""
    e = emails.c
    row = (await conn.execute(select(e.workspace_id, e.to_address).where(
        e.id == email_id))).first()
    if row is None:
        return None
    await conn.execute(update(emails).where(e.id == email_id).values(
        status="bounced", last_error=reason[:1000]))
    return f"{row.workspace_id}|{row.to_address}"


LISTED = ("id", "kind", "conversation_id", "visitor_id", "to_address", "subject",
          "message_id", "in_reply_to", "status", "attempts", "next_attempt_at", "last_error",
          "created_at", "sent_at")


async def listing(conn: AsyncConnection, workspace_id: str, *, status: str | None = None,
                  conversation_id: str | None = None, before: float | None = None,
                  limit: int = 50) -> list[dict[str, Any]]:
    """A workspace's e-mails, newest first, without their bodies (``GET /api/emails``,
    ``floorwalker mail list``)."""
    e = emails.c
    where = [e.workspace_id == workspace_id]
    if status is not None:
        where.append(e.status == status)
    if conversation_id is not None:
        where.append(e.conversation_id == conversation_id)
    if before is not None:
        where.append(e.created_at < before)
    found = await conn.execute(select(*(e[name] for name in LISTED)).where(*where)
                               .order_by(e.created_at.desc(), e.id.desc()).limit(limit))
    return [dict(r) for r in found.mappings()]

