"""The events table: a visitor's history, written only through these functions.

Tracking (the group commit), the rules (the events they record: segment entered, a
scenario fired) and retention add or remove rows here; merges and erasure move or delete
a visitor's rows with the rest of the profile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.events import Incoming
from floorwalker.profiles.model import Profile
from floorwalker.store.tables import events

# Built once: on every group commit, building a statement and its cache key costs more
# than running it.
_INSERT = events.insert()
_INSERT_NEW = {"sqlite": sqlite.insert(events).on_conflict_do_nothing(),
               "postgresql": postgresql.insert(events).on_conflict_do_nothing()}
_MOVE = update(events).where(events.c.visitor_id == bindparam("b_source")).values(
    visitor_id=bindparam("b_target"))


@dataclass(slots=True)
class Committed:
    """An event as committed, with the profile it changed (for post-commit listeners)."""

    event: Incoming
    event_id: int | None
    visitor_id: str
    profile: Profile


async def record(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert events (the rules' own: ids that cannot already be stored)."""
    if rows:
        await conn.execute(_INSERT, rows)


async def record_new(conn: AsyncConnection, rows: list[dict[str, Any]], dialect: str) -> None:
    """Insert tracked events, skipping any messageId the workspace already stored."""
    if rows:
        await conn.execute(_INSERT_NEW[dialect], rows)


async def move(conn: AsyncConnection, source: str, target: str) -> None:
    """A merge: the source visitor's events become the target's."""
    await conn.execute(_MOVE, {"b_source": source, "b_target": target})


async def erase(conn: AsyncConnection, workspace_id: str, visitor_id: str) -> int:
    """Delete a visitor's events; returns how many."""
    result = await conn.execute(delete(events).where(
        events.c.visitor_id == visitor_id, events.c.workspace_id == workspace_id))
    return result.rowcount or 0


async def purge(conn: AsyncConnection, workspace_id: str, before: float) -> int:
    """Delete a workspace's events received before ``before``; returns how many."""
    result = await conn.execute(delete(events).where(
        events.c.workspace_id == workspace_id, events.c.received_at < before))
    return result.rowcount or 0
