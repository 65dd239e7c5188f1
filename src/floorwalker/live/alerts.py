"""Alerts for the people who asked for them (docs/console-api.md, "Notifications").

- ``watched_segment``: a live visitor entered a segment an account watches (or came
  online while in it). Watches are the account's preferences plus the segments an admin
  put on the agent's profile (``watched_segments``).
- ``scenario_alert``: a scenario's ``notify_agents`` action, to the agents it names and
  the members of the department it names.

Each alert goes to the account's own channel, unless the account muted that kind.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.live.visitors import VisitorRow
from floorwalker.rules.output import Fired
from floorwalker.rules.ruleset import RuleSet
from floorwalker.store.tables import accounts

ALERT_KINDS = ("watched_segment", "scenario_alert", "new_chat", "new_message")
RuleSource = Callable[[str], Awaitable[RuleSet]]


class Preferences(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An account's console preferences."""

    watched_segments: list[str] = msgspec.field(default_factory=list)
    muted: list[str] = msgspec.field(default_factory=list)
    sound: bool = True
    desktop: bool = False


class PreferencesPatch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``PUT /api/me/preferences``: fields left out keep their value."""

    watched_segments: list[str] | None = None
    muted: list[str] | None = None
    sound: bool | None = None
    desktop: bool | None = None


def decode_preferences(raw: str | None) -> Preferences:
    """Stored preferences (defaults when none or unreadable)."""
    if not raw:
        return Preferences()
    try:
        return msgspec.json.decode(raw, type=Preferences)
    except msgspec.DecodeError:
        return Preferences()


class _Watcher(msgspec.Struct):
    account_id: str
    agent_id: str | None
    email: str
    segments: frozenset[str]
    muted: frozenset[str]


class Alerts:
    """Finds who should hear about what, and tells them."""

    def __init__(self, engine: AsyncEngine, bus: Bus, rules: RuleSource) -> None:
        self.engine = engine
        self.bus = bus
        self.rules = rules
        # Per workspace: when loaded, and the watchers (accounts change rarely; 30 s).
        self._cache: dict[str, tuple[float, list[_Watcher]]] = {}

    def invalidate(self, workspace_id: str) -> None:
        """Preferences, accounts or agents changed."""
        self._cache.pop(workspace_id, None)

    async def watchers(self, workspace_id: str) -> list[_Watcher]:
        """Every enabled account of a workspace with what it watches and mutes."""
        found = self._cache.get(workspace_id)
        if found is not None and found[0] > time.monotonic() - 30:
            return found[1]
        rs = await self.rules(workspace_id)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(
                accounts.c.id, accounts.c.agent_id, accounts.c.email, accounts.c.preferences)
                .where(accounts.c.workspace_id == workspace_id,
                       accounts.c.disabled.is_(False),
                       accounts.c.password_hash.is_not(None)))).all()
        out = []
        for row in rows:
            prefs = decode_preferences(row.preferences)
            agent = rs.agents.get(row.agent_id or "")
            segments = set(prefs.watched_segments) | set(agent.watched_segments if agent else ())
            out.append(_Watcher(row.id, row.agent_id, row.email, frozenset(segments),
                                frozenset(prefs.muted)))
        self._cache[workspace_id] = (time.monotonic(), out)
        return out

    async def _send(self, account_ids: list[str], alert: dict[str, Any]) -> None:
        data = p.encode(p.AlertFrame(alert=alert))
        for account_id in account_ids:
            await self.bus.publish(p.account_channel(account_id), data)

    async def visitors_changed(self, workspace_id: str, rows: list[VisitorRow],
                               before: dict[str, VisitorRow | None]) -> None:
        """Live-list hook: alert watchers of segments the visitors just entered."""
        watchers = [w for w in await self.watchers(workspace_id)
                    if w.segments and "watched_segment" not in w.muted]
        if not watchers:
            return
        rs = await self.rules(workspace_id)
        known = {s.key: s.definition for s in rs.segments}
        for row in rows:
            old = before.get(row["id"])
            entered = [k for k in row["segments"]
                       if old is None or k not in old.get("segments", ())]
            for key in entered:
                to = [w.account_id for w in watchers if key in w.segments]
                if not to or key not in known:
                    continue
                seg = known[key]
                who = row["name"] or row["email"] or "A visitor"
                text = (f"{who} is on the site: {seg.name}" if old is None
                        else f"{who} is now in {seg.name}")
                await self._send(to, {
                    "kind": "watched_segment", "text": text,
                    "segment": {"key": key, "name": seg.name, "color": seg.color},
                    "visitor": row, "conversation_id": None, "created_at": time.time()})

    async def on_fired(self, fired: list[Fired]) -> None:
        """Rules listener: ``notify_agents`` decisions become targeted alerts."""
        for item in fired:
            if item.action.type != "notify_agents":
                continue
            workspace_id = item.workspace_id
            payload = item.payload
            names = {str(e).lower() for e in payload.get("agents") or ()}
            department = payload.get("department")
            rs = await self.rules(workspace_id)
            members = {aid for aid, a in rs.agents.items()
                       if department and department in a.departments}
            to = [w.account_id for w in await self.watchers(workspace_id)
                  if "scenario_alert" not in w.muted and (
                      w.email.lower() in names or w.agent_id in members)]
            if to:
                await self._send(to, {
                    "kind": "scenario_alert", "text": payload.get("text") or item.scenario,
                    "scenario": item.scenario, "decision_id": item.decision_id,
                    "segment": None, "visitor": item.visitor, "conversation_id": None,
                    "created_at": time.time()})
