"""Storing definitions (segments, scenarios, departments, agents) as versioned JSON rows."""

from __future__ import annotations

import time
from typing import Any

import msgspec
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.errors import ApiError, not_found
from floorwalker.store.tables import agents, departments, scenarios, segments
from floorwalker.tenancy.keys import new_id

TABLES: dict[str, tuple[Table, str]] = {
    "segment": (segments, "key"),
    "scenario": (scenarios, "key"),
    "department": (departments, "key"),
    "agent": (agents, "email"),
}


async def list_defs(conn: AsyncConnection, kind: str, workspace_id: str,
                    type_: type[Any]) -> list[tuple[str, Any]]:
    """(id, definition) of every item of a kind in a workspace."""
    table, _col = TABLES[kind]
    rows = await conn.execute(select(table.c.id, table.c.definition).where(
        table.c.workspace_id == workspace_id).order_by(table.c.created_at))
    return [(r.id, msgspec.json.decode(r.definition, type=type_)) for r in rows]


async def get_def(conn: AsyncConnection, kind: str, workspace_id: str, ref: str,
                  type_: type[Any]) -> tuple[str, Any]:
    """One item by key (or id); 404 if it is not in this workspace."""
    table, col = TABLES[kind]
    row = (await conn.execute(select(table.c.id, table.c.definition).where(
        table.c.workspace_id == workspace_id,
        (table.c[col] == ref) | (table.c.id == ref)))).first()
    if row is None:
        raise not_found(f"{kind.title()} {ref!r}")
    return row.id, msgspec.json.decode(row.definition, type=type_)


async def save_def(conn: AsyncConnection, kind: str, workspace_id: str, value: Any,
                   *, create: bool) -> str:
    """Insert (409 if the key exists) or replace an item; returns its id."""
    table, col = TABLES[kind]
    key = getattr(value, col)
    doc = msgspec.json.encode(value).decode()
    now = time.time()
    existing = (await conn.execute(select(table.c.id).where(
        table.c.workspace_id == workspace_id, table.c[col] == key))).scalar()
    if create:
        if existing is not None:
            raise ApiError(409, f"{kind}_exists", f"A {kind} {key!r} exists; PUT to replace it.")
        item_id = new_id(kind[:3])
        values: dict[str, Any] = {"id": item_id, "workspace_id": workspace_id, col: key,
                                  "definition": doc, "created_at": now}
        if "updated_at" in table.c:
            values["updated_at"] = now
        await conn.execute(table.insert().values(**values))
        return item_id
    if existing is None:
        raise not_found(f"{kind.title()} {key!r}")
    changes: dict[str, Any] = {"definition": doc}
    if "updated_at" in table.c:
        changes["updated_at"] = now
    await conn.execute(update(table).where(table.c.id == existing).values(**changes))
    return str(existing)


async def delete_def(conn: AsyncConnection, kind: str, workspace_id: str, ref: str) -> None:
    """Delete an item by key or id."""
    table, col = TABLES[kind]
    result = await conn.execute(delete(table).where(
        table.c.workspace_id == workspace_id, (table.c[col] == ref) | (table.c.id == ref)))
    if not result.rowcount:
        raise not_found(f"{kind.title()} {ref!r}")
