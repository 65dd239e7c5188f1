"""Deleting raw events older than the retention period (global or per workspace)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import msgspec
import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.profiles import history
from floorwalker.store.tables import workspaces
from floorwalker.tenancy.service import WorkspaceSettings

log = structlog.get_logger("floorwalker.retention")
DAY = 86400.0


async def purge(engine: AsyncEngine, default_days: int, now: float | None = None) -> int:
    """Delete expired events in every workspace; returns how many were deleted.

    A workspace's own ``retention_days`` wins over ``default_days``; 0 keeps events.
    Profiles are kept: they summarise what the events said.
    """
    now = time.time() if now is None else now
    total = 0
    async with engine.begin() as conn:
        rows = (await conn.execute(select(workspaces.c.id, workspaces.c.settings))).all()
        for ws_id, raw in rows:

            settings = msgspec.json.decode(raw, type=WorkspaceSettings)
            days = settings.retention_days or default_days
            if days <= 0:
                continue
            total += await history.purge(conn, ws_id, now - days * DAY)
    if total:
        log.info("retention purge", deleted=total)
    return total


class RetentionTask:
    """Runs :func:`purge` every hour while the server runs."""

    def __init__(self, engine: AsyncEngine, default_days: int, every: float = 3600.0) -> None:
        self.engine = engine
        self.default_days = default_days
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin the periodic purge."""
        self._task = asyncio.create_task(self._loop(), name="floorwalker-retention")

    async def stop(self) -> None:
        """Stop purging."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while True:
            try:
                await purge(self.engine, self.default_days)
            except Exception:
                log.exception("retention purge failed")
            await asyncio.sleep(self.every)
