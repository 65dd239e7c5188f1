"""``/api/conversations``: lists, history search, transcripts, export, and the agent's
actions (post, claim, transfer, close) over HTTP (docs/console-api.md)."""

from __future__ import annotations

import csv
import io
import math
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker import protocol as p
from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import bearer_scheme
from floorwalker.auth.staff import agent_of, staff
from floorwalker.chat import actions, service
from floorwalker.chat.desk import summaries
from floorwalker.errors import ApiError
from floorwalker.ops.http import read_body
from floorwalker.rules.ruleset import RuleSet
from floorwalker.rules.validate import decode_checked
from floorwalker.services import Services, services
from floorwalker.store.tables import conversations, messages

router = APIRouter(prefix="/api/conversations", tags=["conversations"],
                   dependencies=[Depends(bearer_scheme)])
Staff = Annotated[Caller, Depends(staff)]
MAX_BODY = 16 * 1024
EXPORT_LIMIT = 100_000


class Filters(msgspec.Struct, kw_only=True):
    """The list and export filters."""

    view: str = "all"
    q: str | None = None
    segment: str | None = None
    agent: str | None = None
    department: str | None = None
    scenario: str | None = None
    since: float | None = None
    until: float | None = None
    rating: int | None = None
    status: str | None = None
    channel: str | None = None


def _filters(view: str = "all", q: str | None = None, segment: str | None = None,
             agent: str | None = None, department: str | None = None,
             scenario: str | None = None, since: float | None = None,
             until: float | None = None, rating: int | None = None,
             status: str | None = None, channel: str | None = None) -> Filters:
    for name, value in (("q", q), ("segment", segment), ("agent", agent),
                        ("department", department), ("scenario", scenario)):
        if value is not None and "\x00" in value:
            # PostgreSQL cannot compare text with NUL; and the export has started by then.
            raise ApiError(422, "invalid_request", f"{name} contains a NUL character.",
                           [{"path": f"$.{name}", "problem": "NUL character"}])
    return Filters(view=view, q=q, segment=segment, agent=agent, department=department,
                   scenario=scenario, since=since, until=until, rating=rating, status=status,
                   channel=channel)


def _where(f: Filters, caller: Staff, rs: RuleSet) -> list[Any]:
    """SQL conditions for the filters, inside the caller's workspace."""
    c = conversations.c
    out: list[Any] = [c.workspace_id == caller.workspace]
    if f.view == "mine":
        out += [c.assigned_agent_id == agent_of(caller), c.status != "closed"]
    elif f.view == "queue":
        out.append(c.status == "queued")
        if not caller.is_admin:
            agent = rs.agents.get(caller.agent_id or "")
            departments = list(agent.departments) if agent else []
            out.append(or_(c.department.is_(None), c.department.in_(departments)))
    if f.q:
        words = [w for w in f.q.lower().split() if w][:10]
        for word in words:
            out.append(c.id.in_(select(messages.c.conversation_id).where(
                messages.c.workspace_id == caller.workspace,
                func.lower(messages.c.text).contains(word, autoescape=True))))
    if f.segment:
        out.append(c.segments.contains(f",{f.segment},", autoescape=True))
    if f.agent:
        out.append(c.assigned_agent_id == f.agent)
    if f.department:
        out.append(c.department == f.department)
    if f.scenario:
        out.append(c.scenario_key == f.scenario)
    if f.since is not None:
        out.append(c.started_at >= f.since)
    if f.until is not None:
        out.append(c.started_at < f.until)
    if f.rating is not None:
        out.append(c.rating == f.rating)
    if f.status:
        out.append(c.status == f.status)
    if f.channel == "email":  # the visitor replied by e-mail at least once
        out.append(c.email_at.is_not(None))
    elif f.channel == "chat":
        out.append(c.email_at.is_(None))
    return out


def _cursor(row: Any) -> str:
    return f"{row.updated_at!r}:{row.id}"


def _after(before: str) -> Any:
    at, _, conv_id = before.partition(":")
    try:
        stamp = float(at)
        if not math.isfinite(stamp):
            raise ValueError(at)
    except ValueError:
        raise ApiError(422, "invalid_cursor", "Pass the 'next' value of a previous page.") \
            from None
    c = conversations.c
    return or_(c.updated_at < stamp, and_(c.updated_at == stamp, c.id < conv_id))


ViewQ = Annotated[Literal["mine", "queue", "all"], Query()]
Text64 = Annotated[str | None, Query(max_length=64)]
Epoch = Annotated[float | None, Query(allow_inf_nan=False)]
Channel = Annotated[Literal["chat", "email"] | None, Query(
    description="email: the visitor replied by e-mail at least once; chat: never")]


@router.get("", summary="Conversations: mine, my departments' queue, or all; history search")
async def list_conversations(
        request: Request, caller: Staff, view: ViewQ = "all",
        q: Annotated[str | None, Query(max_length=200)] = None,
        segment: Text64 = None, agent: Text64 = None, department: Text64 = None,
        scenario: Text64 = None, since: Epoch = None, until: Epoch = None,
        rating: Annotated[int | None, Query(ge=1, le=5)] = None,
        status: Annotated[Literal["queued", "open", "closed"] | None, Query()] = None,
        channel: Channel = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        before: Annotated[str | None, Query(max_length=120)] = None) -> Any:
    """Newest activity first; ``next`` pages on."""
    svc = services(request)
    rs = await svc.rules.cache.get(caller.workspace)
    where = _where(_filters(view, q, segment, agent, department, scenario, since, until,
                            rating, status, channel), caller, rs)
    if before:
        where.append(_after(before))
    async with svc.engine.connect() as conn:
        rows = list((await conn.execute(select(conversations).where(*where).order_by(
            conversations.c.updated_at.desc(), conversations.c.id.desc())
            .limit(limit + 1))).all())
        page = rows[:limit]
        docs = await summaries(conn, rs, page)
    return {"conversations": docs, "next": _cursor(page[-1]) if len(rows) > limit else None}


def _csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/export.csv", summary="Every matching conversation as CSV",
            response_class=StreamingResponse)
async def export_csv(
        request: Request, caller: Staff, view: ViewQ = "all",
        q: Annotated[str | None, Query(max_length=200)] = None,
        segment: Text64 = None, agent: Text64 = None, department: Text64 = None,
        scenario: Text64 = None, since: Epoch = None, until: Epoch = None,
        rating: Annotated[int | None, Query(ge=1, le=5)] = None,
        status: Annotated[Literal["queued", "open", "closed"] | None, Query()] = None,
        channel: Channel = None) -> Any:
    """Same filters as the list; one row per conversation, streamed."""
    svc = services(request)
    rs = await svc.rules.cache.get(caller.workspace)
    where = _where(_filters(view, q, segment, agent, department, scenario, since, until,
                            rating, status, channel), caller, rs)
    header = ["id", "started_at", "closed_at", "status", "department", "scenario", "agent",
              "visitor_id", "visitor_name", "visitor_email", "segments", "rating", "messages",
              "first_visitor_message"]

    async def rows() -> AsyncIterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        yield buf.getvalue()
        async with svc.engine.connect() as conn:
            offset = 0
            while offset < EXPORT_LIMIT:
                chunk = list((await conn.execute(select(conversations).where(*where).order_by(
                    conversations.c.started_at.desc(), conversations.c.id.desc())
                    .offset(offset).limit(500))).all())
                if not chunk:
                    break
                offset += len(chunk)
                docs = await summaries(conn, rs, chunk)
                firsts = await _first_visitor_messages(conn, [r.id for r in chunk])
                buf = io.StringIO()
                writer = csv.writer(buf)
                for row, doc in zip(chunk, docs, strict=True):
                    writer.writerow([_csv_cell(v) for v in (
                        row.id, _iso(row.started_at), _iso(row.closed_at), row.status,
                        row.department, row.scenario_key, doc["assigned_agent_name"],
                        row.visitor_id, doc["visitor"]["name"], doc["visitor"]["email"],
                        " ".join(doc["segments"]), row.rating, row.last_seq,
                        firsts.get(row.id, ""))])
                yield buf.getvalue()

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="conversations-{stamp}.csv"',
        "Cache-Control": "no-store"})


async def _first_visitor_messages(conn: AsyncConnection, ids: list[str]) -> dict[str, str]:
    firsts = select(messages.c.conversation_id, func.min(messages.c.seq).label("seq")).where(
        messages.c.conversation_id.in_(ids), messages.c.author == "visitor").group_by(
        messages.c.conversation_id).subquery()
    rows = await conn.execute(select(messages.c.conversation_id, messages.c.text).join(
        firsts, and_(firsts.c.conversation_id == messages.c.conversation_id,
                     firsts.c.seq == messages.c.seq)))
    return {cid: text[:1000] for cid, text in rows}


def _iso(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds") if epoch else ""


async def _one(svc: Services, caller: Staff, conversation_id: str) -> tuple[RuleSet, Any]:
    rs = await svc.rules.cache.get(caller.workspace)
    async with svc.engine.connect() as conn:
        row = (await conn.execute(select(conversations).where(
            conversations.c.id == conversation_id[:40],
            conversations.c.workspace_id == caller.workspace))).first()
    if row is None:
        raise ApiError(404, "not_found", "No such conversation.")
    return rs, row


async def _messages(conn: AsyncConnection, conversation_id: str) -> list[dict[str, Any]]:
    rows = await conn.execute(select(messages).where(
        messages.c.conversation_id == conversation_id).order_by(messages.c.seq).limit(10_000))
    return [{**service.message_view(r), "seq": r.seq} for r in rows]


@router.get("/{conversation_id}", summary="One conversation with every message and note")
async def get_conversation(conversation_id: str, request: Request, caller: Staff) -> Any:
    """The summary and all messages, internal notes included."""
    svc = services(request)
    rs, row = await _one(svc, caller, conversation_id)
    async with svc.engine.connect() as conn:
        [doc] = await summaries(conn, rs, [row])
        return {"conversation": doc, "messages": await _messages(conn, row.id)}


@router.get("/{conversation_id}/transcript.txt", response_class=PlainTextResponse,
            summary="One conversation as text")
async def transcript(conversation_id: str, request: Request, caller: Staff) -> Any:
    """A readable transcript (internal notes marked), as a download."""
    svc = services(request)
    rs, row = await _one(svc, caller, conversation_id)
    async with svc.engine.connect() as conn:
        [doc] = await summaries(conn, rs, [row])
        items = await _messages(conn, row.id)
    visitor = doc["visitor"]["name"] or doc["visitor"]["email"] or row.visitor_id
    lines = [f"Conversation {row.id}", f"Started: {_iso(row.started_at)}",
             f"Status: {row.status}" + (f" (closed {_iso(row.closed_at)})" if row.closed_at
                                         else ""),
             f"Visitor: {visitor}", f"Department: {row.department or '-'}",
             f"Scenario: {row.scenario_key or '-'}",
             f"Agent: {doc['assigned_agent_name'] or '-'}",
             f"Segments: {', '.join(doc['segments']) or '-'}",
             f"Rating: {row.rating or '-'}", ""]
    for m in items:
        who = {"visitor": visitor, "system": "System"}.get(m["author"]) or m["name"] or "Agent"
        note = " [internal note]" if m["internal"] else ""
        lines.append(f"[{_iso(m['created_at'])}] {who}{note}: {m['text']}")
    return PlainTextResponse("\n".join(lines) + "\n", headers={
        "Content-Disposition": f'attachment; filename="{row.id}.txt"',
        "Cache-Control": "no-store"})


class MessageIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/conversations/{id}/messages``."""

    text: str
    internal: bool = False
    client_id: p.Id | None = None


def _viewer(caller: Staff) -> service.Viewer:
    return service.Viewer(workspace_id=caller.workspace, kind="agent", name=caller.name,
                          author_id=caller.agent_id or caller.account_id)


@router.post("/{conversation_id}/messages", status_code=201,
             summary="Post a message or an internal note as the caller")
async def post_message(conversation_id: str, request: Request, caller: Staff) -> Any:
    """Like the socket's ``message`` frame: stored, then published."""
    svc = services(request)
    body = decode_checked(await read_body(request, MAX_BODY), MessageIn, lambda _v: [],
                          "invalid_message")
    await _one(svc, caller, conversation_id)
    frame = p.SendMessage(client_id=body.client_id or uuid.uuid4().hex, text=body.text,
                          conversation_id=conversation_id, internal=body.internal)
    posted = await actions.post_message(svc, _viewer(caller), frame, agent_id=caller.agent_id)
    return msgspec.json.decode(posted.ack)


async def _summary(svc: Services, caller: Staff, conversation_id: str) -> Any:
    rs, row = await _one(svc, caller, conversation_id)
    async with svc.engine.connect() as conn:
        [doc] = await summaries(conn, rs, [row])
    return doc


@router.post("/{conversation_id}/claim", summary="Take a conversation (from the queue or a "
             "colleague)")
async def claim(conversation_id: str, request: Request, caller: Staff) -> Any:
    """The caller becomes its agent."""
    agent_id = agent_of(caller)
    svc = services(request)
    _rs, row = await _one(svc, caller, conversation_id)
    await actions.claim(svc, caller.workspace, row.id, agent_id)
    return await _summary(svc, caller, conversation_id)


class TransferIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /api/conversations/{id}/transfer``."""

    agent_id: str | None = None
    department: str | None = None
    note: str = ""


@router.post("/{conversation_id}/transfer", summary="Hand over to an agent or a department")
async def transfer(conversation_id: str, request: Request, caller: Staff) -> Any:
    """The note becomes an internal message; a department routes or queues it."""
    svc = services(request)
    body = decode_checked(await read_body(request, MAX_BODY), TransferIn, lambda _v: [],
                          "invalid_transfer")
    if len(body.note) > p.MAX_TEXT or "\x00" in body.note:
        raise ApiError(422, "invalid_transfer", f"note is at most {p.MAX_TEXT} characters.")
    _rs, row = await _one(svc, caller, conversation_id)
    await actions.transfer(svc, caller.workspace, row.id, by=caller.name,
                           agent_id=body.agent_id, department=body.department,
                           note=body.note.strip(), previous_agent=row.assigned_agent_id)
    return await _summary(svc, caller, conversation_id)


@router.post("/{conversation_id}/close", summary="Close a conversation")
async def close(conversation_id: str, request: Request, caller: Staff) -> Any:
    """A new visitor message reopens it."""
    svc = services(request)
    await _one(svc, caller, conversation_id)
    await actions.close(svc, _viewer(caller), conversation_id)
    return await _summary(svc, caller, conversation_id)

