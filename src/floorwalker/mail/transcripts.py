"""A conversation's transcript by e-mail, when the visitor asks for it in the widget
(docs/email.md): its messages, not agents' notes nor routing's lines, in the visitor's
language, to the address they typed."""

from __future__ import annotations

import time

from sqlalchemy import false, func, select

from floorwalker import protocol as p
from floorwalker.chat import service as chat_service
from floorwalker.errors import ApiError
from floorwalker.mail import addresses, outbox, texts
from floorwalker.mail.parts import MailParts, brand, visitor_profile
from floorwalker.store.tables import emails, messages
from floorwalker.store.transaction import atomic
from floorwalker.tenancy.service import get_workspace

PER_HOUR = 3
MAX_MESSAGES = 500


async def request(parts: MailParts, viewer: chat_service.Viewer,
                  frame: p.TranscriptRequest) -> bytes:
    """Queue the transcript of a conversation the visitor may see; returns the frame that
    says so. Refused: ``invalid_address`` (422), ``address_unsubscribed`` and
    ``address_bouncing`` (409), ``too_many_transcripts`` (429, past 3 an hour)."""
    address = frame.email.strip()
    if viewer.kind != "visitor" or not outbox.valid_address(address):
        raise ApiError(422, "invalid_address", "Give an e-mail address to send it to.")
    now = time.time()
    async with atomic(parts.engine) as tx:
        conn = tx.conn
        conv = await chat_service.get_conversation(conn, viewer, frame.conversation_id)
        refused = await addresses.status_of(conn, conv.workspace_id, address)
        if refused == addresses.UNSUBSCRIBED:
            raise ApiError(409, "address_unsubscribed", "This address asked for no more "
                           "e-mail from us.")
        if refused == addresses.BOUNCING:
            raise ApiError(409, "address_bouncing", "E-mails to this address do not arrive.")
        e = emails.c
        recent = (await conn.execute(select(func.count()).select_from(emails).where(
            e.conversation_id == conv.id, e.kind == "transcript",
            e.created_at > now - 3600))).scalar() or 0
        if recent >= PER_HOUR:
            raise ApiError(429, "too_many_transcripts", f"At most {PER_HOUR} transcripts an "
                           "hour for one conversation.", headers={"Retry-After": "3600"})
        m = messages.c
        rows = (await conn.execute(select(m.author, m.name, m.text, m.created_at).where(
            m.conversation_id == conv.id, m.internal == false(),
            m.author.in_(("visitor", "agent"))).order_by(m.seq).limit(MAX_MESSAGES))).all()
        profile = await visitor_profile(conn, conv.visitor_id)
        ws = await get_workspace(conn, conv.workspace_id)
        lang = texts.language_for(profile.language if profile else None)
        name = profile.attributes.get("first_name") if profile else None
        unsubscribe = parts.unsubscribe(ws.id, address)
        subject, body_text, body_html = texts.transcript(
            lang, workspace=brand(ws), visitor_name=name if isinstance(name, str) else None,
            messages=[{"author": r.author, "name": r.name, "text": r.text,
                       "created_at": r.created_at} for r in rows],
            can_reply=parts.can_reply, unsubscribe=unsubscribe)
        await outbox.enqueue(conn, outbox.Draft(
            workspace_id=ws.id, kind="transcript", to_address=address, subject=subject,
            body_text=body_text, body_html=body_html, from_name=brand(ws), language=lang,
            from_address=ws.settings.email_from_address,
            conversation_id=conv.id, visitor_id=conv.visitor_id,
            reply_to=parts.reply_to(conv.id, now), list_unsubscribe=unsubscribe), now=now,
            mail_from=parts.mail_from)
        tx.on_commit(parts.wake)
    return p.encode(p.TranscriptQueued(conversation_id=conv.id, email=address))
