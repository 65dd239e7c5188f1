"""A workspace's rules compiled for the hot path, and the cache that holds them.

Scenarios are indexed by what triggers them (event name, segment entered, timers), so
the cost of an event does not grow with unrelated rules (DESIGN invariant 6).
"""

from __future__ import annotations

import fnmatch
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.rules.conditions import Compiled, compile_condition, parse_duration
from floorwalker.rules.context import EvalContext
from floorwalker.rules.model import Agent, Conversion, Department, Scenario, Segment
from floorwalker.store.tables import agents, departments, scenarios, segments, workspaces
from floorwalker.tenancy.service import WorkspaceSettings


def _pattern(glob: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(glob), re.IGNORECASE)


@dataclass(slots=True)
class CompiledSegment:
    """A segment ready to evaluate."""

    key: str
    definition: Segment
    check: Compiled


@dataclass(slots=True)
class CompiledScenario:
    """A scenario ready to evaluate."""

    key: str
    definition: Scenario
    check: Compiled | None
    include: list[re.Pattern[str]]
    exclude: list[re.Pattern[str]]
    snooze_seconds: float
    trigger_kind: str
    trigger_seconds: float = 0.0
    absence: Compiled | None = None
    absence_after: str | None = None

    def page_allowed(self, url: str | None, path: str | None) -> bool:
        """Page targeting: an include pattern must match (when any), no exclude may."""
        if not self.include and not self.exclude:
            return True
        candidates = [v for v in (url, path) if v]
        if any(p.match(c) for p in self.exclude for c in candidates):
            return False
        if not self.include:
            return True
        return any(p.match(c) for p in self.include for c in candidates)

    def matches(self, ctx: EvalContext, url: str | None, path: str | None) -> bool:
        """Pages, audience and condition all agree (cheapest checks first)."""
        if not self.page_allowed(url, path):
            return False
        audience = self.definition.audience
        segments = ctx.profile.segments
        if audience.segments_any and not any(s in segments for s in audience.segments_any):
            return False
        if audience.segments_none and any(s in segments for s in audience.segments_none):
            return False
        if self.absence is not None and not self.absence(ctx):
            return False
        return self.check is None or self.check(ctx)


def current_page(ctx: EvalContext) -> tuple[str | None, str | None]:
    """The URL and path the visitor is on: the event's page, else the session's."""
    if ctx.event is not None:
        page = ctx.event.context.get("page")
        if isinstance(page, dict):
            return page.get("url"), page.get("path")
    session = ctx.profile.session
    if session is not None and session.current_page is not None:
        return session.current_page.url, session.current_page.path
    return None, None


@dataclass(slots=True)
class RuleSet:
    """Everything the engine needs for one workspace."""

    workspace_id: str
    settings: WorkspaceSettings
    workspace_name: str = ""  # e-mails a scenario sends come from it
    segments: list[CompiledSegment] = field(default_factory=list)
    scenarios: dict[str, CompiledScenario] = field(default_factory=dict)
    by_event: dict[str, list[CompiledScenario]] = field(default_factory=dict)
    by_segment: dict[str, list[CompiledScenario]] = field(default_factory=dict)
    on_time_on_site: list[CompiledScenario] = field(default_factory=list)
    on_idle: list[CompiledScenario] = field(default_factory=list)
    on_absence: dict[str, list[CompiledScenario]] = field(default_factory=dict)
    departments: dict[str, Department] = field(default_factory=dict)
    agents: dict[str, Agent] = field(default_factory=dict)
    tables: frozenset[str] = frozenset()
    segment_keys: frozenset[str] = frozenset()
    # The workspace's sensitive attribute names: the one source every filter reads.
    sensitive: frozenset[str] = frozenset()
    # Events recorded as conversions: purchase, the workspace's goal and every scenario's.
    goal_events: frozenset[str] = frozenset({"purchase"})
    # Every scenario's (disabled ones too) own conversion goal and department: reports.
    conversion_of: dict[str, Conversion] = field(default_factory=dict)
    department_of: dict[str, str | None] = field(default_factory=dict)
    loaded_at: float = 0.0

    @property
    def empty(self) -> bool:
        """No segments and no scenarios: nothing to evaluate."""
        return not self.segments and not self.scenarios


def compile_scenario(sc: Scenario) -> CompiledScenario:
    """Compile a validated scenario."""
    trigger = sc.trigger
    compiled = CompiledScenario(
        key=sc.key, definition=sc,
        check=compile_condition(sc.condition) if sc.condition else None,
        include=[_pattern(p) for p in sc.pages.include],
        exclude=[_pattern(p) for p in sc.pages.exclude],
        snooze_seconds=parse_duration(sc.caps.snooze_after_dismiss),
        trigger_kind="event")
    if trigger.segment_entered:
        compiled.trigger_kind = "segment_entered"
    elif trigger.time_on_site is not None:
        compiled.trigger_kind = "time_on_site"
        compiled.trigger_seconds = parse_duration(trigger.time_on_site)
    elif trigger.idle is not None:
        compiled.trigger_kind = "idle"
        compiled.trigger_seconds = parse_duration(trigger.idle)
    elif trigger.absence is not None:
        compiled.trigger_kind = "absence"
        compiled.absence_after = str(trigger.absence["after"])
        compiled.trigger_seconds = parse_duration(trigger.absence["for"])
        compiled.absence = compile_condition({"absence": trigger.absence})
    return compiled


def build_ruleset(workspace_id: str, settings: WorkspaceSettings, segs: list[Segment],
                  scens: list[Scenario], depts: list[Department],
                  agent_rows: dict[str, Agent], workspace_name: str = "") -> RuleSet:
    """Compile and index a workspace's rules."""
    rs = RuleSet(workspace_id=workspace_id, settings=settings, loaded_at=time.monotonic(),
                 workspace_name=workspace_name,
                 departments={d.key: d for d in depts}, agents=agent_rows,
                 sensitive=frozenset(settings.sensitive_attributes))
    tables: set[str] = set()
    for seg in sorted(segs, key=lambda s: -s.priority):
        if not seg.enabled:
            continue
        check = compile_condition(seg.condition)
        tables |= check.tables
        rs.segments.append(CompiledSegment(seg.key, seg, check))
    for sc in scens:
        if not sc.enabled:
            continue
        compiled = compile_scenario(sc)
        if compiled.check is not None:
            tables |= compiled.check.tables
        rs.scenarios[sc.key] = compiled
        kind = compiled.trigger_kind
        if kind == "event":
            names = sc.trigger.event
            for name in [names] if isinstance(names, str) else (names or []):
                rs.by_event.setdefault(name, []).append(compiled)
        elif kind == "segment_entered":
            assert sc.trigger.segment_entered
            rs.by_segment.setdefault(sc.trigger.segment_entered, []).append(compiled)
        elif kind == "time_on_site":
            rs.on_time_on_site.append(compiled)
        elif kind == "idle":
            rs.on_idle.append(compiled)
        elif kind == "absence":
            assert compiled.absence_after
            rs.on_absence.setdefault(compiled.absence_after, []).append(compiled)
    for group in (*rs.by_event.values(), *rs.by_segment.values(), *rs.on_absence.values()):
        group.sort(key=lambda c: -c.definition.priority)
    rs.on_idle.sort(key=lambda c: c.trigger_seconds)
    rs.tables = frozenset(tables)
    rs.segment_keys = frozenset(s.key for s in rs.segments)
    # Disabled scenarios too: their past still has reports.
    rs.goal_events = frozenset({"purchase", settings.conversion_event, *(
        sc.conversion.event for sc in scens if sc.conversion and sc.conversion.event)})
    rs.conversion_of = {sc.key: sc.conversion for sc in scens if sc.conversion}
    rs.department_of = {sc.key: sc.department for sc in scens}
    return rs


class RulesCache:
    """Compiled rule sets per workspace, reloaded after a change or every minute."""

    TTL = 60.0

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sets: dict[str, RuleSet] = {}
        self.on_change: list[Callable[[str], None]] = []

    def invalidate(self, workspace_id: str) -> None:
        """Recompile the workspace's rules on next use."""
        self._sets.pop(workspace_id, None)
        for callback in self.on_change:
            callback(workspace_id)

    def cached(self, workspace_id: str) -> RuleSet | None:
        """The compiled rules if loaded (no I/O)."""
        return self._sets.get(workspace_id)

    async def get(self, workspace_id: str) -> RuleSet:
        """The workspace's compiled rules."""
        rs = self._sets.get(workspace_id)
        if rs is not None and time.monotonic() - rs.loaded_at < self.TTL:
            return rs
        rs = await self._load(workspace_id)
        self._sets[workspace_id] = rs
        return rs

    async def _load(self, workspace_id: str) -> RuleSet:
        async with self.engine.connect() as conn:
            found = (await conn.execute(select(workspaces.c.settings, workspaces.c.name).where(
                workspaces.c.id == workspace_id))).first()
            raw_settings, name = (found.settings, found.name) if found else (None, "")
            segs = [msgspec.json.decode(d, type=Segment) for d in (await conn.execute(
                select(segments.c.definition).where(segments.c.workspace_id == workspace_id)
            )).scalars()]
            scens = [msgspec.json.decode(d, type=Scenario) for d in (await conn.execute(
                select(scenarios.c.definition).where(scenarios.c.workspace_id == workspace_id)
            )).scalars()]
            depts = [msgspec.json.decode(d, type=Department) for d in (await conn.execute(
                select(departments.c.definition).where(
                    departments.c.workspace_id == workspace_id))).scalars()]
            agent_rows = {row.id: msgspec.json.decode(row.definition, type=Agent)
                          for row in await conn.execute(select(agents.c.id, agents.c.definition)
                                                        .where(agents.c.workspace_id ==
                                                               workspace_id))}
        settings = (msgspec.json.decode(raw_settings, type=WorkspaceSettings) if raw_settings
                    else WorkspaceSettings())
        return build_ruleset(workspace_id, settings, segs, scens, depts, agent_rows,
                             str(name or ""))

