"""``/api/visitors``: profiles, timelines, export and erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_principal, bearer_scheme, workspace_principal
from floorwalker.errors import ApiError
from floorwalker.profiles import queries, sensitive
from floorwalker.profiles.model import PROFILE_DECODER
from floorwalker.services import Services, services
from floorwalker.store.tables import visitors
from floorwalker.store.writer import StorageUnavailable

router = APIRouter(prefix="/api/visitors", tags=["visitors"],
                   dependencies=[Depends(bearer_scheme)])

Who = Annotated[Caller, Depends(workspace_principal)]


async def _hidden(svc: Services, who: Caller) -> frozenset[str]:
    """Sensitive names this caller does not see (all of them for an agent's session)."""
    assert who.workspace_id
    rs = await svc.rules.cache.get(who.workspace_id)
    return sensitive.hidden_for(rs.sensitive, reader=who.kind in sensitive.READER_KINDS)


@router.get("", summary="Visitors seen most recently")
async def list_visitors(request: Request, who: Who,
                        limit: Annotated[int, Query(ge=1, le=500)] = 50,
                        since: Annotated[float | None, Query(description="epoch seconds")] = None
                        ) -> Any:
    """The most recently active visitors of the workspace, newest first."""
    assert who.workspace_id
    svc = services(request)
    hidden = await _hidden(svc, who)
    query = select(visitors.c.profile).where(visitors.c.workspace_id == who.workspace_id)
    if since is not None:
        query = query.where(visitors.c.last_seen >= since)
    async with svc.engine.connect() as conn:
        rows = await conn.execute(query.order_by(visitors.c.last_seen.desc()).limit(limit))
        return [sensitive.profile_doc(queries.profile_view(PROFILE_DECODER.decode(doc)), hidden)
                for doc in rows.scalars()]


@router.get("/{ref}", summary="A visitor's profile (by visitor id, userId or anonymousId)")
async def get_visitor(ref: str, request: Request, who: Who) -> Any:
    """The live profile: sessions, cart, purchases, attributes, source, geo, device."""
    assert who.workspace_id
    svc = services(request)
    async with svc.engine.connect() as conn:
        profile = await queries.load_profile(conn, who.workspace_id, ref)
    rs = await svc.rules.cache.get(who.workspace_id)
    view = sensitive.profile_doc(queries.profile_view(profile), sensitive.hidden_for(
        rs.sensitive, reader=who.kind in sensitive.READER_KINDS))
    known = {s.key: s.definition for s in rs.segments}
    chips: list[dict[str, Any]] = sorted(
        ({"key": key, "name": known[key].name, "color": known[key].color,
          "priority": known[key].priority, "class": known[key].segment_class,
          "entered_at": at} for key, at in profile.segments.items() if key in known),
        key=lambda c: (-int(c["priority"]), str(c["key"])))
    view["segments"] = chips
    view["top_segments"] = chips[:3]
    return view


@router.get("/{ref}/events", summary="A visitor's event timeline, newest first")
async def get_events(ref: str, request: Request, who: Who,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                     before: Annotated[int | None, Query(ge=0)] = None,
                     name: Annotated[str | None, Query(max_length=200)] = None) -> Any:
    """Page with ``before`` = the ``next_before`` of the previous page."""
    assert who.workspace_id
    svc = services(request)
    hidden = await _hidden(svc, who)
    async with svc.engine.connect() as conn:
        vid = await queries.find_visitor_id(conn, who.workspace_id, ref)
        items = await queries.timeline(conn, vid, limit=limit, before=before, name=name)
    next_before = items[-1]["id"] if len(items) == limit else None
    return {"visitor_id": vid, "events": [sensitive.event_doc(e, hidden) for e in items],
            "next_before": next_before}


@router.get("/{ref}/export", summary="Everything stored about a visitor")
async def export_visitor(ref: str, request: Request,
                         who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """Profile, identities and the whole timeline, for a data-subject access request."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        vid = await queries.find_visitor_id(conn, who.workspace_id, ref)
        profile = await queries.load_profile(conn, who.workspace_id, vid)
        ids = await queries.identity_rows(conn, vid)
        all_events: list[dict[str, Any]] = []
        before: int | None = None
        while True:
            page = await queries.timeline(conn, vid, limit=1000, before=before)
            all_events.extend(page)
            if len(page) < 1000:
                break
            before = page[-1]["id"]
    return JSONResponse(
        {"visitor_id": vid, "profile": queries.profile_view(profile), "identities": ids,
         "events": list(reversed(all_events))},
        headers={"Content-Disposition": f'attachment; filename="visitor-{vid}.json"'})


@router.delete("/{ref}", summary="Erase a visitor everywhere")
async def delete_visitor(ref: str, request: Request,
                         who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """Deletes the profile, every event and every identity link of the visitor."""
    assert who.workspace_id
    workspace_id = who.workspace_id
    svc = services(request)
    async with svc.engine.connect() as conn:
        vid = await queries.find_visitor_id(conn, workspace_id, ref)

    async def command(conn: Any, store: Any) -> dict[str, int]:
        return await queries.erase(conn, store, workspace_id, vid)

    try:
        counts = await svc.pipeline.run_exclusive(command)
    except StorageUnavailable:
        raise ApiError(503, "storage_unavailable", "Try again.") from None
    return {"erased": vid, "deleted": counts}
