"""Chat actions: every write users see lives here, and publishes its frames after commit.

Conversations and messages are stored before anything is acknowledged; each stored item
takes the conversation's next sequence number, so a client that reconnects asks for
"everything after seq N" and gets it once, in order.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.errors import ApiError
from floorwalker.rules import decisions as decision_rows
from floorwalker.store.tables import (
    conversation_agents,
    conversations,
    events,
    messages,
    scenarios,
)

ENCODE = msgspec.json.Encoder()


@dataclass(slots=True)
class Viewer:
    """Who is looking at conversations through a socket."""

    workspace_id: str
    kind: str  # "visitor" | "agent"
    visitor_id: str | None = None
    anonymous_id: str | None = None
    verified: bool = False  # a valid user hash: sees the visitor's conversations everywhere
    name: str | None = None
    author_id: str | None = None


def conversation_view(row: Any) -> dict[str, Any]:
    """A conversation as frames carry it."""
    return {"id": row.id, "status": row.status, "started_at": row.started_at,
            "last_seq": row.last_seq, "department": row.department,
            "scenario": row.scenario_key,
            "context": msgspec.json.decode(row.context) if row.context else None,
            "visitor_id": row.visitor_id, "agent_read_seq": row.agent_read_seq,
            "visitor_read_seq": row.visitor_read_seq, "rating": row.rating,
            "survey": msgspec.json.decode(row.survey) if row.survey else None,
            "assigned_agent_id": row.assigned_agent_id,
            "joined_agent_id": row.joined_agent_id}


def visitor_conversation_view(row: Any, agent_name: str | None = None) -> dict[str, Any]:
    """What a visitor sees of a conversation (no internal references): ``agent_name`` is
    the person who joined it (opened or answered), None while the visitor waits."""
    view = conversation_view(row)
    for key in ("scenario", "visitor_id", "context", "rating", "survey", "assigned_agent_id",
                "joined_agent_id"):
        view.pop(key, None)
    view["agent_name"] = agent_name
    return view


def message_view(row: Any) -> dict[str, Any]:
    """A message as frames carry it."""
    client_id = row.client_id.split(":", 1)[1] if row.client_id else None
    view = {"id": row.id, "author": row.author, "text": row.text, "created_at": row.created_at,
            "client_id": client_id, "name": row.name, "internal": row.internal}
    notice = getattr(row, "notice", None)
    if notice:
        view["notice"] = msgspec.json.decode(notice)
    channel = getattr(row, "channel", None)
    if channel:
        view["channel"] = channel
    return view


def _allowed(row: Any, viewer: Viewer) -> bool:
    if row.workspace_id != viewer.workspace_id:
        return False
    if viewer.kind == "agent":
        return True
    if row.visitor_id != viewer.visitor_id:
        return False
    return viewer.verified or row.anonymous_id == viewer.anonymous_id


def _visible(query: Any, viewer: Viewer) -> Any:
    """``query`` on conversations narrowed to those a visitor may see."""
    query = query.where(conversations.c.workspace_id == viewer.workspace_id,
                        conversations.c.visitor_id == viewer.visitor_id)
    if not viewer.verified:
        query = query.where(conversations.c.anonymous_id == viewer.anonymous_id)
    return query


async def visible_conversations(conn: AsyncConnection, viewer: Viewer) -> list[Any]:
    """The conversations a visitor may see (all of theirs when verified)."""
    if viewer.visitor_id is None:
        return []
    query = _visible(select(conversations), viewer)
    return list(await conn.execute(query.order_by(conversations.c.started_at)))


async def open_conversation(conn: AsyncConnection, viewer: Viewer) -> Any | None:
    """The visitor's latest conversation that no agent closed, if any: where a message
    without a conversation id goes (one open conversation per visitor)."""
    if viewer.kind != "visitor" or viewer.visitor_id is None:
        return None
    query = _visible(select(conversations), viewer).where(conversations.c.status != "closed")
    return (await conn.execute(query.order_by(conversations.c.started_at.desc())
                               .limit(1))).first()


NEW_CONVERSATION_WINDOW = 3600.0


async def check_new_conversation(conn: AsyncConnection, viewer: Viewer, now: float,
                                 per_hour: int) -> None:
    """429 ``too_many_conversations`` once this browser (or visitor) started ``per_hour``
    conversations in the last hour; 0 is no limit."""
    if per_hour <= 0:
        return
    mine = conversations.c.anonymous_id == viewer.anonymous_id
    if viewer.visitor_id is not None:
        mine = or_(mine, conversations.c.visitor_id == viewer.visitor_id)
    started = (await conn.execute(select(func.count()).select_from(conversations).where(
        conversations.c.workspace_id == viewer.workspace_id, mine,
        conversations.c.started_at > now - NEW_CONVERSATION_WINDOW))).scalar_one()
    if started >= per_hour:
        raise ApiError(429, "too_many_conversations",
                       f"At most {per_hour} new conversations an hour; write in your open "
                       "conversation, or try again later.",
                       [{"limit": per_hour, "window_seconds": int(NEW_CONVERSATION_WINDOW)}])


async def get_conversation(conn: AsyncConnection, viewer: Viewer, conversation_id: str) -> Any:
    """A conversation the viewer may see, or 404."""
    row = (await conn.execute(select(conversations).where(
        conversations.c.id == conversation_id))).first()
    if row is None or not _allowed(row, viewer):
        raise ApiError(404, "not_found", "No such conversation.")
    return row


async def _next_seq(conn: AsyncConnection, conversation_id: str, now: float) -> int:
    result = await conn.execute(
        update(conversations).where(conversations.c.id == conversation_id)
        .values(last_seq=conversations.c.last_seq + 1, updated_at=now)
        .returning(conversations.c.last_seq))
    return int(result.scalar_one())


_AGENT_ANSWERED = {
    "sqlite": sqlite_insert(conversation_agents).on_conflict_do_nothing(),
    "postgresql": postgresql_insert(conversation_agents).on_conflict_do_nothing()}


async def _note_author(conn: AsyncConnection, row: dict[str, Any]) -> None:
    """Keep the conversation's facts for reports as a message comes: the visitor's first
    message; the first and last agent who answered (notes do not count), the first
    answer's time and the agents who answered (conversation_agents)."""
    c = conversations.c
    conv_id, at = row["conversation_id"], row["created_at"]
    if row["author"] == "visitor":
        await conn.execute(update(conversations).where(
            c.id == conv_id, c.visitor_wrote_at.is_(None)).values(visitor_wrote_at=at))
    elif row["author"] == "agent" and not row.get("internal") and row.get("author_id"):
        agent = row["author_id"]
        added = await conn.execute(_AGENT_ANSWERED[conn.dialect.name], {
            "conversation_id": conv_id, "agent_id": agent,
            "workspace_id": row["workspace_id"], "first_at": at})
        await conn.execute(update(conversations).where(c.id == conv_id).values(
            last_agent_id=agent, first_agent_id=func.coalesce(c.first_agent_id, agent),
            first_reply_at=func.coalesce(c.first_reply_at, at),
            agent_count=c.agent_count + (1 if added.rowcount == 1 else 0)))


async def _insert_message(conn: AsyncConnection, conv_id: str, workspace_id: str, author: str,
                          text: str, now: float, *, client_id: str | None = None,
                          name: str | None = None, author_id: str | None = None,
                          internal: bool = False,
                          notice: dict[str, Any] | None = None,
                          channel: str | None = None) -> dict[str, Any]:
    seq = await _next_seq(conn, conv_id, now)
    row = {"id": "m_" + secrets.token_hex(10), "conversation_id": conv_id,
           "workspace_id": workspace_id, "seq": seq, "author": author,
           "author_id": author_id, "name": name, "text": text, "internal": internal,
           "client_id": client_id, "created_at": now,
           "notice": ENCODE.encode(notice).decode() if notice else None, "channel": channel}
    await conn.execute(messages.insert().values(**row))
    return row


def _check_text(frame: p.SendMessage) -> str:
    text = frame.text.strip()
    if not text or len(text) > p.MAX_TEXT or "\x00" in text:
        raise ApiError(422, "invalid_message",
                       f"A message is 1-{p.MAX_TEXT} characters of text.")
    if not frame.client_id or len(frame.client_id) > 64 or "\x00" in frame.client_id:
        raise ApiError(422, "invalid_client_id", "client_id is 1-64 characters.")
    return text


FORM_KEYS = 20
FORM_TEXT = 2000
FORM_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")


def check_message(frame: p.SendMessage) -> None:
    """422 for a message that would be refused (text, client id, form), before anything
    is written."""
    _check_text(frame)
    check_form(frame.form)


def check_form(form: dict[str, Any] | None) -> dict[str, str] | None:
    """The pre-chat form of a message frame, or ``invalid_form``."""
    if form is None:
        return None
    if len(form) > FORM_KEYS or not all(
            FORM_KEY.fullmatch(k) and isinstance(v, str) and len(v) <= FORM_TEXT
            and "\x00" not in v for k, v in form.items()):
        raise ApiError(422, "invalid_form",
                       f"form holds at most {FORM_KEYS} answers: keys of a-z, 0-9 and _ "
                       f"(1-40, starting with a letter), values of at most {FORM_TEXT} "
                       "characters of text.")
    return {k: str(v) for k, v in form.items()}


@dataclass(slots=True)
class Posted:
    """The outcome of posting a message: the ack and the frames to publish."""

    ack: bytes
    conversation_id: str
    new_conversation: dict[str, Any] | None
    frames: list[tuple[str, bytes]]
    reopened: bool = False
    previous_agent: str | None = None


async def _existing(conn: AsyncConnection, viewer: Viewer, conversation_id: str | None,
                    key: str) -> Posted | None:
    """The message this viewer already sent with this client id: per conversation (or, for
    a visitor's first message, among their own conversations), never workspace-wide, so
    one visitor's client id neither collides with nor reveals another's."""
    query = select(messages).where(messages.c.workspace_id == viewer.workspace_id,
                                   messages.c.client_id == key)
    if conversation_id is not None:
        query = query.where(messages.c.conversation_id == conversation_id)
    if viewer.kind == "visitor":
        if viewer.visitor_id is None:
            return None
        query = query.where(messages.c.conversation_id.in_(
            _visible(select(conversations.c.id), viewer)))
    elif conversation_id is None:
        return None
    row = (await conn.execute(query.limit(1))).first()
    if row is None:
        return None
    ack = p.encode(p.Ack(client_id=key.split(":", 1)[1], conversation_id=row.conversation_id,
                  message_id=row.id, seq=row.seq))
    return Posted(ack, row.conversation_id, None, [])


CONTEXT_KEYS = 30
CONTEXT_TEXT = 300


async def _trigger_event(conn: AsyncConnection, visitor_id: str, trigger: str | None,
                         at: float) -> dict[str, Any] | None:
    """The event that fired the invitation ("event:search" -> the visitor's last search at
    that moment): the agent sees its search term, coupon code, FAQ question..."""
    if not trigger or not trigger.startswith("event:"):
        return None
    name = trigger.split(":", 1)[1]
    row = (await conn.execute(select(events.c.properties).where(
        events.c.visitor_id == visitor_id, events.c.name == name,
        events.c.received_at <= at + 1).order_by(events.c.id.desc()).limit(1))).first()
    if row is None:
        return None
    props = msgspec.json.decode(row.properties)
    shown: dict[str, Any] = {}
    for key, value in list(props.items())[:CONTEXT_KEYS]:
        if isinstance(value, str):
            shown[key] = value[:CONTEXT_TEXT]
        elif isinstance(value, int | float | bool) or value is None:
            shown[key] = value
    return {"name": name, "properties": shown}


async def _start(conn: AsyncConnection, viewer: Viewer, decision_id: str | None,
                 now: float, form: dict[str, str] | None = None,
                 ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Create a conversation (from an invitation when ``decision_id`` names one); the
    pre-chat ``form`` goes into its context for the agent."""
    assert viewer.visitor_id
    department = scenario_key = None
    context_doc: dict[str, Any] | None = None
    opening: list[tuple[str, str | None]] = []
    if decision_id:
        dec = await decision_rows.find(conn, viewer.workspace_id, viewer.visitor_id,
                                       decision_id)
        if dec is not None:
            scenario_key = dec.scenario_key
            payload = msgspec.json.decode(dec.payload) if dec.payload else {}
            context_doc = {k: payload[k] for k in ("type", "text", "coupon", "title", "url")
                           if k in payload}
            context_doc["trigger"] = dec.trigger
            event = await _trigger_event(conn, viewer.visitor_id, dec.trigger, dec.created_at)
            if event is not None:
                context_doc["event"] = event
            if payload.get("text"):
                opening.append((payload["text"], payload.get("agent_name")))
            definition = (await conn.execute(select(scenarios.c.definition).where(
                scenarios.c.workspace_id == viewer.workspace_id,
                scenarios.c.key == dec.scenario_key))).scalar()
            if definition:
                department = msgspec.json.decode(definition).get("department")
            await decision_rows.answer(conn, viewer.workspace_id, viewer.visitor_id,
                                       decision_id, "replied", now)
    if form:
        context_doc = context_doc or {}
        context_doc["prechat"] = form
    conv_id = "c_" + secrets.token_hex(10)
    conv: dict[str, Any] = {"id": conv_id, "workspace_id": viewer.workspace_id,
            "visitor_id": viewer.visitor_id, "anonymous_id": viewer.anonymous_id,
            "status": "open", "department": department, "scenario_key": scenario_key,
            "decision_id": decision_id,
            "context": ENCODE.encode(context_doc).decode() if context_doc else None,
            "assigned_agent_id": None, "last_seq": 0, "visitor_read_seq": 0,
            "agent_read_seq": 0, "started_at": now, "updated_at": now, "closed_at": None,
            "rating": None, "survey": None, "queued_at": None, "assigned_at": None,
            "joined_agent_id": None,
            "segments": None}
    await conn.execute(conversations.insert().values(**conv))
    if decision_id:
        await decision_rows.chat_started(conn, decision_id, now)  # the funnel's "chats"
    # The invitation that started it is the first message: the agent sees the context.
    rows = [await _insert_message(conn, conv_id, viewer.workspace_id, "system", text, now,
                                  name=name) for text, name in opening]
    return conv, rows


async def starts_conversation(conn: AsyncConnection, viewer: Viewer, frame: p.SendMessage,
                              new_per_hour: int = 0) -> bool:
    """Whether a visitor's message would start a conversation (not a resend, no open
    conversation to go to); 429 ``too_many_conversations`` when it may not."""
    if viewer.kind != "visitor" or frame.conversation_id is not None:
        return False
    if await _existing(conn, viewer, None, f"v:{frame.client_id}") is not None:
        return False
    if await open_conversation(conn, viewer) is not None:
        return False
    await check_new_conversation(conn, viewer, time.time(), new_per_hour)
    return True


async def post_message(conn: AsyncConnection, viewer: Viewer, frame: p.SendMessage,
                       *, new_per_hour: int = 0, channel: str | None = None) -> Posted:
    """Store a message (starting a conversation if needed); the caller commits, then
    sends ``ack`` and publishes ``frames``. A repeated ``client_id`` changes nothing.

    A visitor's message without a conversation id goes to their open conversation; only
    when an agent closed every one does it start a new one (at most ``new_per_hour``).
    """
    text = _check_text(frame)
    form = check_form(frame.form)
    key = f"{viewer.kind[0]}:{frame.client_id}"
    again = await _existing(conn, viewer, frame.conversation_id, key)
    if again is not None:
        return again
    now = time.time()
    target = frame.conversation_id
    if target is None and viewer.kind == "visitor":
        current = await open_conversation(conn, viewer)
        target = current.id if current is not None else None
        if target is not None and frame.decision_id and viewer.visitor_id:
            # Accepting an invitation while in a chat: it is answered, the chat goes on.
            await decision_rows.answer(conn, viewer.workspace_id, viewer.visitor_id,
                                       frame.decision_id, "replied", now)
    new_conv: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    reopened, previous_agent = False, None
    if target:
        conv_row = await get_conversation(conn, viewer, target)
        conv_id = conv_row.id
        if conv_row.status == "closed" and viewer.kind == "visitor":
            # A new visitor message reopens the conversation (routing assigns it again).
            await conn.execute(update(conversations).where(conversations.c.id == conv_id)
                               .values(status="open", closed_at=None))
            reopened, previous_agent = True, conv_row.assigned_agent_id
    else:
        if viewer.kind != "visitor":
            raise ApiError(422, "conversation_required", "Name the conversation to answer.")
        await check_new_conversation(conn, viewer, now, new_per_hour)
        new_conv, rows = await _start(conn, viewer, frame.decision_id, now, form)
        conv_id = new_conv["id"]
    author = "agent" if viewer.kind == "agent" else "visitor"
    row = await _insert_message(conn, conv_id, viewer.workspace_id, author, text, now,
                                client_id=key, name=viewer.name, author_id=viewer.author_id,
                                internal=frame.internal and viewer.kind == "agent",
                                channel=channel)
    rows.append(row)
    if channel == "email":
        await conn.execute(update(conversations).where(conversations.c.id == conv_id)
                           .values(email_at=now))
    conv_now = (await conn.execute(select(conversations).where(
        conversations.c.id == conv_id))).first()
    await _note_author(conn, row)
    if author == "agent" and not row["internal"] and conv_now is not None \
            and conv_now.decision_id:
        # The funnel's "answered": an agent wrote in the chat an invitation started.
        await decision_rows.chat_answered(conn, conv_now.decision_id, now)
    # The agents' "conversation" frame (a full summary) comes from routing (chat/desk.py).
    frames: list[tuple[str, bytes]] = []
    for r in rows:
        msg = p.encode(p.MessageFrame(conversation_id=conv_id, seq=r["seq"],
                      message=message_view(_RowView(**r))))
        frames.append((p.agents_channel(viewer.workspace_id), msg))
        if not r["internal"]:
            frames.append((p.conversation_channel(conv_id), msg))
    ack = p.encode(p.Ack(client_id=frame.client_id, conversation_id=conv_id,
                  message_id=row["id"], seq=row["seq"]))
    return Posted(ack, conv_id,
                  visitor_conversation_view(conv_now) if new_conv is not None else None, frames,
                  reopened, previous_agent)


class _RowView(msgspec.Struct, kw_only=True):
    """A message row built in memory, readable like a database row."""

    id: str
    conversation_id: str
    workspace_id: str
    seq: int
    author: str
    author_id: str | None
    name: str | None
    text: str
    internal: bool
    client_id: str | None
    created_at: float
    notice: str | None = None
    channel: str | None = None


async def replay(conn: AsyncConnection, viewer: Viewer,
                 wanted: dict[str, int]) -> list[bytes]:
    """Every message frame after the given seq, for conversations the viewer may see."""
    out: list[bytes] = []
    for conv_id, last in list(wanted.items())[:100]:
        try:
            await get_conversation(conn, viewer, conv_id)
        except ApiError:
            out.append(p.error("not_found", f"No conversation {conv_id[:40]!r}."))
            continue
        query = select(messages).where(messages.c.conversation_id == conv_id,
                                       messages.c.seq > max(0, int(last)))
        if viewer.kind == "visitor":
            query = query.where(messages.c.internal.is_(False))
        for row in await conn.execute(query.order_by(messages.c.seq).limit(1000)):
            out.append(p.encode(p.MessageFrame(conversation_id=conv_id, seq=row.seq,
                               message=message_view(row))))
    return out


async def mark_read(conn: AsyncConnection, viewer: Viewer, frame: p.Read) -> bytes:
    """Remember how far the viewer has read; returns the frame to publish."""
    row = await get_conversation(conn, viewer, frame.conversation_id)
    column = "agent_read_seq" if viewer.kind == "agent" else "visitor_read_seq"
    seq = max(0, min(frame.seq, row.last_seq))
    await conn.execute(update(conversations).where(conversations.c.id == row.id)
                       .values({column: seq}))
    return p.encode(p.ReadFrame(conversation_id=row.id, seq=seq, by=viewer.kind))


async def close_conversation(conn: AsyncConnection, viewer: Viewer,
                             conversation_id: str) -> tuple[Any, list[tuple[str, bytes]]]:
    """Close a conversation (agents only); returns it and the visitor's frame to publish."""
    if viewer.kind != "agent":
        raise ApiError(403, "forbidden", "Only an agent closes a conversation.")
    row = await get_conversation(conn, viewer, conversation_id)
    now = time.time()
    if row.status != "closed":
        await conn.execute(update(conversations).where(conversations.c.id == row.id).values(
            status="closed", closed_at=now, updated_at=now))
    row = await get_conversation(conn, viewer, conversation_id)
    # Agents get the full summary from the desk (chat/desk.py) after commit.
    return row, [
        (p.conversation_channel(row.id),
         p.encode(p.ConversationFrame(conversation=visitor_conversation_view(row))))]


async def record_rating(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                        properties: dict[str, Any]) -> bool:
    """Store a post-chat survey (the widget's ``chat_rated`` event) on its conversation."""
    conv_id = properties.get("conversation_id")
    rating = properties.get("rating")
    if not isinstance(conv_id, str) or not isinstance(rating, int | float) \
            or isinstance(rating, bool):
        return False
    survey = {k: properties[k] for k in ("rating", "comment", "found") if k in properties}
    result = await conn.execute(update(conversations).where(
        conversations.c.id == conv_id, conversations.c.workspace_id == workspace_id,
        conversations.c.visitor_id == visitor_id).values(
        rating=max(1, min(5, int(rating))), survey=ENCODE.encode(survey).decode()))
    return bool(result.rowcount)


async def publish(bus: Bus, frames: list[tuple[str, bytes]]) -> None:
    """Publish frames (after commit)."""
    for channel, data in frames:
        await bus.publish(channel, data)


class _VisitorRows:
    """A visitor's conversations and their messages, for merges and erasure (profiles'
    ``VisitorRows``): a merge takes the conversations along, so the person sees them on
    every device; erasure deletes them, messages first."""

    async def move(self, conn: AsyncConnection, source: str, target: str) -> None:
        """The source visitor merged into the target."""
        await conn.execute(update(conversations).where(conversations.c.visitor_id == source)
                           .values(visitor_id=target))

    async def erase(self, conn: AsyncConnection, workspace_id: str, visitor_id: str) -> None:
        """Nothing the visitor said, or was told, stays."""
        mine = select(conversations.c.id).where(conversations.c.visitor_id == visitor_id,
                                                conversations.c.workspace_id == workspace_id)
        await conn.execute(delete(messages).where(messages.c.conversation_id.in_(mine)))
        await conn.execute(delete(conversation_agents).where(
            conversation_agents.c.conversation_id.in_(mine)))
        await conn.execute(delete(conversations).where(
            conversations.c.visitor_id == visitor_id,
            conversations.c.workspace_id == workspace_id))


VISITOR_ROWS = _VisitorRows()


async def record_past(conn: AsyncConnection, conversation_rows: list[dict[str, Any]],
                      message_rows: list[dict[str, Any]]) -> None:
    """Store conversations that already happened, with their messages (the demo's
    month of history; an import). Rows carry every column: nothing is routed or sent.
    The invitations that started them note the chat and its first agent answer."""
    if conversation_rows:
        await conn.execute(conversations.insert(), conversation_rows)
    for m in sorted(message_rows, key=lambda m: (m["conversation_id"], m["seq"])):
        await conn.execute(messages.insert(), m)
        await _note_author(conn, m)
    answered: dict[str, float] = {}
    for m in message_rows:
        if m["author"] == "agent" and not m.get("internal"):
            answered[m["conversation_id"]] = min(m["created_at"], answered.get(
                m["conversation_id"], m["created_at"]))
    for conv in conversation_rows:
        if conv.get("decision_id"):
            await decision_rows.chat_started(conn, conv["decision_id"], conv["started_at"])
            if conv["id"] in answered:
                await decision_rows.chat_answered(conn, conv["decision_id"],
                                                  answered[conv["id"]])


async def rebuild_chat_facts(conn: AsyncConnection, workspace_id: str) -> None:
    """Recompute a workspace's conversation facts (the visitor's first message, first and
    last answering agent, first answer, agents) from its messages: for rows written
    around :func:`post_message` (a bulk load, a repair); they are kept as messages come
    otherwise."""
    c, m, a = conversations.c, messages.c, conversation_agents.c
    answering = (m.author == "agent", m.internal.is_(False), m.author_id.is_not(None))
    await conn.execute(delete(conversation_agents).where(a.workspace_id == workspace_id))
    await conn.execute(insert(conversation_agents).from_select(
        ["conversation_id", "agent_id", "workspace_id", "first_at"],
        select(m.conversation_id, m.author_id, func.min(m.workspace_id),
               func.min(m.created_at)).where(m.workspace_id == workspace_id, *answering)
        .group_by(m.conversation_id, m.author_id)))
    mine = m.conversation_id == c.id
    await conn.execute(update(conversations).where(c.workspace_id == workspace_id).values(
        visitor_wrote_at=select(func.min(m.created_at)).where(
            mine, m.author == "visitor").scalar_subquery(),
        first_agent_id=select(m.author_id).where(mine, *answering).order_by(m.seq)
        .limit(1).scalar_subquery(),
        last_agent_id=select(m.author_id).where(mine, *answering).order_by(m.seq.desc())
        .limit(1).scalar_subquery(),
        first_reply_at=select(func.min(a.first_at)).where(a.conversation_id == c.id)
        .scalar_subquery(),
        agent_count=select(func.count()).where(a.conversation_id == c.id)
        .scalar_subquery()))
