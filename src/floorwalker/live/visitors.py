"""The live visitor list: everyone on a site now, kept current by committed events.

Per workspace, an in-memory index of visitor rows (docs/console-api.md, VisitorRow) is
warmed from the database on first use, then updated by a pipeline listener after every
commit. Changed rows go to the agents' consoles as one ``visitors`` frame per commit;
a sweep removes visitors not seen for the live window with a ``visitors_left`` frame.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypedDict

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker import protocol as p
from floorwalker.bus import Bus
from floorwalker.profiles.history import Committed
from floorwalker.profiles.model import PROFILE_DECODER, Profile
from floorwalker.rules.ruleset import RuleSet
from floorwalker.store.tables import conversations, visitors

log = structlog.get_logger("floorwalker.console")

Rules = Callable[[str], Awaitable[RuleSet]]


class PageRef(TypedDict):
    """The page a visitor is on."""

    url: str | None
    path: str | None
    title: str | None


class SourceRef(TypedDict):
    """Where the visit came from."""

    type: str | None
    name: str | None
    keyword: str | None
    campaign: str | None
    referrer: str | None


class Chip(TypedDict):
    """A segment as the list shows it."""

    key: str
    name: str
    color: str | None


class VisitorRow(TypedDict):
    """A row of the live list (docs/console-api.md, VisitorRow; a test checks the two)."""

    id: str
    name: str | None
    email: str | None
    user_id: str | None
    current_page: PageRef | None
    session_started_at: float | None
    time_on_site: float
    session_pages: int
    visits: int
    last_seen: float
    source: SourceRef
    country: str | None
    city: str | None
    device: str | None
    browser: str | None
    os: str | None
    language: str | None
    cart_value: float
    currency: str | None
    top_segments: list[Chip]
    segments: list[str]
    in_chat: bool
    departments: list[str]


# Called with (workspace id, rows that changed, rows before the change) after each commit.
EnteredHook = Callable[[str, list[VisitorRow], dict[str, VisitorRow | None]], Awaitable[None]]


def visitor_name(profile: Profile, hidden: Iterable[str] = ()) -> str | None:
    """A display name from the visitor's traits (none of the ``hidden`` ones)."""
    hide = set(hidden)
    attrs = {k: v for k, v in profile.attributes.items() if k not in hide}
    name = attrs.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()[:200]
    parts = [attrs.get(k) for k in ("first_name", "last_name")]
    joined = " ".join(x.strip() for x in parts if isinstance(x, str) and x.strip())
    return joined[:200] or None


def segment_chips(profile: Profile, rs: RuleSet) -> list[dict[str, Any]]:
    """The visitor's segments, highest priority first, with name and colour."""
    known = {s.key: s.definition for s in rs.segments}
    ordered = sorted((key for key in profile.segments if key in known),
                     key=lambda k: (-known[k].priority, k))
    chips: list[dict[str, Any]] = [
        {"key": key, "name": known[key].name, "color": known[key].color,
         "priority": known[key].priority} for key in ordered]
    return chips


def visitor_row(profile: Profile, rs: RuleSet, departments: Iterable[str] = ()) -> VisitorRow:
    """A VisitorRow (docs/console-api.md) for the live list. Rows go to every console of
    the workspace: the workspace's sensitive attributes are never in them."""
    hidden = rs.sensitive
    session = profile.session
    source = (session.source if session and session.source else profile.first_source) or {}
    geo = profile.geo or {}
    device = profile.device or {}
    chips = segment_chips(profile, rs)
    email = None if "email" in hidden else profile.attributes.get("email")
    page = session.current_page if session else None
    return {
        "id": profile.visitor_id,
        "name": visitor_name(profile, hidden),
        "email": email if isinstance(email, str) else None,
        "user_id": profile.user_id,
        "current_page": PageRef(url=page.url, path=page.path, title=page.title)
        if page else None,
        "session_started_at": session.started_at if session else None,
        "time_on_site": round(session.time_on_site, 1) if session else 0.0,
        "session_pages": session.pages_viewed if session else 0,
        "visits": profile.visit_count,
        "last_seen": profile.last_seen,
        "source": {"type": source.get("medium"), "name": source.get("source"),
                   "keyword": source.get("keywords") or source.get("term"),
                   "campaign": source.get("campaign"), "referrer": source.get("referrer")},
        "country": geo.get("country"), "city": geo.get("city"),
        "device": device.get("device_type"), "browser": device.get("browser"),
        "os": device.get("os"), "language": profile.language,
        "cart_value": round(profile.cart.value, 2), "currency": profile.cart.currency,
        "top_segments": [{"key": c["key"], "name": c["name"], "color": c["color"]}
                         for c in chips[:3]],
        "segments": [c["key"] for c in chips],
        "in_chat": bool(profile.engagement.get("in_chat")),
        "departments": sorted(set(departments)),
    }


def visitors_channel(workspace_id: str) -> str:
    """Live visitor rows of a workspace, for agents' consoles."""
    return f"visitors:{workspace_id}"


class LiveVisitors:
    """The live visitor index of every workspace this process serves."""

    def __init__(self, engine: AsyncEngine, bus: Bus, rules: Rules, window: float) -> None:
        self.engine = engine
        self.bus = bus
        self.rules = rules
        self.window = window
        self._rows: dict[str, dict[str, VisitorRow]] = {}
        self._warming: dict[str, asyncio.Future[None]] = {}
        # Workspaces whose rules changed: rows are rebuilt on next use, and the old ones
        # kept until then so open consoles keep getting frames (and alerts their diffs).
        self._stale: set[str] = set()
        # Departments a visitor is engaged with this visit (open chats, fired scenarios).
        self._departments: dict[str, dict[str, set[str]]] = {}
        self.on_change: list[EnteredHook] = []
        self._sweeper: asyncio.Task[None] | None = None

    # -- reading ---------------------------------------------------------------------

    async def rows(self, workspace_id: str, now: float | None = None) -> list[VisitorRow]:
        """Every live visitor of a workspace, most recently seen first."""
        await self._warm(workspace_id)
        now = time.time() if now is None else now
        horizon = now - self.window
        rows = [r for r in self._rows.get(workspace_id, {}).values()
                if r["last_seen"] >= horizon]
        rows.sort(key=lambda r: -r["last_seen"])
        return rows

    async def row(self, workspace_id: str, visitor_id: str) -> VisitorRow | None:
        """One live visitor's row, if live."""
        await self._warm(workspace_id)
        found = self._rows.get(workspace_id, {}).get(visitor_id)
        if found is None or found["last_seen"] < time.time() - self.window:
            return None
        return found

    async def _warm(self, workspace_id: str) -> None:
        """Load the workspace's live visitors from the database once (again after its
        rules changed)."""
        if workspace_id in self._rows and workspace_id not in self._stale:
            return
        pending = self._warming.get(workspace_id)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._warming[workspace_id] = pending
            try:
                await self._load(workspace_id)
                pending.set_result(None)
            except BaseException as exc:
                pending.set_exception(exc)
                # Nobody else may be waiting: keep the error from being "never retrieved".
                pending.exception()
                raise
            finally:
                self._warming.pop(workspace_id, None)
        else:
            await asyncio.shield(pending)

    async def _load(self, workspace_id: str) -> None:
        rs = await self.rules(workspace_id)
        horizon = time.time() - self.window
        async with self.engine.connect() as conn:
            docs = (await conn.execute(select(visitors.c.profile).where(
                visitors.c.workspace_id == workspace_id,
                visitors.c.last_seen >= horizon))).scalars().all()
            open_convs = (await conn.execute(select(
                conversations.c.visitor_id, conversations.c.department).where(
                conversations.c.workspace_id == workspace_id,
                conversations.c.status != "closed",
                conversations.c.department.is_not(None)))).all()
        depts = self._departments.setdefault(workspace_id, {})
        for visitor_id, department in open_convs:
            depts.setdefault(visitor_id, set()).add(department)
        index: dict[str, VisitorRow] = {}
        for doc in docs:
            profile = PROFILE_DECODER.decode(doc)
            index[profile.visitor_id] = visitor_row(
                profile, rs, depts.get(profile.visitor_id, ()))
        self._rows[workspace_id] = index
        self._stale.discard(workspace_id)

    # -- writing ---------------------------------------------------------------------

    async def committed(self, batch: list[Committed]) -> None:
        """Pipeline listener: rows of the visitors this commit changed, then one frame per
        workspace."""
        latest: dict[str, dict[str, Profile]] = {}
        for item in batch:
            latest.setdefault(item.profile.workspace_id, {})[item.visitor_id] = item.profile
        for workspace_id, profiles in latest.items():
            if workspace_id not in self._rows:
                continue  # nobody looks at this workspace yet: it warms from the database
            previous = self._rows[workspace_id]
            await self._warm(workspace_id)  # rebuilt if its rules changed
            rs = await self.rules(workspace_id)
            index = self._rows[workspace_id]
            depts = self._departments.setdefault(workspace_id, {})
            changed: list[VisitorRow] = []
            before: dict[str, VisitorRow | None] = {}
            for visitor_id, profile in profiles.items():
                for merged in profile.merged_from:
                    index.pop(merged, None)
                row = visitor_row(profile, rs, self._engaged(profile, rs,
                                                             depts.get(visitor_id)))
                before[visitor_id] = previous.get(visitor_id)
                index[visitor_id] = row
                changed.append(row)
            if changed:
                await self.bus.publish(visitors_channel(workspace_id),
                                       p.encode(p.Visitors(visitors=changed)))
                for hook in self.on_change:
                    try:
                        await hook(workspace_id, changed, before)
                    except Exception:
                        log.exception("live visitor hook failed")

    @staticmethod
    def _engaged(profile: Profile, rs: RuleSet,
                 chats: set[str] | None) -> set[str]:
        """Departments of open chats and of scenarios that fired this visit."""
        out = set(chats or ())
        session = profile.session
        states = profile.engagement.get("scenarios")
        if session is not None and isinstance(states, dict):
            for key, state in states.items():
                scenario = rs.scenarios.get(key)
                if scenario is not None and scenario.definition.department and \
                        isinstance(state, dict) and state.get("session") == session.id:
                    out.add(scenario.definition.department)
        return out

    async def set_departments(self, workspace_id: str, visitor_id: str,
                              departments: set[str]) -> None:
        """The departments of a visitor's open chats changed (routing calls this)."""
        depts = self._departments.setdefault(workspace_id, {})
        if departments:
            depts[visitor_id] = set(departments)
        else:
            depts.pop(visitor_id, None)
        row = self._rows.get(workspace_id, {}).get(visitor_id)
        if row is not None:
            row = row.copy()
            if departments:
                row["departments"] = sorted(departments | set(row["departments"]))
            self._rows[workspace_id][visitor_id] = row
            await self.bus.publish(visitors_channel(workspace_id),
                                   p.encode(p.Visitors(visitors=[row])))

    def forget(self, workspace_id: str) -> None:
        """A workspace's rules changed: its rows are rebuilt on next use."""
        if workspace_id in self._rows:
            self._stale.add(workspace_id)

    # -- leaving -----------------------------------------------------------------------

    async def sweep(self, now: float | None = None) -> int:
        """Remove visitors not seen for the live window; returns how many left."""
        now = time.time() if now is None else now
        horizon = now - self.window
        gone_total = 0
        for workspace_id, index in list(self._rows.items()):
            gone = [vid for vid, row in index.items() if row["last_seen"] < horizon]
            for vid in gone:
                index.pop(vid, None)
                self._departments.get(workspace_id, {}).pop(vid, None)
            if gone:
                gone_total += len(gone)
                for start in range(0, len(gone), 500):
                    await self.bus.publish(visitors_channel(workspace_id),
                                           p.encode(p.VisitorsLeft(ids=gone[start:start + 500])))
        return gone_total

    def start(self, every: float = 10.0) -> None:
        """Sweep in the background."""
        async def loop() -> None:
            while True:
                await asyncio.sleep(every)
                try:
                    await self.sweep()
                except Exception:
                    log.exception("live visitor sweep failed")
        self._sweeper = asyncio.create_task(loop(), name="floorwalker-live-sweep")

    async def stop(self) -> None:
        """Stop sweeping."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
