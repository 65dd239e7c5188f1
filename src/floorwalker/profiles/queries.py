"""Reading visitors for the admin API: find by any id, page the timeline, export, erase."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.errors import not_found
from floorwalker.profiles import history
from floorwalker.profiles.model import PROFILE_DECODER, Profile
from floorwalker.profiles.unit import ProfileStore
from floorwalker.store.tables import events, identities, visitors


async def find_visitor_id(conn: AsyncConnection, workspace_id: str, ref: str) -> str:
    """The visitor id for a visitor id, userId or anonymousId of this workspace (or 404).

    For the admin API and the console only: a browser-facing route must use
    :func:`find_linked_visitor_id`, or anyone who knows a customer's user id would be
    served that customer's data.
    """
    found = (await conn.execute(select(visitors.c.id).where(
        visitors.c.id == ref, visitors.c.workspace_id == workspace_id))).scalar()
    if found is not None:
        return str(found)
    for kind in ("user", "anon"):
        found = (await conn.execute(select(identities.c.visitor_id).where(
            identities.c.workspace_id == workspace_id, identities.c.kind == kind,
            identities.c.value == ref))).scalar()
        if found is not None:
            return str(found)
    raise not_found(f"Visitor {ref!r}")


async def find_linked_visitor_id(conn: AsyncConnection, workspace_id: str, kind: str,
                                 value: str) -> str | None:
    """The visitor linked to exactly this anonymous id (``kind="anon"``) or user id
    (``kind="user"``), or None.

    Browser-facing routes use this, never :func:`find_visitor_id`: a browser names only
    its own anonymous id, and a user id only with a valid user hash (docs/identity.md).
    """
    found = (await conn.execute(select(identities.c.visitor_id).where(
        identities.c.workspace_id == workspace_id, identities.c.kind == kind,
        identities.c.value == value))).scalar()
    return None if found is None else str(found)


async def load_profile(conn: AsyncConnection, workspace_id: str, ref: str) -> Profile:
    """The stored profile of a visitor."""
    vid = await find_visitor_id(conn, workspace_id, ref)
    doc = (await conn.execute(select(visitors.c.profile).where(visitors.c.id == vid))).scalar()
    if doc is None:
        raise not_found(f"Visitor {ref!r}")
    return PROFILE_DECODER.decode(doc)


def profile_view(p: Profile) -> dict[str, Any]:
    """The profile as the API shows it, with derived fields (every attribute: callers
    filter with :mod:`floorwalker.profiles.sensitive`)."""
    out: dict[str, Any] = msgspec.to_builtins(p)
    out["customer_type"] = "customer" if p.is_customer else "prospect"
    out["is_customer"] = p.is_customer
    if p.session is not None:
        out["session"]["time_on_site"] = round(p.session.time_on_site, 1)
    return out


def event_view(row: Any) -> dict[str, Any]:
    """One stored event for the timeline API."""
    return {
        "id": row.id, "message_id": row.message_id, "type": row.type, "name": row.name,
        "timestamp": row.ts, "received_at": row.received_at,
        "properties": msgspec.json.decode(row.properties),
        "context": msgspec.json.decode(row.context),
    }


async def timeline(conn: AsyncConnection, visitor_id: str, *, limit: int,
                   before: int | None = None, name: str | None = None) -> list[dict[str, Any]]:
    """Newest first; pass the smallest id seen as ``before`` for the next page."""
    query = select(events).where(events.c.visitor_id == visitor_id)
    if before is not None:
        query = query.where(events.c.id < before)
    if name is not None:
        query = query.where(events.c.name == name)
    rows = await conn.execute(query.order_by(events.c.id.desc()).limit(limit))
    return [event_view(r) for r in rows]


async def identity_rows(conn: AsyncConnection, visitor_id: str) -> list[dict[str, Any]]:
    """Every id that leads to this visitor."""
    rows = await conn.execute(select(identities.c.kind, identities.c.value,
                                     identities.c.created_at)
                              .where(identities.c.visitor_id == visitor_id))
    return [{"kind": r.kind, "value": r.value, "created_at": r.created_at} for r in rows]


async def erase(conn: AsyncConnection, store: ProfileStore, workspace_id: str,
                visitor_id: str) -> dict[str, int]:
    """Delete a visitor's profile, events and identities, and forget them in the caches."""
    ids = await conn.execute(select(identities.c.kind, identities.c.value).where(
        identities.c.visitor_id == visitor_id))
    for kind, value in ids:
        store.links.pop((workspace_id, kind, value))
    store.forget_visitor(visitor_id)
    n_events = await history.erase(conn, workspace_id, visitor_id)
    n_ids = (await conn.execute(delete(identities).where(
        identities.c.visitor_id == visitor_id,
        identities.c.workspace_id == workspace_id))).rowcount
    await conn.execute(delete(visitors).where(visitors.c.id == visitor_id,
                                              visitors.c.workspace_id == workspace_id))
    for other in store.others:
        await other.erase(conn, workspace_id, visitor_id)
    return {"events": n_events, "identities": n_ids, "visitors": 1}
