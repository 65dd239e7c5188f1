"""Replies by e-mail: an SMTP server (aiosmtpd) for the inbound domain that stores each
reply as the visitor's message in its conversation before it answers 250.

A recipient must be a reply address we signed (``reply+<token>@<inbound domain>``, see
:mod:`floorwalker.mail.tokens`), a bounce address we signed, or a workspace's support
address (``support+<slug>@<inbound domain>``, which starts a conversation): anything
else, a forged or an expired token, is refused at RCPT, so it never reaches a
conversation. The sender must be an address the
conversation's e-mails went to. The same e-mail delivered twice (an SMTP retry) is stored
once: its Message-ID is the message's client id. Out-of-office and other automatic
replies are accepted and dropped. Each sender may reply :data:`PER_HOUR` times an hour.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from email.utils import getaddresses

import msgspec
import structlog
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from floorwalker import protocol as p
from floorwalker.chat import actions as chat_actions
from floorwalker.chat import service as chat_service
from floorwalker.errors import ApiError
from floorwalker.events import Incoming
from floorwalker.mail import addresses, outbox, texts
from floorwalker.mail.parts import MailParts, brand, visitor_profile
from floorwalker.mail.reply_text import new_text
from floorwalker.mail.tokens import conversation_of, unsigned
from floorwalker.ops.ratelimit import RateLimiter
from floorwalker.profiles.model import PROFILE_DECODER
from floorwalker.store.tables import conversations, emails, visitors, workspaces
from floorwalker.store.transaction import atomic
from floorwalker.tenancy.service import get_workspace

log = structlog.get_logger("floorwalker.mail")

PER_HOUR = 30
SUPPORT_PER_HOUR = 5  # new conversations one sender may start by e-mail in an hour
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
ENCODE = msgspec.json.Encoder()
BOUNCE_DAYS = 30  # a bounce comes within days of the e-mail; older bounce addresses: refused
MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivered e-mail, for the SMTP answer and the tests."""

    code: str  # stored | duplicate | automatic | empty
    conversation_id: str
    message_id: str | None = None


class Refused(Exception):
    """The e-mail is refused; ``reply`` is the SMTP answer."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.reply = reply


def permanent_failure(message: Message) -> str | None:
    """The reason of a delivery status notification (RFC 3464) saying a recipient failed
    for good (``Action: failed``, ``Status: 5.x.x``), or None (a delay, a success, or no
    DSN at all)."""
    if message.get_content_type() != "multipart/report":
        return None
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            action = str(block.get("Action", "")).strip().lower()
            status = str(block.get("Status", "")).strip()
            if action == "failed" and status.startswith("5"):
                diagnostic = str(block.get("Diagnostic-Code", "")).strip()
                return f"{status} {diagnostic}".strip()[:500]
    return None


def _automatic(message: EmailMessage) -> bool:
    """An out-of-office, a list or another machine's reply (RFC 3834 and common habits)."""
    auto = str(message.get("Auto-Submitted", "no")).strip().lower()
    precedence = str(message.get("Precedence", "")).strip().lower()
    return (auto not in {"", "no"} or precedence in {"bulk", "junk", "list", "auto_reply"}
            or message.get("X-Autoreply") is not None
            or message.get("X-Autorespond") is not None)


def _sender(message: EmailMessage, envelope_from: str | None) -> tuple[str, str | None]:
    """(the sender's address, lower-cased; their display name)."""
    pairs = getaddresses([str(message.get("From", ""))])
    name, address = pairs[0] if pairs else ("", "")
    address = (address or envelope_from or "").strip().lower()
    return address, (name.strip() or None)


class Inbound:
    """Reads the e-mail that reaches the inbound domain (``parts``: the app's chat parts;
    ``mail``: its e-mail parts, with the inbound domain and the signing key)."""

    def __init__(self, parts: chat_actions.ChatParts, mail: MailParts, *,
                 per_hour: int = PER_HOUR, max_bytes: int = MAX_BYTES) -> None:
        if not mail.inbound_domain or not mail.secret:
            raise ValueError("reading e-mail needs an inbound domain and a key to sign with")
        self.parts = parts
        self.mail = mail
        # One note an hour per sender about attachments not kept (never a mail loop).
        self.notes = RateLimiter(1 / 3600.0, 3600.0)
        self.domain = mail.inbound_domain.lower()
        self.secret = mail.secret
        self.max_bytes = max_bytes
        self.limits = RateLimiter(per_hour / 3600.0, 3600.0)
        self._server: asyncio.AbstractServer | None = None
        self.port = 0

    # -- the SMTP server ------------------------------------------------------------------

    async def start(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname=self.domain, data_size_limit=self.max_bytes,
                         enable_SMTPUTF8=True), host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("inbound e-mail listening", host=host, port=self.port, domain=self.domain)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def conversation_for(self, address: str) -> str | None:
        """The conversation a recipient address names, or None."""
        local, _, domain = address.strip().lower().rpartition("@")
        if domain != self.domain or not local.startswith("reply+"):
            return None
        return conversation_of(self.secret, local.removeprefix("reply+"))

    def bounced_email(self, address: str) -> str | None:
        """The e-mail a bounce address (our Return-Path) names, or None."""
        local, _, domain = address.strip().lower().rpartition("@")
        if domain != self.domain or not local.startswith("bounce+"):
            return None
        return unsigned(self.secret, "bounce", local.removeprefix("bounce+"),
                        max_age_days=BOUNCE_DAYS)

    def support_slug(self, address: str) -> str | None:
        """The workspace a support address names (``support+<slug>@<inbound domain>``)."""
        local, _, domain = address.strip().lower().rpartition("@")
        slug = local.removeprefix("support+")
        if domain != self.domain or not local.startswith("support+") or not SLUG.match(slug):
            return None
        return slug

    async def _workspace_of(self, slug: str) -> str | None:
        async with self.parts.engine.connect() as conn:
            found = (await conn.execute(select(workspaces.c.id).where(
                workspaces.c.slug == slug))).scalar()
        return None if found is None else str(found)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        slug = self.support_slug(address)
        if slug is not None and await self._workspace_of(slug) is None:
            return "550 5.1.1 No such support address"
        if slug is None and self.conversation_for(address) is None \
                and self.bounced_email(address) is None:
            return "550 5.1.1 No such reply address (unknown, or too old to answer)"
        if len(envelope.rcpt_tos) >= 5:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        try:
            for address in envelope.rcpt_tos:
                conversation_id = self.conversation_for(address)
                if conversation_id is not None:
                    await self.receive(conversation_id, data, str(envelope.mail_from or ""))
                email_id = self.bounced_email(address)
                if email_id is not None:
                    await self.bounce(email_id, data)
                slug = self.support_slug(address)
                if slug is not None:
                    await self.support(slug, data, str(envelope.mail_from or ""))
        except Refused as exc:
            return exc.reply
        except Exception:
            log.exception("inbound e-mail not stored")
            return "451 4.3.0 Could not store the reply now; try again later"
        return "250 OK: stored"

    # -- a bounce -------------------------------------------------------------------------

    async def bounce(self, email_id: str, data: bytes) -> bool:
        """A delivery status notification about one of our e-mails: when it says the
        address failed for good (5.x.x), the e-mail is ``bounced`` and the address gets no
        more e-mail from the workspace. Returns whether it did."""
        message = message_from_bytes(data, policy=policy.default)
        failure = permanent_failure(message)
        if failure is None:
            log.info("bounce ignored (not a permanent failure)", email_id=email_id)
            return False
        async with atomic(self.parts.engine) as tx:
            found = await outbox.mark_bounced(tx.conn, email_id, failure)
            if found is None:
                return False
            workspace_id, _, address = found.partition("|")
            await addresses.mark(tx.conn, workspace_id, address, addresses.BOUNCING, failure,
                                 time.time())
        log.info("e-mail bounced", email_id=email_id, reason=failure)
        return True

    # -- a new conversation by e-mail ------------------------------------------------------

    async def support(self, slug: str, data: bytes, envelope_from: str | None = None,
                      ) -> Outcome:
        """An e-mail to the workspace's support address starts a conversation (or goes on
        with the sender's open one). It joins the history of a visitor identified with a
        verified user id whose profile has that address; anyone else gets a visitor of
        their own, known by the address. Agents' answers go back by e-mail."""
        workspace_id = await self._workspace_of(slug)
        if workspace_id is None:
            raise Refused("550 5.1.1 No such support address")
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        address, name = _sender(message, envelope_from)
        if not outbox.valid_address(address):
            raise Refused("550 5.1.7 The sender's address is not one we can answer")
        threaded = await self._threaded(workspace_id, message, address)
        if threaded is not None:
            # An answer to one of our e-mails that went to the support address instead of
            # its reply address: it goes on in that conversation.
            return await self.receive(threaded, data, envelope_from)
        try:
            self.limits.check(address, "email")
        except ApiError:
            raise Refused("451 4.7.1 Too many e-mails from this address; try later") from None
        if _automatic(message):
            return Outcome("automatic", "")
        text, attachments = new_text(message)
        subject = str(message.get("Subject", "")).strip()
        if subject and not subject.lower().startswith(("re:", "aw:", "sv:", "fw:")):
            text = f"{subject}\n\n{text}" if text else subject
        if attachments:
            text = (text + "\n\n" if text else "") + "[" + ", ".join(
                f"attachment not kept: {n}" for n in attachments[:10]) + "]"
        if not text:
            return Outcome("empty", "")
        if len(text) > p.MAX_TEXT:
            text = text[:p.MAX_TEXT - 20].rstrip() + "\n[shortened]"
        visitor_id = await self._verified_visitor(workspace_id, address)
        anonymous_id = None
        if visitor_id is None:
            # Their own visitor, known by the address (never merged into anyone's history).
            anonymous_id = "email-" + hashlib.sha256(
                f"{workspace_id}:{address}".encode()).hexdigest()[:32]
            now = time.time()
            ingested = await self.parts.pipeline.ingest([Incoming(
                type="identify", name="identify", message_id=f"email-{anonymous_id}-{now}",
                workspace_id=workspace_id, site_id="", anonymous_id=anonymous_id,
                user_id=None, properties={}, traits={"email": address, **(
                    {"name": name} if name else {})}, ts=now, received_at=now, context={})])
            visitor_id = ingested.visitor_ids[0]
        message_id = str(message.get("Message-ID", "")).strip() or hashlib.sha256(
            data).hexdigest()
        viewer = chat_service.Viewer(workspace_id=workspace_id, kind="visitor",
                                     visitor_id=visitor_id, anonymous_id=anonymous_id,
                                     verified=True, name=name)
        form = {"email": address, **({"name": name[:200]} if name else {})}
        posted = await chat_actions.post_message(self.parts, viewer, p.SendMessage(
            client_id="email-" + hashlib.sha256(message_id.encode()).hexdigest()[:40],
            text=text, form=form), channel="email", new_per_hour=SUPPORT_PER_HOUR)
        if attachments and posted.frames:
            await self._refuse_attachments(workspace_id, address, message, attachments,
                                           posted.conversation_id, visitor_id)
        log.info("support e-mail stored", conversation_id=posted.conversation_id)
        return Outcome("stored" if posted.frames else "duplicate", posted.conversation_id,
                       message_id)

    async def _refuse_attachments(self, workspace_id: str, address: str,
                                  message: EmailMessage, names: list[str],
                                  conversation_id: str, visitor_id: str) -> None:
        """Tell the sender their attachments were not kept (in their language, once an
        hour at most, threaded on their e-mail)."""
        try:
            self.notes.check(address, "attachments")
        except ApiError:
            return
        async with atomic(self.parts.engine) as tx:
            conn = tx.conn
            ws = await get_workspace(conn, workspace_id)
            profile = await visitor_profile(conn, visitor_id)
            lang = texts.language_for(profile.language if profile else None)
            subject, body = texts.attachments_refused(
                lang, workspace=brand(ws), subject=str(message.get("Subject", "")).strip(),
                names=names)
            their_id = str(message.get("Message-ID", "")).strip() or None
            await outbox.enqueue(conn, outbox.Draft(
                workspace_id=workspace_id, kind="notice", to_address=address,
                subject=subject, body_text=body, from_name=brand(ws),
                from_address=ws.settings.email_from_address, language=lang,
                conversation_id=conversation_id, visitor_id=visitor_id,
                in_reply_to=their_id, thread_refs=their_id,
                reply_to=self.mail.reply_to(conversation_id)),
                now=time.time(), mail_from=self.mail.mail_from)
            tx.on_commit(self.mail.wake)

    async def _threaded(self, workspace_id: str, message: EmailMessage,
                        sender: str) -> str | None:
        """The conversation of an e-mail of ours this one answers (In-Reply-To,
        References), when it went to this sender."""
        ids = [token for header in ("In-Reply-To", "References")
               for token in str(message.get(header, "")).split()
               if token.startswith("<") and token.endswith(">")][:20]
        if not ids:
            return None
        e = emails.c
        async with self.parts.engine.connect() as conn:
            found = (await conn.execute(select(e.conversation_id).where(
                e.workspace_id == workspace_id, e.message_id.in_(ids),
                e.conversation_id.is_not(None), func.lower(e.to_address) == sender,
            ).limit(1))).scalar()
        return None if found is None else str(found)

    async def _verified_visitor(self, workspace_id: str, address: str) -> str | None:
        """The visitor identified with a verified user id whose profile has ``address``."""
        needle = ENCODE.encode(address).decode()
        async with self.parts.engine.connect() as conn:
            rows = await conn.execute(select(visitors.c.id, visitors.c.profile).where(
                visitors.c.workspace_id == workspace_id, visitors.c.user_id.is_not(None),
                visitors.c.profile.contains(f'"email":{needle}', autoescape=True)).limit(5))
            for row in rows:
                found = PROFILE_DECODER.decode(row.profile).attributes.get("email")
                if isinstance(found, str) and found.strip().lower() == address:
                    return str(row.id)
        return None

    # -- one reply ------------------------------------------------------------------------

    async def receive(self, conversation_id: str, data: bytes,
                      envelope_from: str | None = None) -> Outcome:
        """Store the e-mail ``data`` as the visitor's reply in ``conversation_id``."""
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        address, name = _sender(message, envelope_from)
        engine = self.parts.engine
        async with engine.connect() as conn:
            conv = (await conn.execute(select(
                conversations.c.id, conversations.c.workspace_id, conversations.c.visitor_id,
                conversations.c.anonymous_id, conversations.c.visitor_read_seq,
            ).where(conversations.c.id == conversation_id))).first()
            sent_to = {str(a).lower() for a in (await conn.execute(select(
                emails.c.to_address).where(emails.c.conversation_id == conversation_id)
            )).scalars()}
            emailed_through = (await conn.execute(select(func.max(emails.c.through_seq)).where(
                emails.c.conversation_id == conversation_id, emails.c.status == "sent",
            ))).scalar()
        if conv is None:
            raise Refused("550 5.1.1 No such conversation")
        if address not in sent_to:
            raise Refused("550 5.7.1 Reply from an address this conversation was not "
                          "e-mailed to")
        try:
            self.limits.check(address, "email")
        except ApiError:
            raise Refused("451 4.7.1 Too many replies from this address; try later") from None
        if _automatic(message):
            log.info("automatic reply dropped", conversation_id=conversation_id)
            return Outcome("automatic", conversation_id)
        text, attachments = new_text(message)
        if attachments:
            text = (text + "\n\n" if text else "") + "[" + ", ".join(
                f"attachment not kept: {n}" for n in attachments[:10]) + "]"
        if not text:
            return Outcome("empty", conversation_id)
        if len(text) > p.MAX_TEXT:
            text = text[:p.MAX_TEXT - 20].rstrip() + "\n[shortened]"
        message_id = str(message.get("Message-ID", "")).strip() or hashlib.sha256(
            data).hexdigest()
        client_id = "email-" + hashlib.sha256(message_id.encode()).hexdigest()[:40]
        viewer = chat_service.Viewer(
            workspace_id=conv.workspace_id, kind="visitor", visitor_id=conv.visitor_id,
            anonymous_id=conv.anonymous_id, verified=True,
            name=name)
        posted = await chat_actions.post_message(self.parts, viewer, p.SendMessage(
            client_id=client_id, text=text, conversation_id=conversation_id), channel="email")
        if emailed_through and emailed_through > conv.visitor_read_seq:
            # They answered the e-mail: they read what it carried.
            await chat_actions.mark_read(self.parts, viewer, p.Read(
                conversation_id=conversation_id, seq=int(emailed_through)), None)
        duplicate = posted.new_conversation is None and not posted.frames
        if attachments and not duplicate:
            await self._refuse_attachments(conv.workspace_id, address, message, attachments,
                                           conversation_id, conv.visitor_id)
        log.info("e-mail reply stored", conversation_id=conversation_id, duplicate=duplicate)
        return Outcome("duplicate" if duplicate else "stored", conversation_id, message_id)

