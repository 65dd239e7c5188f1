"""The rules engine wired to storage: preparing rule sets, writing outputs, running timers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import structlog
from sqlalchemy import bindparam, delete
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.events import Incoming
from floorwalker.profiles import history
from floorwalker.profiles.model import Profile
from floorwalker.rules import decisions as decision_rows
from floorwalker.rules.context import EvalContext
from floorwalker.rules.engine import Engine
from floorwalker.rules.lookups import LookupStore
from floorwalker.rules.output import Fired, Output
from floorwalker.rules.ruleset import RulesCache, RuleSet
from floorwalker.rules.staffing import Presence
from floorwalker.store.tables import timers

log = structlog.get_logger("floorwalker.rules")
# Built once: on every group commit, building these statements and their cache keys cost
# more than running them.
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
        self.on_fired: list[Callable[[list[Fired]], Awaitable[None]]] = []
        # Writes of other features that must commit with the decisions (the e-mail
        # outbox): called in the writer's transaction, after the decisions are recorded.
        self.in_transaction: list[Callable[[AsyncConnection, list[Fired]], Awaitable[None]]] = []
        # Whether a browser of (workspace, anonymous id) has a live socket right now: its
        # decisions are then pushed, and marked delivered in the same transaction.
        self.is_live: Callable[[str, str], bool] = lambda _ws, _anon: False

    def answered(self, decision_id: str) -> None:
        """A visitor answered an invitation (or it was replaced): it no longer holds an
        agent's slot in the staffing throttle."""
        self.engine.outstanding.close(decision_id)

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
        await history.record(conn, out.events)
        if out.decisions:
            live = {item.decision_id for item in out.fired
                    if any(self.is_live(item.workspace_id, anon)
                           for anon in item.visitor.get("anonymous_ids", []))}
            for row in out.decisions:
                if row["id"] in live and row["payload"] is not None:
                    row["delivered_at"] = row["created_at"]
            await decision_rows.record(conn, out.decisions)
        for gone in out.withdrawn:
            await decision_rows.withdraw(conn, gone.id, gone.reason)
        if out.fired:
            for write in self.in_transaction:
                await write(conn, out.fired)
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
