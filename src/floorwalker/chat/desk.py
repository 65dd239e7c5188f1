"""The help desk: routing wired to presence, the bus and the live visitor list.

Sockets and the console API call these after their own writes; everything published
here goes out after commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.chat import routing
from floorwalker.chat.service import Posted, Viewer, conversation_view, visitor_conversation_view
from floorwalker.live.visitors import LiveVisitors, visitor_name
from floorwalker.profiles import sensitive
from floorwalker.profiles.model import PROFILE_DECODER
from floorwalker.rules.ruleset import RuleSet
from floorwalker.rules.staffing import AgentPresence, Presence
from floorwalker.store.tables import conversations, messages, visitors
from floorwalker.store.transaction import atomic

RuleSource = Callable[[str], Awaitable[RuleSet]]


async def summaries(conn: AsyncConnection, rs: RuleSet, rows: list[Any]) -> list[dict[str, Any]]:
    """ConversationSummary documents (docs/console-api.md) for conversation rows (they go
    to every console: no sensitive attribute in them)."""
    if not rows:
        return []
    ids = [r.id for r in rows]
    visitor_ids = {r.visitor_id for r in rows}
    people: dict[str, dict[str, Any]] = {}
    for vid, doc in await conn.execute(select(visitors.c.id, visitors.c.profile).where(
            visitors.c.id.in_(visitor_ids))):
        profile = PROFILE_DECODER.decode(doc)
        hidden = rs.sensitive
        email = None if "email" in hidden else profile.attributes.get("email")
        people[vid] = {"id": vid, "name": visitor_name(profile, hidden),
                       "email": email if isinstance(email, str) else None}
    # The preview: the last thing the visitor or an agent said (not system lines or notes).
    said = select(messages.c.conversation_id, func.max(messages.c.seq).label("seq")).where(
        messages.c.conversation_id.in_(ids), messages.c.author.in_(("visitor", "agent")),
        messages.c.internal.is_(False)).group_by(messages.c.conversation_id).subquery()
    last: dict[str, dict[str, Any]] = {}
    for row in await conn.execute(
            select(messages.c.conversation_id, messages.c.author, messages.c.text,
                   messages.c.created_at, messages.c.name)
            .join(said, and_(said.c.conversation_id == messages.c.conversation_id,
                             said.c.seq == messages.c.seq))):
        last[row.conversation_id] = {"author": row.author, "text": row.text[:300],
                                     "created_at": row.created_at, "name": row.name}
    unread: dict[str, int] = dict((cid, int(n)) for cid, n in await conn.execute(
        select(messages.c.conversation_id, func.count())
        .join(conversations, conversations.c.id == messages.c.conversation_id)
        .where(messages.c.conversation_id.in_(ids), messages.c.author == "visitor",
               messages.c.seq > conversations.c.agent_read_seq)
        .group_by(messages.c.conversation_id)))
    positions = await _queue_positions(conn, rs.workspace_id, rows)
    out = []
    for r in rows:
        doc = conversation_view(r)
        doc["context"] = sensitive.conversation_context(doc["context"], rs.sensitive)
        agent = rs.agents.get(r.assigned_agent_id or "")
        doc.update({
            "updated_at": r.updated_at, "closed_at": r.closed_at,
            "assigned_agent_id": r.assigned_agent_id,
            "assigned_agent_name": agent.name if agent else None,
            "queue_position": positions.get(r.id),
            "segments": [s for s in (r.segments or "").split(",") if s],
            "visitor": people.get(r.visitor_id, {"id": r.visitor_id, "name": None,
                                                 "email": None}),
            "last_message": last.get(r.id), "unread": unread.get(r.id, 0)})
        out.append(doc)
    return out


async def _queue_positions(conn: AsyncConnection, workspace_id: str,
                           rows: list[Any]) -> dict[str, int]:
    if not any(r.status == "queued" for r in rows):
        return {}
    queued = (await conn.execute(select(conversations.c.id, conversations.c.department).where(
        conversations.c.workspace_id == workspace_id, conversations.c.status == "queued")
        .order_by(conversations.c.queued_at, conversations.c.id))).all()
    seen: dict[str | None, int] = defaultdict(int)
    out = {}
    for cid, department in queued:
        seen[department] += 1
        out[cid] = seen[department]
    return out


class Desk:
    """Routing, presence and the frames that tell everyone about them."""

    def __init__(self, engine: AsyncEngine, bus: Bus, rules: RuleSource, presence: Presence,
                 live: LiveVisitors) -> None:
        self.engine = engine
        self.bus = bus
        self.rules = rules
        self.presence = presence
        self.router = routing.Router(presence)
        self.live = live
        self._sockets: dict[tuple[str, str], int] = defaultdict(int)
        self._chosen: dict[tuple[str, str], str] = {}

    # -- publishing --------------------------------------------------------------------

    async def publish(self, changes: routing.Changes,
                      posted: list[tuple[str, bytes]] | None = None) -> None:
        """Frames for what a routing step changed (call after commit): the conversations'
        summaries first, then ``posted`` (the frames of the message that caused it), then
        routing's own messages and the agents' presence."""
        ws = changes.workspace_id
        if not (changes.conversations or changes.messages or changes.agents):
            for channel, data in posted or ():
                await self.bus.publish(channel, data)
            return
        rs = await self.rules(ws)
        async with self.engine.connect() as conn:
            rows: list[Any] = list((await conn.execute(select(conversations).where(
                conversations.c.id.in_(changes.conversations)))).all()) \
                if changes.conversations else []
            docs = await summaries(conn, rs, rows)
            if changes.agents:
                await self.router.refresh_load(conn, ws, changes.agents)
        for row, doc in zip(rows, docs, strict=True):
            await self.bus.publish(p.agents_channel(ws),
                                   p.encode(p.ConversationFrame(conversation=doc)))
            await self.bus.publish(p.conversation_channel(row.id), p.encode(p.ConversationFrame(
                conversation=visitor_conversation_view(row, routing.agent_name(rs, row)))))
        for channel, data in posted or ():
            await self.bus.publish(channel, data)
        for channel, data in routing.message_frames(ws, changes.messages):
            await self.bus.publish(channel, data)
        for agent_id in changes.agents:
            await self._presence_frame(ws, agent_id)
        for row in rows:
            await self._visitor_departments(ws, row.visitor_id)

    async def _visitor_departments(self, workspace_id: str, visitor_id: str) -> None:
        async with self.engine.connect() as conn:
            depts = {d for (d,) in await conn.execute(select(conversations.c.department).where(
                conversations.c.visitor_id == visitor_id, conversations.c.status != "closed",
                conversations.c.department.is_not(None)))}
        await self.live.set_departments(workspace_id, visitor_id, depts)

    async def _presence_frame(self, workspace_id: str, agent_id: str) -> None:
        state = self.presence.get(workspace_id, agent_id)
        await self.bus.publish(p.agents_channel(workspace_id), p.encode(p.PresenceFrame(
            agent_id=agent_id, status=state.status, active_chats=state.active_chats)))

    # -- conversations -----------------------------------------------------------------

    async def before_post(self, conn: AsyncConnection, viewer: Viewer, frame: p.SendMessage,
                          agent_id: str | None) -> routing.Changes:
        """The assigned agent answering joins the chat: the visitor reads "Sam joined the
        chat" before Sam's first words (same transaction; publish these changes first)."""
        if viewer.kind != "agent" or agent_id is None or frame.internal or \
                frame.conversation_id is None:
            return routing.Changes(viewer.workspace_id)
        rs = await self.rules(viewer.workspace_id)
        return await self.router.join(conn, rs, frame.conversation_id, agent_id)

    async def after_post(self, conn: AsyncConnection, viewer: Viewer,
                         posted: Posted) -> routing.Changes:
        """Route a conversation a visitor just started or reopened (same transaction)."""
        changes = routing.Changes(viewer.workspace_id)
        if viewer.kind != "visitor" or not (posted.new_conversation or posted.reopened):
            return changes
        rs = await self.rules(viewer.workspace_id)
        conv = (await conn.execute(select(conversations).where(
            conversations.c.id == posted.conversation_id))).first()
        if conv is None:
            return changes
        prefer = None
        if posted.new_conversation is not None:
            segments = await routing.visitor_segments(conn, conv.visitor_id)
            if segments:
                await conn.execute(update(conversations).where(
                    conversations.c.id == conv.id).values(segments=segments))
            prefer = await routing.invited_by(conn, conv.decision_id)
        else:
            prefer = posted.previous_agent
        return await self.router.route(conn, rs, conv.id, prefer=prefer)

    async def closed(self, workspace_id: str, agent_id: str | None) -> None:
        """A conversation closed: its agent may take the next one from the queue."""
        if agent_id is None:
            return
        await self.drain(workspace_id, agent_id)

    async def drain(self, workspace_id: str, agent_id: str) -> None:
        """Give a free agent queued conversations, then publish."""
        rs = await self.rules(workspace_id)
        async with atomic(self.engine) as tx:
            changes = await self.router.drain(tx.conn, rs, agent_id)
            changes.agents.add(agent_id)
            tx.on_commit(partial(self.publish, changes))

    # -- presence ----------------------------------------------------------------------

    async def agent_connected(self, workspace_id: str, agent_id: str) -> None:
        """A console socket opened: the agent is online (unless they chose away)."""
        key = (workspace_id, agent_id)
        self._sockets[key] += 1
        if self._sockets[key] == 1:
            self.presence.set(workspace_id, agent_id,
                              status=self._chosen.get(key, "online"))
            await self.drain(workspace_id, agent_id)

    async def agent_disconnected(self, workspace_id: str, agent_id: str) -> None:
        """A console socket closed: offline after the last one."""
        key = (workspace_id, agent_id)
        self._sockets[key] = max(0, self._sockets[key] - 1)
        if self._sockets[key] == 0:
            self._sockets.pop(key, None)
            self.presence.set(workspace_id, agent_id, status="offline")
            await self._presence_frame(workspace_id, agent_id)

    async def set_presence(self, workspace_id: str, agent_id: str, *, status: str | None,
                           active_chats: int | None = None) -> AgentPresence:
        """An admin (or a script) sets an agent's presence: consoles hear of it, and an
        agent put online takes the oldest queued chats of their departments."""
        state = self.presence.set(workspace_id, agent_id, status=status,
                                  active_chats=active_chats)
        if status in ("online", "away"):
            self._chosen[(workspace_id, agent_id)] = status
        if state.status == "online":
            await self.drain(workspace_id, agent_id)  # publishes the presence frame too
        else:
            await self._presence_frame(workspace_id, agent_id)
        return state

    async def set_status(self, workspace_id: str, agent_id: str, status: str) -> None:
        """The agent chose online or away."""
        if status not in ("online", "away"):
            raise ValueError("status is online or away")
        self._chosen[(workspace_id, agent_id)] = status
        self.presence.set(workspace_id, agent_id, status=status)
        if status == "online":
            await self.drain(workspace_id, agent_id)
        else:
            await self._presence_frame(workspace_id, agent_id)

