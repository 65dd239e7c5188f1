"""Dropping events whose messageId a workspace has already stored."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.events import Incoming
from floorwalker.profiles.cache import LRU
from floorwalker.store.tables import events

# Built once: building a statement and its cache key costs more than running it here.
_STORED_IDS = select(events.c.message_id).where(
    events.c.workspace_id == bindparam("ws"),
    events.c.message_id.in_(bindparam("ids", expanding=True)))


class Dedupe:
    """Recent messageIds in memory, then one indexed query per workspace for the rest."""

    def __init__(self, size: int) -> None:
        self.seen: LRU[tuple[str, str], bool] = LRU(size)

    def remember(self, committed: list[list[Incoming]]) -> None:
        """Note the ids of events just committed."""
        for evs in committed:
            for ev in evs:
                self.seen.put((ev.workspace_id, ev.message_id), True)

    async def fresh(self, conn: AsyncConnection,
                    received: list[list[Incoming]]) -> list[list[Incoming]]:
        """``received`` without the events already stored or repeated within it."""
        seen_now: set[tuple[str, str]] = set()
        unknown: dict[str, set[str]] = {}
        for evs in received:
            for ev in evs:
                key = (ev.workspace_id, ev.message_id)
                if key not in self.seen:
                    unknown.setdefault(ev.workspace_id, set()).add(ev.message_id)
        stored: set[tuple[str, str]] = set()
        for ws, ids in unknown.items():
            ordered = sorted(ids)
            for i in range(0, len(ordered), 500):
                chunk = ordered[i:i + 500]
                found = await conn.execute(_STORED_IDS, {"ws": ws, "ids": chunk})
                stored.update((ws, mid) for mid in found.scalars())
        fresh: list[list[Incoming]] = []
        for evs in received:
            keep = []
            for ev in evs:
                key = (ev.workspace_id, ev.message_id)
                if key in self.seen or key in stored or key in seen_now:
                    continue
                seen_now.add(key)
                keep.append(ev)
            fresh.append(keep)
        return fresh
