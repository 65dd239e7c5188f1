"""An agent's replies a visitor left unread go to them by e-mail (docs/email.md).

Every few seconds :meth:`UnreadReplies.tick` looks at the conversations that changed in
the last day for agent messages (not notes) past the visitor's read mark and past what
their e-mail thread already dealt with (``mail_threads``). Once the newest of them is
the workspace's delay old (2 minutes by default), or at once when the visitor was last
seen longer ago than that (an agent answering someone who left long ago), and the
visitor has no page of the site open, they go out batched in one e-mail, threaded after
the conversation's earlier e-mails. A visitor who comes back and reads them in time gets
none.

The address: the one typed in this chat's pre-chat form, else the profile's ``email``
of a visitor identified with a verified user id, else the one they typed in the widget's
e-mail card (``captured_email``). Without one, or with the workspace's
``email_unread_replies`` off, the thread notes why and moves on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import msgspec
import structlog
from sqlalchemy import and_, false, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.mail import addresses, outbox, texts
from floorwalker.mail.parts import MailParts, brand
from floorwalker.ops.background import Background
from floorwalker.profiles.model import PROFILE_DECODER, Profile
from floorwalker.store.tables import conversations, mail_threads, messages, visitors
from floorwalker.store.transaction import atomic
from floorwalker.tenancy.service import Workspace, get_workspace

log = structlog.get_logger("floorwalker.mail")

LOOKBACK_SECONDS = 86_400.0
MIN_DELAY_SECONDS = 5.0
BATCH = 100
MAX_MESSAGES = 50
MAX_REFERENCES = 10


async def due(conn: AsyncConnection, now: float) -> list[Any]:
    """Conversations with agent messages the visitor has not read and no e-mail has
    dealt with, the oldest newest-message first."""
    c, m, t = conversations.c, messages.c, mail_threads.c
    done = func.coalesce(t.through_seq, 0)
    newest = func.max(m.created_at)
    query = select(
        c.id, c.workspace_id, c.visitor_id, c.anonymous_id, c.visitor_read_seq, c.context,
        func.max(m.seq).label("last_seq"), newest.label("last_at"),
        done.label("done"), t.through_seq.label("thread_seq"), t.last_message_id,
        t.thread_refs, visitors.c.last_seen,
    ).select_from(conversations.join(messages, and_(
        m.conversation_id == c.id, m.author == "agent", m.internal == false(),
        m.seq > c.visitor_read_seq)).outerjoin(mail_threads, t.conversation_id == c.id)
        .outerjoin(visitors, visitors.c.id == c.visitor_id)
    ).where(c.updated_at >= now - LOOKBACK_SECONDS, m.seq > done).group_by(
        c.id, c.workspace_id, c.visitor_id, c.anonymous_id, c.visitor_read_seq, c.context,
        t.through_seq, t.last_message_id, t.thread_refs, visitors.c.last_seen,
    ).having(newest <= now - MIN_DELAY_SECONDS).order_by(newest).limit(BATCH)
    return list(await conn.execute(query))


def _address(context: str | None, row: Any) -> tuple[str | None, Profile | None]:
    """The visitor's address and profile: the pre-chat form's e-mail, else a verified
    visitor's profile e-mail."""
    profile = PROFILE_DECODER.decode(row.profile) if row is not None else None
    if context:
        form = (msgspec.json.decode(context) or {}).get("prechat") or {}
        typed = form.get("email") if isinstance(form, dict) else None
        if outbox.valid_address(typed):
            return str(typed), profile
    if row is not None and row.user_id and profile is not None:
        known = profile.attributes.get("email")
        if outbox.valid_address(known):
            return str(known), profile
    captured = profile.attributes.get("captured_email") if profile is not None else None
    if outbox.valid_address(captured):  # typed in the widget's e-mail card
        return str(captured), profile
    return None, profile


async def _note(conn: AsyncConnection, cand: Any, outcome: str, now: float,
                message_id: str | None = None, refs: str | None = None) -> bool:
    """Move the conversation's e-mail thread to ``cand.last_seq``: a compare-and-set on
    what was read, so two processes never both send the same replies."""
    t = mail_threads.c
    if cand.thread_seq is None:
        exists = (await conn.execute(select(t.conversation_id).where(
            t.conversation_id == cand.id))).first()
        if exists is not None:
            return False
        await conn.execute(insert(mail_threads).values(
            conversation_id=cand.id, workspace_id=cand.workspace_id,
            through_seq=cand.last_seq, outcome=outcome, last_message_id=message_id,
            thread_refs=refs, updated_at=now))
        return True
    values: dict[str, Any] = {"through_seq": cand.last_seq, "outcome": outcome,
                              "updated_at": now}
    if message_id is not None:
        values |= {"last_message_id": message_id, "thread_refs": refs}
    moved = await conn.execute(update(mail_threads).where(
        t.conversation_id == cand.id, t.through_seq == cand.thread_seq).values(**values))
    return moved.rowcount == 1


class UnreadReplies:
    """The loop that e-mails unread agent replies."""

    def __init__(self, parts: MailParts, *, present: Callable[[str, str | None], bool],
                 every: float = 5.0) -> None:
        self.parts = parts
        self.engine = parts.engine
        self.present = present
        self.every = every
        self._task = Background("floorwalker-unread-replies")

    def start(self) -> None:
        self._task.start(self._loop)

    async def stop(self) -> None:
        await self._task.stop()

    async def tick(self, now: float | None = None) -> int:
        """Queue the e-mails due at ``now``; returns how many."""
        at = time.time() if now is None else now
        async with self.engine.connect() as conn:
            found = await due(conn, at)
        queued = 0
        workspaces: dict[str, Workspace] = {}
        for cand in found:
            try:
                queued += await self._one(cand, at, workspaces)
            except Exception:
                log.exception("unread replies: e-mail not queued", conversation_id=cand.id)
        return queued

    async def _one(self, cand: Any, now: float, workspaces: dict[str, Workspace]) -> int:
        if cand.workspace_id not in workspaces:
            async with self.engine.connect() as conn:
                workspaces[cand.workspace_id] = await get_workspace(conn, cand.workspace_id)
        ws = workspaces[cand.workspace_id]
        delay = ws.settings.email_unread_delay_seconds
        # A visitor gone for longer than the delay when the answer came gets it now: the
        # delay is for those who might still come back to the page.
        gone = cand.last_seen is not None and cand.last_seen <= now - delay
        if ws.settings.email_unread_replies and (
                (cand.last_at > now - delay and not gone)
                or self.present(cand.workspace_id, cand.anonymous_id)):
            return 0  # not yet: wait for the delay, and for the visitor to leave
        try:
            return await self._queue(cand, now, ws)
        except _Lost:
            return 0

    async def _queue(self, cand: Any, now: float, ws: Workspace) -> int:
        async with atomic(self.engine) as tx:
            conn = tx.conn
            if not ws.settings.email_unread_replies:
                await _note(conn, cand, "off", now)
                return 0
            visitor = (await conn.execute(select(visitors.c.user_id, visitors.c.profile).where(
                visitors.c.id == cand.visitor_id))).first()
            address, profile = _address(cand.context, visitor)
            if address is None:
                await _note(conn, cand, "no_address", now)
                return 0
            refused = await addresses.status_of(conn, cand.workspace_id, address)
            if refused is not None:  # bouncing, or unsubscribed
                await _note(conn, cand, refused, now)
                return 0
            unsubscribe = self.parts.unsubscribe(cand.workspace_id, address)
            m = messages.c
            rows = (await conn.execute(select(m.seq, m.name, m.text, m.created_at).where(
                m.conversation_id == cand.id, m.author == "agent", m.internal == false(),
                m.seq > max(cand.visitor_read_seq, cand.done), m.seq <= cand.last_seq,
            ).order_by(m.seq.desc()).limit(MAX_MESSAGES))).all()
            shown = [{"name": r.name, "text": r.text, "created_at": r.created_at}
                     for r in reversed(rows)]
            lang = texts.language_for(profile.language if profile else None)
            agent = shown[-1]["name"] if shown else None
            name = profile.attributes.get("first_name") if profile else None
            page = profile.session.current_page if profile and profile.session else None
            url = page.url if page is not None else None
            link = url if url and url.startswith(("https://", "http://")) else None
            sender = brand(ws)
            subject, body_text, body_html = texts.unread_replies(
                lang, workspace=sender, agent=agent,
                visitor_name=name if isinstance(name, str) else None, messages=shown,
                link=link, can_reply=self.parts.can_reply, unsubscribe=unsubscribe)
            refs = [r for r in (cand.thread_refs or "").split() if r]
            message_id = await outbox.enqueue(conn, outbox.Draft(
                workspace_id=cand.workspace_id, kind="unread_replies", to_address=address,
                subject=subject, body_text=body_text, body_html=body_html,
                from_name=f"{agent or texts.CATALOGUES[lang]['our_team']} ({sender})",
                from_address=ws.settings.email_from_address,
                language=lang, conversation_id=cand.id, visitor_id=cand.visitor_id,
                in_reply_to=cand.last_message_id, thread_refs=" ".join(refs) or None,
                reply_to=self.parts.reply_to(cand.id, now), through_seq=cand.last_seq,
                list_unsubscribe=unsubscribe), now=now, mail_from=self.parts.mail_from)
            refs = [*refs, message_id][-MAX_REFERENCES:]
            if not await _note(conn, cand, "sent", now, message_id, " ".join(refs)):
                raise _Lost
            tx.on_commit(self.parts.wake)
        return 1

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("unread replies tick failed")
            await asyncio.sleep(self.every)


class _Lost(Exception):
    """Another process dealt with these replies first: roll back ours."""
