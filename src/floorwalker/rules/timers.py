"""Timers (time on site, idle, absence): rows in `timers`, claimed and fired in the writer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.profiles.unit import UnitOfWork, UnitRunner
from floorwalker.rules.output import Output
from floorwalker.rules.runtime import Rules
from floorwalker.store.tables import timers

log = structlog.get_logger("floorwalker.rules")


class TimerLoop:
    """Polls persisted timers and hands due ones to the pipeline's writer."""

    def __init__(self, engine: AsyncEngine, fire: Callable[[list[dict[str, Any]]], Awaitable[Any]],
                 every: float = 0.5) -> None:
        self.engine = engine
        self.fire = fire
        self.every = every
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin polling."""
        self._task = asyncio.create_task(self._loop(), name="floorwalker-timers")

    async def stop(self) -> None:
        """Stop polling."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def tick(self, now: float | None = None) -> int:
        """Fire every timer due at ``now``; returns how many."""
        now = time.time() if now is None else now
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(timers).where(timers.c.due_at <= now)
                                       .order_by(timers.c.due_at).limit(500))).mappings().all()
        if rows:
            await self.fire([dict(r) for r in rows])
        return len(rows)

    async def _loop(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("timer tick failed")
            await asyncio.sleep(self.every)


async def fire_timers(rules: Rules, writer: UnitRunner, rows: list[dict[str, Any]]) -> int:
    """Evaluate due timers in the writer: claim each, decide, commit; returns how many fired."""
    if not rows:
        return 0
    prepared = await rules.prepare({r["workspace_id"] for r in rows})
    out = Output()

    async def body(unit: UnitOfWork) -> int:
        conn = unit.conn
        fired = 0
        claimed = []
        for row in rows:
            # Claim: only the process whose DELETE removes this exact row fires it.
            result = await conn.execute(timers.delete().where(
                timers.c.id == row["id"], timers.c.due_at == row["due_at"]))
            if result.rowcount == 1:
                claimed.append(row)
        await unit.load({r["visitor_id"] for r in claimed})
        now = time.time()
        for row in claimed:
            profile = unit.profiles.get(row["visitor_id"])
            ready = prepared.get(row["workspace_id"])
            if profile is None or ready is None:
                continue
            unit.profile(row["visitor_id"])  # mark changed
            rules.engine.on_timer(ready[0], rules.context(ready[0], ready[1], profile,
                                                          None, now),
                                  row["scenario_key"], row["session_id"], out)
            fired += 1
        await rules.write(conn, out)
        return fired

    async def effects(_fired: int) -> None:
        await rules.after_commit(out)

    return await writer.run_unit(body, effects)
