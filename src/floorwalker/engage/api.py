"""``/v1/decisions``: what the widget shows, for clients without the WebSocket.

Answers carry rendered texts and display fields only — never the rules behind them,
lookup values or sensitive attributes.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request

from floorwalker.auth.sitekeys import site_key
from floorwalker.engage import actions
from floorwalker.errors import ApiError
from floorwalker.ops.http import client_ip, read_body
from floorwalker.profiles.queries import find_linked_visitor_id
from floorwalker.services import services
from floorwalker.tenancy.keys import user_hash_matches

router = APIRouter(prefix="/v1", tags=["tracking"])


async def _visitor(request: Request, anonymous_id: str, user_id: str | None = None,
                   given_hash: str | None = None) -> tuple[str, str]:
    """The workspace and the visitor a browser may act for ("" when there is none yet).

    Only the browser's own anonymous id is looked up, never a user id or a visitor id in
    its place; a user id counts only with its valid user hash (or the server key).
    """
    svc = services(request)
    svc.ip_limiter.check(client_ip(request, svc.settings.trusted_proxies) or "unknown",
                         "client address")
    site = await site_key(request, b"")
    svc.key_limiter.check(site.site_id + (":srv" if site.trusted else ":pub"), "key")
    if user_id is not None and not site.trusted and not (
            given_hash and user_hash_matches(site.identity_secret, user_id, given_hash)):
        raise ApiError(403, "invalid_user_hash",
                       "userHash does not match userId; compute it on your server as "
                       "hex(HMAC-SHA256(identity secret, userId)), or leave both out.",
                       [{"path": "userHash"}])
    async with svc.engine.connect() as conn:
        vid = None
        if user_id is not None:
            vid = await find_linked_visitor_id(conn, site.workspace_id, "user", user_id)
        if vid is None:
            vid = await find_linked_visitor_id(conn, site.workspace_id, "anon", anonymous_id)
    return site.workspace_id, vid or ""


@router.get("/decisions", summary="Pending invitations and pop-ups for a visitor")
async def pending(request: Request,
                  anonymous_id: Annotated[str, Query(alias="anonymousId", min_length=1,
                                                     max_length=255)],
                  user_id: Annotated[str | None, Query(alias="userId", min_length=1,
                                                       max_length=255)] = None,
                  user_hash: Annotated[str | None, Query(alias="userHash", min_length=1,
                                                         max_length=128)] = None) -> Any:
    """Each decision is handed out once; texts only. ``anonymousId`` is the browser's own
    id; add ``userId`` with its ``userHash`` for an identified visitor's decisions."""
    svc = services(request)
    workspace_id, vid = await _visitor(request, anonymous_id, user_id, user_hash)
    if not vid:
        return {"withdrawn": [], "decisions": []}
    now = time.time()
    return await actions.hand_out(svc.engine, workspace_id, vid, now)


class ResponseIn(msgspec.Struct, kw_only=True):
    """The visitor's reaction to an invitation."""

    anonymousId: str
    response: str
    userId: str | None = None
    userHash: str | None = None


@router.post("/decisions/{decision_id}/response", summary="Report shown/dismissed/accepted")
async def respond(decision_id: str, request: Request) -> Any:
    """Dismissing snoozes the scenario for this visitor; any answer frees the agent slot."""
    svc = services(request)
    body = await read_body(request, 4096)
    try:
        doc = msgspec.json.decode(body, type=ResponseIn)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ApiError(422, "invalid_request", str(exc)) from None
    workspace_id, vid = await _visitor(request, doc.anonymousId[:255],
                                       doc.userId[:255] if doc.userId else None,
                                       doc.userHash[:128] if doc.userHash else None)
    await actions.record_response(svc, workspace_id, vid, decision_id, doc.response)
    return {"recorded": doc.response}
