"""Who answers a conversation: assignment to the least busy agent, department queues,
claims and transfers (docs/console-api.md, "Routing").

Every function here works inside the caller's transaction and returns a :class:`Changes`
that the caller publishes after commit (:func:`publish`). Loads are counted from the
database (open conversations per agent), so they are right after a restart; presence
(online / away / offline) is the in-process :class:`~floorwalker.rules.staffing.Presence`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker import protocol as p
from floorwalker.chat.service import _insert_message, message_view
from floorwalker.errors import ApiError
from floorwalker.profiles.model import PROFILE_DECODER
from floorwalker.rules.ruleset import RuleSet
from floorwalker.rules.staffing import Presence
from floorwalker.store.tables import conversations, decisions, visitors


@dataclass(slots=True)
class Changes:
    """What a routing step changed, to publish after commit."""

    workspace_id: str
    conversations: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)
    agents: set[str] = field(default_factory=set)  # whose load changed

    def merge(self, other: Changes) -> None:
        """Add another step's changes."""
        self.conversations |= other.conversations
        self.messages.extend(other.messages)
        self.agents |= other.agents


async def loads(conn: AsyncConnection, workspace_id: str) -> dict[str, int]:
    """Open (assigned, not closed) conversations per agent."""
    rows = await conn.execute(
        select(conversations.c.assigned_agent_id, func.count())
        .where(conversations.c.workspace_id == workspace_id,
               conversations.c.status == "open",
               conversations.c.assigned_agent_id.is_not(None))
        .group_by(conversations.c.assigned_agent_id))
    return {str(agent): int(n) for agent, n in rows}


class Router:
    """Assignment policy over the live presence of one process."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence
        self._last_assigned: dict[tuple[str, str], float] = {}

    def candidates(self, rs: RuleSet, load: dict[str, int], department: str | None,
                   exclude: str | None = None) -> list[str]:
        """Online agents with a free slot, least busy first (then least recently
        assigned). ``department`` None: every agent."""
        out = []
        for agent_id, agent in rs.agents.items():
            if agent_id == exclude:
                continue
            if department is not None and department not in agent.departments:
                continue
            state = self.presence.get(rs.workspace_id, agent_id)
            if state.status != "online" or load.get(agent_id, 0) >= agent.max_chats:
                continue
            out.append(agent_id)
        out.sort(key=lambda a: (load.get(a, 0),
                                self._last_assigned.get((rs.workspace_id, a), 0.0), a))
        return out

    async def _assign(self, conn: AsyncConnection, rs: RuleSet, conv: Any, agent_id: str,
                      now: float, changes: Changes, *, joined: bool = False) -> None:
        """Give the conversation to an agent. Being "online" says nobody is looking at it
        yet: the visitor is told they wait (and where in line) until the agent opens or
        answers it (:meth:`join`); ``joined`` when the agent took it themselves."""
        await conn.execute(update(conversations).where(conversations.c.id == conv.id).values(
            status="open", assigned_agent_id=agent_id, assigned_at=now, queued_at=None,
            joined_agent_id=agent_id if joined else None, updated_at=now))
        self._last_assigned[(rs.workspace_id, agent_id)] = now
        changes.conversations.add(conv.id)
        changes.agents.add(agent_id)
        if conv.assigned_agent_id:
            changes.agents.add(conv.assigned_agent_id)
        agent = rs.agents.get(agent_id)
        if joined and agent is not None:
            changes.messages.append(await _notice(conn, rs, conv.id, now, "joined",
                                                  name=agent.name))
        elif not joined:
            ahead = await conn.scalar(select(func.count()).where(
                conversations.c.workspace_id == rs.workspace_id,
                conversations.c.status == "open", conversations.c.id != conv.id,
                conversations.c.assigned_agent_id == agent_id,
                conversations.c.joined_agent_id.is_(None),
                conversations.c.assigned_at <= now))
            changes.messages.append(await _notice(conn, rs, conv.id, now, "waiting",
                                                  position=int(ahead or 0) + 1))

    async def join(self, conn: AsyncConnection, rs: RuleSet, conversation_id: str,
                   agent_id: str, now: float | None = None) -> Changes:
        """The assigned agent opened or answered the chat: now the visitor is told who
        joined (once: a conditional write, so two tabs reading at once say it once)."""
        now = time.time() if now is None else now
        changes = Changes(rs.workspace_id)
        agent = rs.agents.get(agent_id)
        if agent is None:
            return changes
        done = await conn.execute(update(conversations).where(
            conversations.c.id == conversation_id,
            conversations.c.workspace_id == rs.workspace_id,
            conversations.c.status == "open",
            conversations.c.assigned_agent_id == agent_id,
            conversations.c.joined_agent_id.is_(None)
            | (conversations.c.joined_agent_id != agent_id),
        ).values(joined_agent_id=agent_id))
        if done.rowcount != 1:
            return changes
        changes.conversations.add(conversation_id)
        changes.messages.append(await _notice(conn, rs, conversation_id, now, "joined",
                                              name=agent.name))
        return changes

    async def _queue(self, conn: AsyncConnection, rs: RuleSet, conv: Any, department: str | None,
                     now: float, changes: Changes, *, tell_visitor: bool = True) -> None:
        await conn.execute(update(conversations).where(conversations.c.id == conv.id).values(
            status="queued", assigned_agent_id=None, queued_at=now, department=department,
            updated_at=now))
        changes.conversations.add(conv.id)
        if conv.assigned_agent_id:
            changes.agents.add(conv.assigned_agent_id)
        if tell_visitor:
            ahead = await conn.scalar(select(func.count()).where(
                conversations.c.workspace_id == rs.workspace_id,
                conversations.c.status == "queued", conversations.c.id != conv.id,
                conversations.c.department.is_(None) if department is None
                else conversations.c.department == department,
                conversations.c.queued_at <= now))
            changes.messages.append(await _notice(conn, rs, conv.id, now, "queued",
                                                  position=int(ahead or 0) + 1))

    async def route(self, conn: AsyncConnection, rs: RuleSet, conversation_id: str, *,
                    prefer: str | None = None, exclude: str | None = None,
                    now: float | None = None) -> Changes:
        """Give a new (or reopened) conversation to an agent, or queue it."""
        now = time.time() if now is None else now
        changes = Changes(rs.workspace_id)
        conv = await _row(conn, rs.workspace_id, conversation_id)
        load = await loads(conn, rs.workspace_id)
        if prefer is not None and prefer in rs.agents and \
                self.presence.get(rs.workspace_id, prefer).status != "offline":
            await self._assign(conn, rs, conv, prefer, now, changes)
            return changes
        picked = self.candidates(rs, load, conv.department, exclude)
        if picked:
            await self._assign(conn, rs, conv, picked[0], now, changes)
        else:
            await self._queue(conn, rs, conv, conv.department, now, changes)
        return changes

    async def drain(self, conn: AsyncConnection, rs: RuleSet, agent_id: str,
                    now: float | None = None) -> Changes:
        """An agent has room (came online, closed a chat): give them the oldest queued
        conversations of their departments."""
        now = time.time() if now is None else now
        changes = Changes(rs.workspace_id)
        agent = rs.agents.get(agent_id)
        if agent is None or self.presence.get(rs.workspace_id, agent_id).status != "online":
            return changes
        load = (await loads(conn, rs.workspace_id)).get(agent_id, 0)
        room = agent.max_chats - load
        if room <= 0:
            return changes
        mine: Any = conversations.c.department.is_(None)
        if agent.departments:
            mine = mine | conversations.c.department.in_(agent.departments)
        queued = (await conn.execute(select(conversations).where(
            conversations.c.workspace_id == rs.workspace_id,
            conversations.c.status == "queued", mine)
            .order_by(conversations.c.queued_at, conversations.c.id).limit(room))).all()
        for conv in queued:
            await self._assign(conn, rs, conv, agent_id, now, changes)
        return changes

    async def claim(self, conn: AsyncConnection, rs: RuleSet, conversation_id: str,
                    agent_id: str, now: float | None = None) -> Changes:
        """An agent takes a conversation (from the queue or from a colleague)."""
        now = time.time() if now is None else now
        changes = Changes(rs.workspace_id)
        conv = await _row(conn, rs.workspace_id, conversation_id)
        if conv.status == "closed":
            raise ApiError(409, "conversation_closed", "This conversation is closed.")
        if conv.assigned_agent_id == agent_id and conv.status == "open":
            return await self.join(conn, rs, conv.id, agent_id, now)
        await self._assign(conn, rs, conv, agent_id, now, changes, joined=True)
        return changes

    async def transfer(self, conn: AsyncConnection, rs: RuleSet, conversation_id: str, *,
                       by: str, agent_id: str | None, department: str | None, note: str,
                       now: float | None = None) -> Changes:
        """Hand a conversation to another agent or department, with an internal note."""
        now = time.time() if now is None else now
        if (agent_id is None) == (department is None):
            raise ApiError(422, "invalid_transfer", "Name either an agent or a department.")
        conv = await _row(conn, rs.workspace_id, conversation_id)
        if conv.status == "closed":
            raise ApiError(409, "conversation_closed", "This conversation is closed.")
        changes = Changes(rs.workspace_id)
        if agent_id is not None:
            agent = rs.agents.get(agent_id)
            if agent is None:
                raise ApiError(404, "agent_not_found", f"No agent {agent_id[:60]!r}.")
            if self.presence.get(rs.workspace_id, agent_id).status == "offline":
                raise ApiError(409, "agent_offline", f"{agent.name} is offline.")
            target = agent.name
        else:
            assert department is not None
            if department not in rs.departments:
                raise ApiError(404, "department_not_found", f"No department {department[:60]!r}.")
            target = rs.departments[department].name
        text = f"Transferred to {target} by {by}." + (f" Note: {note}" if note else "")
        changes.messages.append(await _insert_message(
            conn, conv.id, rs.workspace_id, "system", text, now, name=by, internal=True))
        if agent_id is not None:
            await self._assign(conn, rs, conv, agent_id, now, changes)
            return changes
        await conn.execute(update(conversations).where(conversations.c.id == conv.id)
                           .values(department=department))
        conv = await _row(conn, rs.workspace_id, conversation_id)
        load = await loads(conn, rs.workspace_id)
        picked = self.candidates(rs, load, department, exclude=conv.assigned_agent_id)
        if picked:
            await self._assign(conn, rs, conv, picked[0], now, changes)
        else:
            await self._queue(conn, rs, conv, department, now, changes, tell_visitor=False)
        return changes

    async def refresh_load(self, conn: AsyncConnection, workspace_id: str,
                           agent_ids: set[str]) -> dict[str, int]:
        """Copy the database's open-chat counts into presence (the rules read them)."""
        load = await loads(conn, workspace_id)
        for agent_id in agent_ids:
            self.presence.set(workspace_id, agent_id, active_chats=load.get(agent_id, 0))
        return load


# What routing tells a visitor, in English for agents and transcripts; the widget words
# each kind in the visitor's language from the message's ``notice`` (widget.js).
NOTICES = {
    "joined": "{name} joined the chat.",
    "waiting": "Thanks for waiting: an agent will be with you shortly. You are number "
               "{position} in line.",
    "queued": "All our agents are busy right now; you are number {position} in the queue. "
              "Stay here: we will answer as soon as someone is free.",
}


async def _notice(conn: AsyncConnection, rs: RuleSet, conversation_id: str, now: float,
                  kind: str, **values: Any) -> dict[str, Any]:
    """A system line for the visitor: English text plus its kind and values."""
    return await _insert_message(conn, conversation_id, rs.workspace_id, "system",
                                 NOTICES[kind].format(**values), now,
                                 notice={"kind": kind, **values})


def agent_name(rs: RuleSet, row: Any) -> str | None:
    """The name of the agent who joined a conversation, for the visitor; None while they wait."""
    agent = rs.agents.get(row.joined_agent_id or "")
    return agent.name if agent is not None else None


async def _row(conn: AsyncConnection, workspace_id: str, conversation_id: str) -> Any:
    row = (await conn.execute(select(conversations).where(
        conversations.c.id == conversation_id,
        conversations.c.workspace_id == workspace_id))).first()
    if row is None:
        raise ApiError(404, "not_found", "No such conversation.")
    return row


async def invited_by(conn: AsyncConnection, decision_id: str | None) -> str | None:
    """The agent whose manual invitation started a conversation."""
    if not decision_id:
        return None
    payload = (await conn.execute(select(decisions.c.payload).where(
        decisions.c.id == decision_id, decisions.c.scenario_key == "manual"))).scalar()
    if not payload:
        return None
    agent = msgspec.json.decode(payload).get("agent_id")
    return agent if isinstance(agent, str) else None


async def visitor_segments(conn: AsyncConnection, visitor_id: str) -> str | None:
    """The visitor's segments now, stored on a conversation as ",a,b," for filtering."""
    doc = (await conn.execute(select(visitors.c.profile).where(
        visitors.c.id == visitor_id))).scalar()
    if not doc:
        return None
    return PROFILE_DECODER.decode(doc).segments_text()


def message_frames(workspace_id: str, rows: list[dict[str, Any]]) -> list[tuple[str, bytes]]:
    """Frames for messages inserted by routing (system lines and notes)."""
    out: list[tuple[str, bytes]] = []
    for row in rows:
        view = message_view(_Msg(row))
        frame = p.encode(p.MessageFrame(conversation_id=row["conversation_id"], seq=row["seq"],
                        message=view))
        out.append((p.agents_channel(workspace_id), frame))
        if not row["internal"]:
            out.append((p.conversation_channel(row["conversation_id"]), frame))
    return out


class _Msg:
    """A message row dict, readable as a row."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.__dict__.update(row)

