"""One group commit's worth of profile work: load, resolve identities, apply, write back.

The pipeline's writer owns a :class:`ProfileStore` (the caches) and opens one
:class:`UnitOfWork` per transaction. Nothing reaches the caches before the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.events import Incoming
from floorwalker.profiles import history
from floorwalker.profiles.apply import merge_profiles
from floorwalker.profiles.cache import LRU
from floorwalker.profiles.ids import new_visitor_id
from floorwalker.profiles.model import PROFILE_DECODER, PROFILE_ENCODER, Profile
from floorwalker.store.tables import identities, visitors

IdentityKey = tuple[str, str, str]  # (workspace_id, "anon" | "user", value)
CHUNK = 500

# Built once: on every group commit, building these statements and their cache keys cost
# more than running them. Held writes (the SQLite writer) share them safely: a statement
# is immutable and its values come with each execution.
_LINKS = select(identities.c.value, identities.c.visitor_id).where(
    identities.c.workspace_id == bindparam("b_ws"), identities.c.kind == bindparam("b_kind"),
    identities.c.value.in_(bindparam("b_values", expanding=True)))
_USER_LINK = select(identities.c.visitor_id).where(
    identities.c.workspace_id == bindparam("b_ws"), identities.c.kind == "user",
    identities.c.value == bindparam("b_value"))
_PROFILES = select(visitors.c.id, visitors.c.profile).where(
    visitors.c.id.in_(bindparam("b_ids", expanding=True)))
_INSERT_VISITORS = visitors.insert()
_UPDATE_VISITORS = update(visitors).where(visitors.c.id == bindparam("b_id"))
_INSERT_LINKS = identities.insert()
_UPDATE_LINKS = update(identities).where(
    identities.c.workspace_id == bindparam("b_ws"), identities.c.kind == bindparam("b_kind"),
    identities.c.value == bindparam("b_value"))


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]

T = TypeVar("T")


class UnitRunner(Protocol):
    """Runs a unit of work on profiles in the process's one writer (the pipeline)."""

    async def run_unit(self, body: Callable[[UnitOfWork], Awaitable[T]],
                       effects: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run ``body`` in its own transaction; ``effects`` once committed."""
        ...


class VisitorRows(Protocol):
    """Another feature's rows that belong to a visitor (decisions, timers...): its own
    actions move them when two visitors merge and delete them on erasure."""

    async def move(self, conn: AsyncConnection, source: str, target: str) -> None:
        """The source visitor merged into the target."""
        ...

    async def erase(self, conn: AsyncConnection, workspace_id: str, visitor_id: str) -> None:
        """The visitor is erased."""
        ...


class ProfileStore:
    """The writer's caches of profiles and identity links, and the other features' rows
    that follow a visitor through merges and erasure."""

    def __init__(self, capacity: int, others: Iterable[VisitorRows] = ()) -> None:
        self.profiles: LRU[str, Profile] = LRU(capacity)
        self.links: LRU[IdentityKey, str] = LRU(capacity * 2)
        self.others: tuple[VisitorRows, ...] = tuple(others)

    def forget_visitor(self, visitor_id: str, profile: Profile | None = None) -> None:
        """Drop a visitor and the identity links we know of from the caches."""
        cached = profile or self.profiles.get(visitor_id)
        self.profiles.pop(visitor_id)
        if cached is not None:
            for anon in cached.anonymous_ids:
                self.links.pop((cached.workspace_id, "anon", anon))
            if cached.user_id:
                self.links.pop((cached.workspace_id, "user", cached.user_id))


def row_values(p: Profile) -> dict[str, Any]:
    """The visitors-table columns for a profile."""
    return {
        "workspace_id": p.workspace_id,
        "user_id": p.user_id,
        "first_seen": p.first_seen,
        "last_seen": p.last_seen,
        "visit_count": p.visit_count,
        "is_customer": p.is_customer,
        "lifetime_revenue": p.lifetime_revenue,
        "profile": PROFILE_ENCODER.encode(p).decode(),
    }


class UnitOfWork:
    """Profile changes of one transaction, written by :meth:`flush`."""

    def __init__(self, store: ProfileStore, conn: AsyncConnection, now: float) -> None:
        self.store = store
        self.conn = conn
        self.now = now
        self.profiles: dict[str, Profile] = {}
        self.links: dict[IdentityKey, str | None] = {}
        self.db_links: set[IdentityKey] = set()
        self.changed_links: set[IdentityKey] = set()
        self.new: set[str] = set()
        self.dirty: set[str] = set()
        self.merged: dict[str, str] = {}

    # -- loading -------------------------------------------------------------------
    async def prefetch(self, batch: list[Incoming]) -> None:
        """Load, in a few queries, every identity link and profile ``batch`` refers to."""
        wanted: dict[tuple[str, str], set[str]] = {}
        for ev in batch:
            for kind, value in (("anon", ev.anonymous_id), ("user", ev.user_id),
                                ("anon", ev.previous_id)):
                if value is None:
                    continue
                key = (ev.workspace_id, kind, value)
                if key in self.links:
                    continue
                cached = self.store.links.get(key)
                if cached is not None:
                    self.links[key] = cached
                    self.db_links.add(key)
                else:
                    wanted.setdefault((ev.workspace_id, kind), set()).add(value)
        for (ws, kind), values in wanted.items():
            for chunk in _chunks(sorted(values)):
                rows = await self.conn.execute(
                    _LINKS, {"b_ws": ws, "b_kind": kind, "b_values": chunk})
                found = dict(rows.all())
                for value in chunk:
                    key = (ws, kind, value)
                    self.links[key] = found.get(value)
                    if value in found:
                        self.db_links.add(key)
        # "user" ids given as an alias previousId are looked up too.
        for ev in batch:
            if ev.previous_id is not None:
                key = (ev.workspace_id, "user", ev.previous_id)
                if key not in self.links:
                    rows = await self.conn.execute(
                        _USER_LINK, {"b_ws": ev.workspace_id, "b_value": ev.previous_id})
                    found_id = rows.scalar()
                    self.links[key] = found_id
                    if found_id is not None:
                        self.db_links.add(key)
        await self.load({v for v in self.links.values() if v is not None})

    async def load(self, visitor_ids: set[str]) -> None:
        """Bring profiles into this unit, from the cache or the database."""
        missing = []
        for vid in visitor_ids:
            if vid in self.profiles:
                continue
            cached = self.store.profiles.get(vid)
            if cached is not None:
                self.profiles[vid] = cached
            else:
                missing.append(vid)
        for chunk in _chunks(missing):
            rows = await self.conn.execute(_PROFILES, {"b_ids": chunk})
            for vid, doc in rows:
                self.profiles[vid] = PROFILE_DECODER.decode(doc)

    # -- identity ------------------------------------------------------------------
    def _link(self, ws: str, kind: str, value: str, visitor_id: str) -> None:
        key = (ws, kind, value)
        if self.links.get(key) != visitor_id:
            self.links[key] = visitor_id
            self.changed_links.add(key)

    def _create(self, ws: str, user_id: str | None) -> str:
        vid = new_visitor_id()
        self.profiles[vid] = Profile(visitor_id=vid, workspace_id=ws, user_id=user_id)
        self.new.add(vid)
        return vid

    def _live(self, vid: str | None) -> str | None:
        while vid is not None and vid in self.merged:
            vid = self.merged[vid]
        return vid

    def _merge(self, source: str, target: str) -> None:
        src = self.profiles[source]
        merge_profiles(self.profiles[target], src)
        self.merged[source] = target
        for anon in src.anonymous_ids:
            self._link(src.workspace_id, "anon", anon, target)
        self.dirty.add(target)

    def resolve(self, ev: Incoming) -> str:
        """The visitor an event belongs to, creating, linking or merging as the rules say.

        Anonymous history merges into the identified visitor; two identified visitors
        never merge; a device whose anonymous id belonged to another user is re-pointed
        to the user now signed in, without merging.
        """
        ws = ev.workspace_id
        anon_id = ev.previous_id if ev.type == "alias" else ev.anonymous_id
        anon_v = self._live(self.links.get((ws, "anon", anon_id))) if anon_id else None
        if ev.type == "alias" and anon_v is None and anon_id is not None:
            # previousId may be a user id; identified people are never merged.
            prior_user = self._live(self.links.get((ws, "user", anon_id)))
            if prior_user is not None and ev.user_id is not None:
                return self._for_user(ws, ev.user_id, None)
        if ev.user_id is None:
            if anon_v is not None:
                return anon_v
            vid = self._create(ws, None)
            if anon_id is not None:
                self._link(ws, "anon", anon_id, vid)
            return vid
        return self._for_user(ws, ev.user_id, anon_id, anon_v)

    def _for_user(self, ws: str, user_id: str, anon_id: str | None,
                  anon_v: str | None = None) -> str:
        user_v = self._live(self.links.get((ws, "user", user_id)))
        if user_v is None:
            if anon_v is not None and self.profiles[anon_v].user_id is None:
                self.profiles[anon_v].user_id = user_id
                self.dirty.add(anon_v)
                self._link(ws, "user", user_id, anon_v)
                return anon_v
            vid = self._create(ws, user_id)
            self._link(ws, "user", user_id, vid)
            if anon_id is not None:
                self._link(ws, "anon", anon_id, vid)
            return vid
        if anon_v is not None and anon_v != user_v and self.profiles[anon_v].user_id is None:
            self._merge(anon_v, user_v)
        if anon_id is not None:
            self._link(ws, "anon", anon_id, user_v)
        return user_v

    def profile(self, visitor_id: str) -> Profile:
        """A profile loaded or created in this unit, marked as changed."""
        self.dirty.add(visitor_id)
        return self.profiles[visitor_id]

    def final_id(self, visitor_id: str) -> str:
        """Where a visitor id ended up after this unit's merges."""
        return self._live(visitor_id) or visitor_id

    # -- writing -------------------------------------------------------------------
    async def flush(self) -> None:
        """Write visitors, identity links and merges (events are written by the caller)."""
        conn = self.conn
        gone = set(self.merged)
        created = [{"id": vid, **row_values(self.profiles[vid])}
                   for vid in self.new if vid not in gone]
        changed = [{"b_id": vid, **row_values(self.profiles[vid])}
                   for vid in self.dirty if vid not in gone and vid not in self.new]
        for source, target in self.merged.items():
            if source in self.new:
                continue
            target = self.final_id(target)
            await history.move(conn, source, target)
            await conn.execute(update(identities).where(identities.c.visitor_id == source)
                               .values(visitor_id=target))
            for other in self.store.others:
                await other.move(conn, source, target)
            await conn.execute(visitors.delete().where(visitors.c.id == source))
        if created:
            await conn.execute(_INSERT_VISITORS, created)
        if changed:
            await conn.execute(_UPDATE_VISITORS, changed)
        inserts, updates = [], []
        for key in self.changed_links:
            target = self.final_id(self.links[key] or "")
            if not target:
                continue
            ws, kind, value = key
            if key in self.db_links:
                updates.append({"b_ws": ws, "b_kind": kind, "b_value": value,
                                "visitor_id": target})
            else:
                inserts.append({"workspace_id": ws, "kind": kind, "value": value,
                                "visitor_id": target, "created_at": self.now})
        if inserts:
            await conn.execute(_INSERT_LINKS, inserts)
        if updates:
            await conn.execute(_UPDATE_LINKS, updates)

    def commit_to_cache(self) -> None:
        """After commit: the caches learn this unit's state."""
        store = self.store
        for source in self.merged:
            store.forget_visitor(source, self.profiles.get(source))
        for key, vid in self.links.items():
            target = self.final_id(vid) if vid else None
            if target is not None:
                store.links.put(key, target)
        for vid, profile in self.profiles.items():
            if vid not in self.merged:
                store.profiles.put(vid, profile)

    def evict(self) -> None:
        """After a rollback: forget everything this unit touched."""
        for vid, profile in self.profiles.items():
            self.store.forget_visitor(vid, profile)
        for key in self.links:
            self.store.links.pop(key)
