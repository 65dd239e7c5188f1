"""The WebSocket endpoints ``/ws/visitor`` and ``/ws/agent`` (docs/realtime.md)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec
import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from floorwalker import protocol as p
from floorwalker.accounts.model import Session
from floorwalker.auth import sessions as auth
from floorwalker.bus import Subscription
from floorwalker.chat import actions, service
from floorwalker.chat.routing import agent_name
from floorwalker.engage import actions as engage_actions
from floorwalker.errors import ApiError
from floorwalker.live.visitors import visitors_channel
from floorwalker.mail import transcripts
from floorwalker.ops.bodies import MAX_JSON_DEPTH, too_deep
from floorwalker.ops.http import client_ip
from floorwalker.profiles.ids import MAX_ID_LENGTH, is_placeholder
from floorwalker.profiles.queries import find_linked_visitor_id
from floorwalker.services import Services, services
from floorwalker.tenancy.keys import user_hash_matches
from floorwalker.tenancy.service import workspace_token

router = APIRouter()
Watch = Callable[[], Coroutine[Any, Any, None]]
log = structlog.get_logger("floorwalker.ws")


class _Close(Exception):
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


async def _resolve(svc: Services, workspace_id: str, kind: str, value: str) -> str | None:
    """The visitor of the browser's own anonymous id, or of a user id whose hash was
    checked; never a lookup by any id (docs/identity.md)."""
    async with svc.engine.connect() as conn:
        return await find_linked_visitor_id(conn, workspace_id, kind, value)


def _param(ws: WebSocket, name: str) -> str | None:
    value = ws.query_params.get(name)
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise _Close(4400, f"bad {name}")
    return value


async def _visitor_viewer(ws: WebSocket, svc: Services) -> service.Viewer:
    if ws.query_params.get("v", "1") != str(p.PROTOCOL_VERSION):
        raise _Close(4400, "unsupported protocol version")
    key = _param(ws, "writeKey")
    anon = _param(ws, "anonymousId")
    if not key or not anon or is_placeholder(anon):
        raise _Close(4400, "writeKey and anonymousId are required")
    site = await svc.directory.site_key(key)
    if site is None:
        raise _Close(4401, "unknown write key")
    ip = client_ip(ws, svc.settings.trusted_proxies) or "unknown"
    ws.state.client_ip = ip
    try:
        svc.ip_limiter.check(ip, "client address")
    except ApiError:
        raise _Close(4429, "rate limited") from None
    user_id, given = _param(ws, "userId"), _param(ws, "userHash")
    viewer = service.Viewer(workspace_id=site.workspace_id, kind="visitor", anonymous_id=anon)
    if user_id is not None:
        if not given or not user_hash_matches(site.identity_secret, user_id, given):
            raise _Close(4403, "userHash does not match userId")
        viewer.verified = True
        viewer.visitor_id = await _resolve(svc, site.workspace_id, "user", user_id)
        viewer.author_id = user_id
    if viewer.visitor_id is None:
        viewer.visitor_id = await _resolve(svc, site.workspace_id, "anon", anon)
    ws.state.site_id = site.site_id
    ws.state.user_id = user_id if viewer.verified else None
    return viewer


class Connection:
    """One socket: a reader of client frames and a writer of bus frames."""

    def __init__(self, ws: WebSocket, svc: Services, viewer: service.Viewer) -> None:
        self.ws = ws
        self.svc = svc
        self.viewer = viewer
        self.sub = svc.bus.subscribe([])
        self.send_lock = asyncio.Lock()
        self.agent_id: str | None = None  # a console account that chats
        # Runs beside reader and writer; raises _Close when the caller's right to this
        # socket ends (a console's session or admin token, see agent_socket).
        self.watch: Watch | None = None

    async def send(self, data: bytes) -> None:
        """Send one frame (text)."""
        async with self.send_lock:
            await self.ws.send_text(data.decode())

    async def run(self) -> None:
        """Serve until either side closes."""
        tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._write())]
        if self.watch is not None:
            tasks.append(asyncio.create_task(self.watch()))
        try:
            done, _pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                exc = task.exception()
                if exc is not None and not isinstance(exc, WebSocketDisconnect | _Close):
                    log.error("socket task failed", error=repr(exc))
                    # Never leave a client talking to a socket nobody reads: it reconnects.
                    exc = _Close(1011, "internal error")
                if isinstance(exc, _Close):
                    with contextlib.suppress(Exception):
                        await self.ws.close(exc.code, exc.reason)
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            self.sub.close()

    async def _write(self) -> None:
        while True:
            data = await self.sub.queue.get()
            if self.sub.overflowed:
                raise _Close(4409, "too slow; reconnect and resume")
            # Decisions for live sockets were marked delivered when they were stored.
            await self.send(data)

    async def _read(self) -> None:
        timeout = self.svc.settings.ws_heartbeat_seconds * 3
        while True:
            try:
                async with asyncio.timeout(timeout):
                    text = await self.ws.receive_text()
            except TimeoutError:
                raise _Close(4408, "idle") from None
            if len(text) > p.MAX_FRAME_BYTES:
                await self.send(p.error("frame_too_large", "A frame is at most 64 KiB."))
                continue
            if too_deep(text):
                await self.send(p.error("limit_exceeded", "A frame nests at most "
                                        f"{MAX_JSON_DEPTH} levels of objects and arrays."))
                continue
            try:
                frame = p.CLIENT_DECODER.decode(text)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                await self.send(p.error("invalid_frame", str(exc)[:300]))
                continue
            try:
                await self.handle(frame)
            except ApiError as exc:
                await self.send(p.error(exc.code, exc.message,
                                        getattr(frame, "client_id", None)))

    async def handle(self, frame: p.ClientFrame) -> None:
        """Act on one client frame."""
        svc, viewer = self.svc, self.viewer
        if isinstance(frame, p.Ping):
            await self.send(p.encode(p.Pong()))
        elif isinstance(frame, p.SendMessage):
            await self._message(frame)
        elif isinstance(frame, p.Resume):
            async with svc.engine.connect() as conn:
                replayed = await service.replay(conn, viewer, frame.conversations)
            if viewer.kind == "visitor" and viewer.visitor_id:
                # Only conversations the visitor may see reach this point without an error.
                async with svc.engine.connect() as conn:
                    for row in await service.visible_conversations(conn, viewer):
                        if row.id in frame.conversations:
                            self.sub.add(p.conversation_channel(row.id))
            for data in replayed:
                await self.send(data)
        elif isinstance(frame, p.Typing):
            await actions.typing(svc, viewer, frame)
        elif isinstance(frame, p.Read):
            # The assigned agent opening the chat joins it.
            await actions.mark_read(svc, viewer, frame, self.agent_id)
        elif isinstance(frame, p.DecisionResponse):
            await self._decision_response(frame)
        elif isinstance(frame, p.Close):
            await actions.close(svc, viewer, frame.conversation_id)
        elif isinstance(frame, p.TranscriptRequest):
            await self.send(await transcripts.request(svc.mail_parts, viewer, frame))
        elif isinstance(frame, p.Status):
            if viewer.kind != "agent" or self.agent_id is None:
                raise ApiError(409, "not_an_agent", "Only an agent account has a status.")
            if frame.status not in ("online", "away"):
                raise ApiError(422, "invalid_status", "status is 'online' or 'away'.")
            await svc.desk.set_status(viewer.workspace_id, self.agent_id, frame.status)

    async def _message(self, frame: p.SendMessage) -> None:
        if self.viewer.kind == "visitor" and frame.conversation_id is None:
            # One at a time per browser: two tabs' first messages make one conversation.
            key = f"{self.viewer.workspace_id}:{self.viewer.anonymous_id}"
            async with self.svc.visitor_sockets.lock(key):
                await self._post(frame)
        else:
            await self._post(frame)

    async def _post(self, frame: p.SendMessage) -> None:
        svc, viewer = self.svc, self.viewer
        per_hour = svc.settings.chat_new_conversations_per_hour
        if viewer.kind == "visitor" and frame.conversation_id is None:
            # Refuse a bad message (or one conversation too many) before the chat is put
            # on the timeline; a message for the open conversation starts nothing.
            service.check_message(frame)
            async with svc.engine.connect() as conn:
                starts = await service.starts_conversation(conn, viewer, frame, per_hour)
            if starts:
                await actions.chat_started(svc, viewer, self.ws.state.site_id,
                                           self.ws.state.user_id, frame.decision_id)
        await actions.post_message(svc, viewer, frame, agent_id=self.agent_id,
                                   new_per_hour=per_hour, answer=self._acknowledge)

    async def _acknowledge(self, posted: service.Posted) -> None:
        """Committed: the sender hears of it before anyone else does."""
        if self.viewer.kind == "visitor":
            channel = p.conversation_channel(posted.conversation_id)
            if channel not in self.sub.channels:
                self.sub.add(channel)
        if posted.new_conversation is not None:
            await self.send(p.encode(p.ConversationFrame(conversation=posted.new_conversation)))
        await self.send(posted.ack)

    async def _decision_response(self, frame: p.DecisionResponse) -> None:
        await engage_actions.record_response(self.svc, self.viewer.workspace_id,
                                             self.viewer.visitor_id or "",
                                             frame.decision_id, frame.response)


@router.websocket("/ws/visitor")
async def visitor_socket(ws: WebSocket) -> None:
    """The widget's live connection."""
    svc = services(ws)
    try:
        viewer = await _visitor_viewer(ws, svc)
        counted = (f"{viewer.workspace_id}:{viewer.anonymous_id}", ws.state.client_ip)
        refused = svc.visitor_sockets.acquire(*counted)
        if refused is not None:
            svc.metrics.rejected.labels("too_many_connections").inc()
            raise _Close(4429, refused)
    except _Close as exc:
        # Accepted first: a close before the handshake reaches a browser as a bare HTTP
        # 403, and the widget needs the code (give up on 4401/4400, wait on 4429).
        await ws.accept()
        await ws.close(exc.code, exc.reason)
        return
    try:
        await _serve_visitor(ws, svc, viewer)
    finally:
        svc.visitor_sockets.release(*counted)


async def _serve_visitor(ws: WebSocket, svc: Services, viewer: service.Viewer) -> None:
    assert viewer.anonymous_id
    await ws.accept()
    conn = Connection(ws, svc, viewer)
    conn.sub.add(p.browser_channel(viewer.workspace_id, viewer.anonymous_id))
    async with svc.engine.connect() as db:
        rows = await service.visible_conversations(db, viewer)
    rs = await svc.desk.rules(viewer.workspace_id)
    for row in rows:
        conn.sub.add(p.conversation_channel(row.id))
    svc.metrics.sockets.labels("visitor").inc()
    try:
        await conn.send(p.encode(p.Welcome(v=p.PROTOCOL_VERSION,
                                heartbeat=svc.settings.ws_heartbeat_seconds,
                                conversations=[service.visitor_conversation_view(
                                    r, agent_name(rs, r)) for r in rows])))
        await conn.run()
    finally:
        svc.metrics.sockets.labels("visitor").dec()


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    """The console's live connection: an account's session cookie, or a workspace admin
    token in the ``Authorization`` header or the ``Sec-WebSocket-Protocol`` offer."""
    svc = services(ws)
    refused = _agent_params_refused(ws)
    if refused is not None:
        # Accepted first so that the reason reaches the script (a bare 403 otherwise).
        await ws.accept()
        await ws.close(4400, refused)
        return
    token, subprotocol = _socket_token(ws)
    account_id = agent_id = None
    session_watch: _SessionWatch | None = None
    if token is not None:
        # A script: it acts as its token, by the token's name; it cannot pick an agent.
        async with svc.engine.connect() as db:
            found = await workspace_token(db, token)
        if found is None:
            await ws.close(4401, "a workspace admin token is required")
            return
        workspace_id, author_id, name = found[0], found[1], found[2][:100]
        watch = _token_watch(svc, token, workspace_id)
    else:
        # The console: the agent's session cookie (same origin only).
        session = await auth.session_for_socket(svc, ws)
        if session is None:
            await ws.close(4401, "log in, or send a workspace admin token")
            return
        account = session.account
        workspace_id, name = account.workspace_id, account.name
        author_id = account.agent_id or account.id
        account_id, agent_id = account.id, account.agent_id
        watch = session_watch = _SessionWatch(svc, session)
    try:
        await ws.accept(subprotocol=subprotocol)
    except BaseException:
        if session_watch is not None:
            session_watch.close()
        raise
    viewer = service.Viewer(workspace_id=workspace_id, kind="agent", name=name,
                            author_id=author_id)
    conn = Connection(ws, svc, viewer)
    conn.agent_id = agent_id
    conn.watch = watch
    conn.sub.add(p.agents_channel(workspace_id))
    conn.sub.add(visitors_channel(workspace_id))
    if account_id is not None:
        conn.sub.add(p.account_channel(account_id))
    # The live list must be filled for its frames and alerts to flow (after a restart too).
    await svc.live.rows(workspace_id)
    svc.metrics.sockets.labels("agent").inc()
    try:
        await conn.send(p.encode(p.Welcome(v=p.PROTOCOL_VERSION,
                                heartbeat=svc.settings.ws_heartbeat_seconds,
                                conversations=[], account_id=account_id,
                                agent_id=agent_id)))
        if agent_id is not None:
            await svc.desk.agent_connected(workspace_id, agent_id)
        await conn.run()
    finally:
        svc.metrics.sockets.labels("agent").dec()
        if session_watch is not None:
            session_watch.close()
        if agent_id is not None:
            await svc.desk.agent_disconnected(workspace_id, agent_id)


SUBPROTOCOL = "floorwalker"
_BEARER_PROTOCOL = "bearer."


def _agent_params_refused(ws: WebSocket) -> str | None:
    """Why the query string of an agent handshake is refused, or None.

    A token in a URL ends up in access logs and browser history; the socket's name and
    agent come from its session or token, never from the client.
    """
    if "token" in ws.query_params:
        return ("send the admin token in the Authorization header or as the "
                "'bearer.<token>' subprotocol, not in the URL")
    if "agent_id" in ws.query_params or "name" in ws.query_params:
        return "agent_id and name come from the session or token"
    return None


def _socket_token(ws: WebSocket) -> tuple[str | None, str | None]:
    """The admin token a handshake carries, and the subprotocol to answer with."""
    scheme, _, value = ws.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()[:200], None
    offered: list[str] = list(ws.scope.get("subprotocols") or [])
    for proto in offered:
        if proto.startswith(_BEARER_PROTOCOL) and len(proto) > len(_BEARER_PROTOCOL):
            # The token is never echoed back: the answer is the protocol's own name.
            return (proto[len(_BEARER_PROTOCOL):][:200],
                    SUBPROTOCOL if SUBPROTOCOL in offered else None)
    return None, None


NUDGE_GRACE_SECONDS = 0.5


async def _changes_or_timeout(svc: Services, sub: Subscription) -> str | None:
    """The reason of the next nudge on ``sub``, or None after the check interval."""
    try:
        async with asyncio.timeout(svc.settings.ws_session_check_seconds):
            return (await sub.queue.get()).decode()
    except TimeoutError:
        return None


class _SessionWatch:
    """Close a console's socket once its session ends or its role changes: at once when
    the account is told (logout, disable, password), otherwise at the next check."""

    def __init__(self, svc: Services, session: Session) -> None:
        self.svc = svc
        self.session = session
        # Subscribed now, before the socket's welcome: a nudge sent right after it must
        # not fall between the welcome and the watch task's first step.
        self.sub = svc.bus.subscribe([p.sockets_channel(session.account.id)])

    def close(self) -> None:
        """Stop hearing nudges (idempotent)."""
        self.sub.close()

    async def __call__(self) -> None:
        svc, session, sub = self.svc, self.session, self.sub
        try:
            last: str | None = None  # the latest nudge's reason: why a check may fail
            while True:
                reason = await _changes_or_timeout(svc, sub)
                last = reason or last
                problem = await auth.socket_problem(svc, session, reason or last)
                if problem is not None and last is None:
                    # The periodic check saw the change first; the nudge that says why
                    # (logged out, disabled...) follows its commit within moments.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(NUDGE_GRACE_SECONDS):
                            last = (await sub.queue.get()).decode()
                            problem = await auth.socket_problem(svc, session, last)
                if problem is not None:
                    raise _Close(*problem)
        finally:
            self.close()


def _token_watch(svc: Services, token: str, workspace_id: str) -> Watch:
    """Close a script's socket once its admin token is gone."""
    async def watch() -> None:
        while True:
            await asyncio.sleep(svc.settings.ws_session_check_seconds)
            async with svc.engine.connect() as db:
                found = await workspace_token(db, token)
            if found is None or found[0] != workspace_id:
                raise _Close(4401, "the admin token is no longer valid")
    return watch
