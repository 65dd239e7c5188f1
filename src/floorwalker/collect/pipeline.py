"""Group commit: accepted events become events, profiles and decisions in one transaction.

Requests enqueue validated, enriched events and wait; the writer (`store/writer.py`)
hands this pipeline everything queued, which deduplicates by messageId, resolves
identities, folds events into profiles, runs the rules and writes it all in ONE
transaction, then answers every waiting request. Under load each commit carries many
requests, which is what makes a 2xx (durable) cheap. Commands that touch profiles
(erasure, timers) run through the same writer so they never race with ingestion.

On an SQLite file the group commit's statements go to a connection on a thread of its
own (`store/sqlite_writer.py`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar, cast

import msgspec
import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.chat import service as chat_rows
from floorwalker.collect.dedupe import Dedupe
from floorwalker.events import Incoming
from floorwalker.measure import conversions as conversion_rows
from floorwalker.measure.conversions import DEFAULT_GOALS
from floorwalker.profiles import history
from floorwalker.profiles.apply import apply_event
from floorwalker.profiles.history import Committed
from floorwalker.profiles.unit import ProfileStore, UnitOfWork
from floorwalker.rules import decisions as decision_rows
from floorwalker.rules.output import Output
from floorwalker.rules.ruleset import RuleSet
from floorwalker.rules.runtime import Rules
from floorwalker.store.aftercommit import AfterCommit
from floorwalker.store.analyze import Statistics
from floorwalker.store.sqlite_writer import SQLiteWriter
from floorwalker.store.writer import Job, StorageUnavailable, Writer

log = structlog.get_logger("floorwalker.pipeline")
T = TypeVar("T")
ENCODE = msgspec.json.Encoder()


@dataclass(slots=True)
class IngestResult:
    """What happened to a request's events."""

    accepted: int = 0
    duplicates: int = 0
    visitor_ids: list[str] = field(default_factory=list)


Listener = Callable[[list[Committed]], Awaitable[None]]

# Events older than this when received are history (a replay, an offline queue): they
# update profiles but do not trigger proactive rules.
STALE_AFTER_SECONDS = 900.0


class Pipeline:
    """Owns the group commit, the profile caches and the recent-messageId memory."""

    def __init__(self, engine: AsyncEngine, *, session_timeout: float, max_batch: int,
                 cache_size: int, rules: Rules | None = None) -> None:
        self.engine = engine
        self.rules = rules
        self.session_timeout = session_timeout
        # Other features' rows of a visitor, moved by merges and deleted by erasure.
        self.store = ProfileStore(cache_size, others=[decision_rows.VISITOR_ROWS,
                                                      chat_rows.VISITOR_ROWS,
                                                      conversion_rows.VISITOR_ROWS])
        self.dedupe = Dedupe(max(cache_size * 4, 1000))
        self.listeners: list[Listener] = []
        self.writer: Writer[list[Incoming]] = Writer(engine, self._commit_jobs,
                                                     max_batch=max_batch)
        # Rule side effects and listeners run there, so the writer goes on committing.
        self.after_commit: AfterCommit = self.writer.after_commit
        self.observe: Callable[[float, int], None] = lambda _seconds, _n: None
        self.statistics = Statistics(engine, "events, visitors, identities")
        self._sqlite = (SQLiteWriter(engine.url.render_as_string(hide_password=False))
                        if SQLiteWriter.usable(engine) else None)

    async def start(self) -> None:
        """Start the writer task and the after-commit queue."""
        await self.writer.start()

    async def stop(self) -> None:
        """Finish what is queued and what follows it, then stop the writer."""
        await self.writer.stop()
        if self._sqlite is not None:
            await self._sqlite.close()
            self._sqlite = SQLiteWriter(self._sqlite.url)

    async def idle(self) -> None:
        """Wait until what was queued so far, and what follows its commits, has run."""
        await self.writer.idle()
        await self.after_commit.idle()

    async def ingest(self, batch: list[Incoming]) -> IngestResult:
        """Persist ``batch``; returns once it is committed (durable)."""
        result: IngestResult = await self.writer.submit(batch, len(batch))
        return result

    async def run_exclusive(
            self, command: Callable[[AsyncConnection, ProfileStore], Awaitable[T]],
            after: Callable[[T], Awaitable[None]] | None = None,
            effects: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run ``command`` in the writer, alone, in its own transaction (`Writer`)."""
        return await self.writer.run_exclusive(partial(_with_store, command, self.store),
                                               after, effects)

    async def run_unit(self, body: Callable[[UnitOfWork], Awaitable[T]],
                       effects: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run ``body`` on a unit of work of profiles in the writer (see run_exclusive):
        its profile changes are flushed in the same transaction and reach the profile
        cache only once committed; nothing of them stays cached if it fails."""
        units: list[UnitOfWork] = []

        async def command(conn: AsyncConnection, store: ProfileStore) -> T:
            unit = UnitOfWork(store, conn, time.time())
            units.append(unit)
            try:
                result = await body(unit)
                await unit.flush()
            except BaseException:
                unit.evict()
                raise
            return result

        async def after(_result: T) -> None:
            units[0].commit_to_cache()

        return await self.run_exclusive(command, after, effects)

    # -- the group commit ----------------------------------------------------------------
    async def _commit_jobs(self, jobs: list[Job[list[Incoming]]]) -> None:
        started = time.perf_counter()
        try:
            results, committed, out = await self._process(jobs)
        except Exception:
            log.exception("group commit failed; retrying requests one by one",
                          requests=len(jobs))
            if len(jobs) == 1:
                if not jobs[0].future.done():
                    jobs[0].future.set_exception(StorageUnavailable("commit failed"))
                return
            for job in jobs:
                await self._commit_jobs([job])
            return
        for job, result in zip(jobs, results, strict=True):
            if not job.future.done():
                job.future.set_result(result)
        accepted = sum(r.accepted for r in results)
        self.observe(time.perf_counter() - started, accepted)
        await self.statistics.grew(accepted)
        await self.after_commit.submit(partial(self._effects, out, committed))

    async def _effects(self, out: Output | None, committed: list[Committed]) -> None:
        """What follows a group commit: the rules' side effects, then every listener."""
        if self.rules is not None and out is not None:
            await self.rules.after_commit(out)
        for listener in self.listeners:
            try:
                await listener(committed)
            except Exception:
                log.exception("post-commit listener failed")

    async def _process(self, jobs: list[Job[list[Incoming]]]
                       ) -> tuple[list[IngestResult], list[Committed], Output | None]:
        received: list[list[Incoming]] = [job.payload or [] for job in jobs]
        rules = self.rules
        prepared: dict[str, tuple[RuleSet, Mapping[str, Any]]] = {}
        if rules is not None:
            prepared = await rules.prepare({ev.workspace_id for evs in received for ev in evs})
        out = Output()
        if self._sqlite is not None:
            writer = self._sqlite
            try:
                fresh, unit, results, applied = await self._transaction(
                    cast(AsyncConnection, writer), received, prepared, out,
                    reads_done=writer.defer_writes)
            except BaseException:
                with contextlib.suppress(Exception):
                    await writer.end(commit=False)
                raise
            try:
                await writer.end(commit=True)
            except BaseException:
                unit.evict()
                raise
        else:
            async with self.engine.connect() as conn:
                transaction = await conn.begin()
                try:
                    fresh, unit, results, applied = await self._transaction(
                        conn, received, prepared, out)
                except BaseException:
                    await transaction.rollback()
                    raise
                try:
                    await transaction.commit()
                except BaseException:
                    unit.evict()
                    raise
        unit.commit_to_cache()
        self.dedupe.remember(fresh)
        for result in results:
            result.visitor_ids = [unit.final_id(v) for v in result.visitor_ids]
        committed = [Committed(ev, None, unit.final_id(vid), unit.profiles[unit.final_id(vid)])
                     for ev, vid in applied]
        return results, committed, out

    async def _transaction(
            self, conn: AsyncConnection, received: list[list[Incoming]],
            prepared: dict[str, tuple[RuleSet, Mapping[str, Any]]], out: Output,
            reads_done: Callable[[], None] = lambda: None,
    ) -> tuple[list[list[Incoming]], UnitOfWork, list[IngestResult], list[tuple[Incoming, str]]]:
        """Dedupe, resolve, apply, evaluate rules and write, inside the caller's transaction.

        ``reads_done`` is called once everything is read: only writes follow.
        """
        rules = self.rules
        fresh = await self.dedupe.fresh(conn, received)
        unit = UnitOfWork(self.store, conn, time.time())
        try:
            await unit.prefetch([ev for evs in fresh for ev in evs])
            reads_done()
            results: list[IngestResult] = []
            applied: list[tuple[Incoming, str]] = []
            segments_then: dict[int, str | None] = {}
            for evs, got in zip(fresh, received, strict=True):
                result = IngestResult(duplicates=len(got) - len(evs))
                for ev in evs:
                    vid = unit.resolve(ev)
                    profile = unit.profile(vid)
                    ready = prepared.get(ev.workspace_id)
                    if ev.name in (ready[0].goal_events if ready else DEFAULT_GOALS):
                        # A conversion keeps the segments the buyer was in as they bought.
                        segments_then[id(ev)] = profile.segments_text()
                    # Sensitive names come with the rule set loaded for this batch (from the
                    # database after a restart); without rules (the demo's trusted seeding)
                    # nothing is protected.
                    apply_event(profile, ev, session_timeout=self.session_timeout,
                                protected=ready[0].sensitive if ready else frozenset())
                    if rules is not None and ready is not None and not ready[0].empty \
                            and ev.received_at - ev.ts < STALE_AFTER_SECONDS:
                        now = max(ev.ts, ev.received_at)
                        rules.engine.on_event(ready[0], rules.context(
                            ready[0], ready[1], profile, ev, now), out)
                    applied.append((ev, vid))
                    result.accepted += 1
                    result.visitor_ids.append(vid)
                results.append(result)
            await unit.flush()
            rows = [{
                "workspace_id": ev.workspace_id, "site_id": ev.site_id,
                "visitor_id": unit.final_id(vid), "message_id": ev.message_id,
                "type": ev.type, "name": ev.name, "ts": ev.ts,
                "received_at": ev.received_at,
                "properties": ENCODE.encode(ev.properties).decode(),
                "context": ENCODE.encode(ev.context).decode(),
            } for ev, vid in applied]
            await history.record_new(conn, rows, self.engine.dialect.name)
            final = [(ev, unit.final_id(vid)) for ev, vid in applied]
            goals = {ws: ready[0].goal_events for ws, ready in prepared.items()}
            await conversion_rows.record(conn, conversion_rows.rows_for(
                final, goals, lambda ev: segments_then.get(id(ev))), self.engine.dialect.name)
            await conversion_rows.refund(conn, conversion_rows.refunds_for(final))
            if rules is not None:
                await rules.write(conn, out)
        except BaseException:
            unit.evict()
            raise
        return fresh, unit, results, applied


async def _with_store(command: Callable[[AsyncConnection, ProfileStore], Awaitable[T]],
                      store: ProfileStore, conn: AsyncConnection) -> T:
    return await command(conn, store)
