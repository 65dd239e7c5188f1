"""The rules engine wired to storage: preparing rule sets, writing outputs, running timers."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.collect.incoming import Incoming
from floorwalker.collect.lookups import LookupStore
from floorwalker.profiles.model import Profile
from floorwalker.rules.context import EvalContext
from floorwalker.rules.engine import Engine, Output
from floorwalker.rules.ruleset import RulesCache, RuleSet
from floorwalker.rules.staffing import Presence
from floorwalker.store.tables import decisions, events, timers

log = structlog.get_logger("floorwalker.rules")
# Built once: on every group commit, building these statements and their cache keys cost
# more than running them.
_INSERT_EVENTS = events.insert()
_INSERT_DECISIONS = decisions.insert()
_DELETE_TIMERS = delete(timers).where(timers.c.id.in_(bindparam("b_ids", expanding=True)))
_INSERT_TIMERS = timers.insert()


class Rules:
    """Everything the pipeline needs to evaluate rules during a group commit."""

    def __init__(self, engine: AsyncEngine, lookups: LookupStore) -> None:
        self.db = engine
        self.lookups = lookups
        self.cache = RulesCache(engine)
        self.presence = Presence()
        self.engine = Engine(self.presence)
        self.on_fired: list[Callable[[list[dict[str, Any]]], Awaitable[None]]] = []
        # Whether a browser of (workspace, anonymous id) has a live socket right now: its
        # decisions are then pushed, and marked delivered in the same transaction.
        self.is_live: Callable[[str, str], bool] = lambda _ws, _anon: False

    def invalidate(self, workspace_id: str) -> None:
        """Rules of a workspace changed."""
        self.cache.invalidate(workspace_id)

    async def prepare(self, workspace_ids: set[str]
                      ) -> dict[str, tuple[RuleSet, Mapping[str, Any]]]:
        """Compiled rules and the lookup tables they read, per workspace."""
        prepared: dict[str, tuple[RuleSet, Mapping[str, Any]]] = {}
        for ws in workspace_ids:
            rs = await self.cache.get(ws)
            tables = {name: await self.lookups.table(ws, name) for name in rs.tables}
            prepared[ws] = (rs, tables)
        return prepared

    def context(self, rs: RuleSet, tables: Mapping[str, Any], profile: Profile,
                event: Incoming | None, now: float) -> EvalContext:
        """An evaluation context over a profile."""
        return EvalContext(profile=profile, now=now, event=event, lookups=tables,
                           staffing=self.engine.staffing(rs))

    async def write(self, conn: AsyncConnection, out: Output) -> None:
        """Store what the evaluations produced, in the caller's transaction."""
        if out.events:
            await conn.execute(_INSERT_EVENTS, out.events)
        if out.decisions:
            live = {item["decision_id"] for item in out.fired
                    if any(self.is_live(item["workspace_id"], anon)
                           for anon in item["visitor"].get("anonymous_ids", []))}
            for row in out.decisions:
                if row["id"] in live and row["payload"] is not None:
                    row["delivered_at"] = row["created_at"]
            await conn.execute(_INSERT_DECISIONS, out.decisions)
        for gone in out.withdrawn:
            # Only a message still unanswered: a dismissal or an answer stays as recorded.
            await conn.execute(update(decisions).where(
                decisions.c.id == gone["id"],
                decisions.c.response.is_(None) | (decisions.c.response == "shown"),
            ).values(outcome="withdrawn", reason=gone["reason"]))
        if out.timers_set:
            await conn.execute(_DELETE_TIMERS, {"b_ids": list(out.timers_set)})
            await conn.execute(_INSERT_TIMERS, list(out.timers_set.values()))

    async def after_commit(self, out: Output) -> None:
        """Side effects, only once the decisions are committed."""
        if out.fired:
            for listener in self.on_fired:
                try:
                    await listener(out.fired)
                except Exception:
                    log.exception("decision listener failed")


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
