"""Changing the rules: definitions (segments, scenarios, departments, agents) and
playbooks. Each action commits, then (on commit) drops the cached rule set and, when a
segment changed, re-evaluates the live visitors' segments in the writer."""

from __future__ import annotations

from functools import partial
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.errors import ApiError
from floorwalker.profiles.unit import UnitRunner
from floorwalker.rules import io, store
from floorwalker.rules.model import Scenario
from floorwalker.rules.reevaluate import reevaluate_segments
from floorwalker.rules.runtime import Rules
from floorwalker.store.transaction import Transaction, atomic


class RulesParts(Protocol):
    """What the rules' actions need of the running server (the app passes its parts)."""

    @property
    def engine(self) -> AsyncEngine: ...
    @property
    def rules(self) -> Rules: ...
    @property
    def pipeline(self) -> UnitRunner: ...


def _changed(tx: Transaction, parts: RulesParts, workspace_id: str, kind: str) -> None:
    async def hook() -> None:
        parts.rules.invalidate(workspace_id)
        if kind == "segment":
            await reevaluate_segments(parts.rules, parts.pipeline, workspace_id)
    tx.on_commit(hook)


async def create(parts: RulesParts, kind: str, workspace_id: str, value: Any) -> str:
    """Add a definition (409 if its key exists); returns its id."""
    async with atomic(parts.engine) as tx:
        item_id = await store.save_def(tx.conn, kind, workspace_id, value, create=True)
        _changed(tx, parts, workspace_id, kind)
    return item_id


async def replace(parts: RulesParts, kind: str, workspace_id: str, ref: str, value: Any,
                  type_: type[Any], code: str) -> str:
    """Replace the definition ``ref`` names (its key may not change); returns its id."""
    async with atomic(parts.engine) as tx:
        _current_id, current = await store.get_def(tx.conn, kind, workspace_id, ref, type_)
        key = store.TABLES[kind][1]
        if getattr(value, key) != getattr(current, key):
            raise ApiError(422, code, "The key in the body differs from the one in the URL.")
        item_id = await store.save_def(tx.conn, kind, workspace_id, value, create=False)
        _changed(tx, parts, workspace_id, kind)
    return item_id


async def delete(parts: RulesParts, kind: str, workspace_id: str, ref: str) -> None:
    """Delete a definition by key or id (404 if there is none)."""
    async with atomic(parts.engine) as tx:
        await store.delete_def(tx.conn, kind, workspace_id, ref)
        _changed(tx, parts, workspace_id, kind)


async def toggle_scenario(parts: RulesParts, workspace_id: str, ref: str,
                          on: bool) -> tuple[str, Scenario]:
    """Turn a scenario on or off (its history is kept)."""
    async with atomic(parts.engine) as tx:
        _id, scenario = await store.get_def(tx.conn, "scenario", workspace_id, ref, Scenario)
        scenario.enabled = on
        item_id = await store.save_def(tx.conn, "scenario", workspace_id, scenario,
                                       create=False)
        tx.on_commit(partial(_invalidate, parts.rules, workspace_id))
    return item_id, scenario


async def apply_rules(parts: RulesParts, workspace_id: str, doc: Any) -> io.Plan:
    """Create or replace the departments, segments and scenarios of a rules document (a
    playbook, or what ``rules export`` wrote)."""
    async with atomic(parts.engine) as tx:
        plan = await io.apply(tx.conn, workspace_id, doc)
        _changed(tx, parts, workspace_id, "segment")
    return plan


async def _invalidate(rules: Rules, workspace_id: str) -> None:
    rules.invalidate(workspace_id)
