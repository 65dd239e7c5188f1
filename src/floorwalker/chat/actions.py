"""Chat's actions: every write on conversations and messages a person causes, and the
frames that follow it.

Each action opens the transaction, writes through `chat/service.py` and the router, and
registers what follows the commit with ``tx.on_commit``: first the answer to whoever
asked (the socket's ``ack``), then the frames for everyone else, in the order people must
read them ("Sam joined the chat" before Sam's words). Socket handlers and HTTP views
validate, call one of these and answer; they never write a table or publish.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.chat import service
from floorwalker.chat.desk import Desk
from floorwalker.chat.routing import Changes
from floorwalker.events import Incoming
from floorwalker.profiles.history import Committed
from floorwalker.rules.runtime import Rules
from floorwalker.store.transaction import atomic

Answer = Callable[[service.Posted], Awaitable[None]]


class _Ingested(Protocol):
    visitor_ids: list[str]


class _Ingest(Protocol):
    async def ingest(self, batch: list[Incoming]) -> _Ingested: ...


class ChatParts(Protocol):
    """What chat's actions need of the running server (the app passes its parts)."""

    @property
    def engine(self) -> AsyncEngine: ...
    @property
    def bus(self) -> Bus: ...
    @property
    def desk(self) -> Desk: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def pipeline(self) -> _Ingest: ...


async def post_message(svc: ChatParts, viewer: service.Viewer, frame: p.SendMessage, *,
                       agent_id: str | None = None, new_per_hour: int = 0,
                       answer: Answer | None = None,
                       channel: str | None = None) -> service.Posted:
    """Store a message (starting, reopening or joining a conversation as it implies);
    once committed, ``answer`` runs, then the frames go out. ``channel``: how it came
    when not through the chat (``"email"``)."""
    desk = svc.desk
    async with atomic(svc.engine) as tx:
        joined = await desk.before_post(tx.conn, viewer, frame, agent_id)
        posted = await service.post_message(tx.conn, viewer, frame, new_per_hour=new_per_hour,
                                            channel=channel)
        routed = await desk.after_post(tx.conn, viewer, posted)
        if answer is not None:
            tx.on_commit(partial(answer, posted))
        if posted.new_conversation is not None and frame.decision_id:
            decision_id = frame.decision_id

            async def answered() -> None:
                svc.rules.answered(decision_id)
            tx.on_commit(answered)
        tx.on_commit(partial(desk.publish, joined))  # "Sam joined the chat" comes first
        tx.on_commit(partial(desk.publish, routed, posted.frames))
    return posted


async def mark_read(svc: ChatParts, viewer: service.Viewer, frame: p.Read,
                    agent_id: str | None) -> None:
    """Read up to a message; the assigned agent reading the chat joins it."""
    desk = svc.desk
    async with atomic(svc.engine) as tx:
        data = await service.mark_read(tx.conn, viewer, frame)
        joined = None
        if agent_id is not None:
            rs = await desk.rules(viewer.workspace_id)
            joined = await desk.router.join(tx.conn, rs, frame.conversation_id, agent_id)
        tx.on_commit(partial(svc.bus.publish, p.agents_channel(viewer.workspace_id), data))
        tx.on_commit(partial(svc.bus.publish, p.conversation_channel(frame.conversation_id),
                             data))
        if joined is not None:
            tx.on_commit(partial(desk.publish, joined))


async def typing(svc: ChatParts, viewer: service.Viewer, frame: p.Typing) -> None:
    """Someone types in a conversation they may see (nothing is stored)."""
    async with svc.engine.connect() as conn:
        await service.get_conversation(conn, viewer, frame.conversation_id)
    data = p.encode(p.TypingFrame(conversation_id=frame.conversation_id, on=frame.on,
                   who=viewer.kind, name=viewer.name))
    channel = (p.agents_channel(viewer.workspace_id) if viewer.kind == "visitor"
               else p.conversation_channel(frame.conversation_id))
    await svc.bus.publish(channel, data)


async def close(svc: ChatParts, viewer: service.Viewer, conversation_id: str) -> Any:
    """Close a conversation, tell everyone, put it on the visitor's timeline, and let its
    agent take the next one from the queue."""
    async with atomic(svc.engine) as tx:
        row, frames = await service.close_conversation(tx.conn, viewer, conversation_id)
        tx.on_commit(partial(service.publish, svc.bus, frames))
        tx.on_commit(partial(_closed_event, svc, row))
        tx.on_commit(partial(svc.desk.publish, Changes(
            viewer.workspace_id, {row.id},
            agents={row.assigned_agent_id} if row.assigned_agent_id else set())))
        tx.on_commit(partial(svc.desk.closed, viewer.workspace_id, row.assigned_agent_id))
    return row


async def claim(svc: ChatParts, workspace_id: str, conversation_id: str, agent_id: str) -> None:
    """An agent takes a conversation (from the queue or a colleague)."""
    rs = await svc.desk.rules(workspace_id)
    async with atomic(svc.engine) as tx:
        changes = await svc.desk.router.claim(tx.conn, rs, conversation_id, agent_id)
        tx.on_commit(partial(svc.desk.publish, changes))


async def transfer(svc: ChatParts, workspace_id: str, conversation_id: str, *, by: str,
                   agent_id: str | None, department: str | None, note: str,
                   previous_agent: str | None) -> None:
    """Hand a conversation to an agent or a department; the agent it leaves may take the
    next one from the queue."""
    rs = await svc.desk.rules(workspace_id)
    async with atomic(svc.engine) as tx:
        changes = await svc.desk.router.transfer(
            tx.conn, rs, conversation_id, by=by, agent_id=agent_id, department=department,
            note=note)
        tx.on_commit(partial(svc.desk.publish, changes))
        if previous_agent:
            tx.on_commit(partial(svc.desk.drain, workspace_id, previous_agent))


async def chat_started(svc: ChatParts, viewer: service.Viewer, site_id: str,
                       user_id: str | None, decision_id: str | None) -> None:
    """A conversation starts: record it on the timeline (which also creates the visitor,
    whose id the viewer then carries)."""
    now = time.time()
    event = Incoming(type="track", name="chat_started", message_id=f"chat-{uuid.uuid4().hex}",
                     workspace_id=viewer.workspace_id, site_id=site_id,
                     anonymous_id=viewer.anonymous_id, user_id=user_id,
                     properties={"decision_id": decision_id} if decision_id else {},
                     ts=now, received_at=now, context={}, trusted=False)
    result = await svc.pipeline.ingest([event])
    if result.visitor_ids:
        viewer.visitor_id = result.visitor_ids[0]


async def _closed_event(svc: ChatParts, row: Any) -> None:
    """Put the end of the chat on the visitor's timeline (which ends "in a chat")."""
    now = time.time()
    await svc.pipeline.ingest([Incoming(
        type="track", name="chat_closed", message_id=f"chat-closed-{row.id}-{int(now)}",
        workspace_id=row.workspace_id, site_id="", anonymous_id=row.anonymous_id,
        user_id=None, properties={"conversation_id": row.id}, ts=now, received_at=now,
        context={})])


async def record_ratings(svc: ChatParts, committed: list[Committed]) -> None:
    """A pipeline listener: post-chat surveys (the widget's ``chat_rated`` events) are
    stored on their conversations."""
    rated = [c for c in committed if c.event.name == "chat_rated"]
    if rated:
        async with svc.engine.begin() as conn:
            for c in rated:
                await service.record_rating(conn, c.event.workspace_id, c.visitor_id,
                                            c.event.properties)
