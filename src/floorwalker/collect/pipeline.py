"""The write path: one writer task per process group-commits accepted events.

Requests enqueue validated, enriched events and wait; the writer takes everything
queued, deduplicates by messageId, resolves identities, folds events into profiles
and writes events and profiles in ONE transaction, then answers every waiting
request. Under load each commit carries many requests, which is what makes a 2xx
(durable) cheap. Admin writes that touch profiles (erasure) run through the same
writer so they never race with ingestion.

On an SQLite file the writer's statements go to a connection of its own on a thread of
its own (:class:`_SQLiteWriter`): two hops to that thread per group commit instead of
some twenty-five through aiosqlite, and no WAL checkpoint inside a commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from queue import SimpleQueue
from typing import Any, TypeVar, cast

import msgspec
import structlog
from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Result,
    bindparam,
    create_engine,
    event,
    make_url,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.collect.incoming import Incoming
from floorwalker.profiles.apply import apply_event
from floorwalker.profiles.cache import LRU
from floorwalker.profiles.model import Profile
from floorwalker.profiles.unit import ProfileStore, UnitOfWork
from floorwalker.rules.engine import Output
from floorwalker.rules.ruleset import RuleSet
from floorwalker.rules.runtime import Rules
from floorwalker.store.aftercommit import AfterCommit
from floorwalker.store.tables import events, timers

log = structlog.get_logger("floorwalker.pipeline")
T = TypeVar("T")
ENCODE = msgspec.json.Encoder()


@dataclass(slots=True)
class IngestResult:
    """What happened to a request's events."""

    accepted: int = 0
    duplicates: int = 0
    visitor_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Committed:
    """An event as committed, with the profile it changed (for post-commit listeners)."""

    event: Incoming
    event_id: int | None
    visitor_id: str
    profile: Profile


Listener = Callable[[list[Committed]], Awaitable[None]]


class StorageUnavailable(Exception):
    """The transaction could not be committed; the client should retry."""


@dataclass(slots=True)
class _Job:
    events: list[Incoming] | None
    command: Callable[[AsyncConnection, ProfileStore], Awaitable[Any]] | None
    future: asyncio.Future[Any]
    after: Callable[[Any], Awaitable[None]] | None = None  # in the writer (caches)
    effects: Callable[[Any], Awaitable[None]] | None = None  # after commit, off the writer

# Events older than this when received are history (a replay, an offline queue): they
# update profiles but do not trigger proactive rules.
STALE_AFTER_SECONDS = 900.0
# How often, at most, the SQLite writer starts a background WAL checkpoint.
CHECKPOINT_EVERY_SECONDS = 0.25
_ANALYZE = text("ANALYZE events, visitors, identities")
# Built once: building a statement and its cache key costs more than running it here.
_STORED_IDS = select(events.c.message_id).where(
    events.c.workspace_id == bindparam("ws"),
    events.c.message_id.in_(bindparam("ids", expanding=True)))


class _Deferred:
    """What ``execute`` returns for a write held until the commit: it has no result yet."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"a deferred write has no result ({name}); read before writing")


def _resolve(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if not future.done():
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


class _Thread:
    """One thread that runs calls in order; cheaper per call than an executor."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._calls: SimpleQueue[tuple[Callable[[], Any], asyncio.Future[Any] | None] | None] = \
            SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread has started (it starts with the first call)."""
        return self._thread is not None

    def submit(self, fn: Callable[[], Any],
               future: asyncio.Future[Any] | None = None) -> None:
        """Run ``fn`` in the thread; its outcome goes to ``future`` (if any)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=self.name, daemon=True)
            self._thread.start()
        self._calls.put((fn, future))

    async def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in the thread and wait for its result."""
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self.submit(fn, future)
        return await future

    def stop(self) -> None:
        """Finish the calls queued, then end the thread (blocks until it has)."""
        if self._thread is not None:
            self._calls.put(None)
            self._thread.join()
            self._thread = None

    def _serve(self) -> None:
        while (item := self._calls.get()) is not None:
            fn, future = item
            result, error = None, None
            try:
                result = fn()
            except BaseException as exc:  # handed to the caller
                error = exc
            if future is not None:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                    future.get_loop().call_soon_threadsafe(_resolve, future, result, error)
            elif error is not None:
                log.error("background call failed", exc_info=error)


class _SQLiteWriter:
    """The writer's own SQLite connection, used from a thread of its own.

    Through aiosqlite each statement costs three or four hops between the event loop and
    the driver's thread (cursor, execute, fetch, close), and under load every hop waits for
    a turn of a busy loop: a group commit of seven statements took 5 ms, nearly all of it
    waiting (500 events/s, 2,000 sockets). Here a read is one hop (compiled, run and its
    rows buffered in the thread), and the writes of a transaction are held until the commit
    and run with it in one more hop: a group commit with warm caches is two hops. The
    transaction, the caches and the rules stay in the writer task.

    The commit that takes the WAL past 1,000 pages would also copy them back into the
    database and fsync (14 ms, the writer's p99), so this connection never checkpoints:
    a second thread does, PASSIVE (never blocking the writer), every
    ``CHECKPOINT_EVERY_SECONDS`` while there are commits.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._deferring = False
        self._thread = _Thread("floorwalker-sqlite-writer")
        self._checkpointer = _Thread("floorwalker-sqlite-checkpoint")
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self._writes: list[tuple[Executable, Any]] = []
        self._checkpoint_busy = threading.Event()
        self._checkpoint_at = 0.0
        self._checkpoint_conn: sqlite3.Connection | None = None

    @staticmethod
    def usable(engine: AsyncEngine) -> bool:
        """True for an SQLite file (a ``:memory:`` database is private to one connection)."""
        url = engine.url
        return (engine.dialect.name == "sqlite" and url.database not in (None, "", ":memory:")
                and "memory" not in str(url.query.get("mode", "")))

    # -- from the writer task ------------------------------------------------------------
    async def execute(self, statement: Executable, parameters: Any = None) -> Result[Any]:
        """Run a statement in the transaction (the part of AsyncConnection the writer uses).

        After :meth:`defer_writes`, statements are held and run with the commit.
        """
        if self._deferring:
            self._writes.append((statement, parameters))
            return cast(Result[Any], _Deferred())
        writes, self._writes = self._writes, []
        return await self._thread.call(partial(self._read, statement, parameters, writes))

    def defer_writes(self) -> None:
        """From now until the commit only writes come: hold them and run them with it."""
        self._deferring = True

    async def end(self, commit: bool) -> None:
        """Run the held writes and commit, or roll back."""
        writes, self._writes = self._writes, []
        self._deferring = False
        await self._thread.call(partial(self._end, writes, commit))

    async def close(self) -> None:
        """Close the connections and end the threads."""
        def dispose() -> None:
            self._end([], commit=False)
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None

        def close_checkpointer() -> None:
            if self._checkpoint_conn is not None:
                self._checkpoint_conn.close()
                self._checkpoint_conn = None

        if self._thread.running:
            self._thread.submit(dispose)
            await asyncio.to_thread(self._thread.stop)
        if self._checkpointer.running:
            self._checkpointer.submit(close_checkpointer)
            await asyncio.to_thread(self._checkpointer.stop)

    # -- in the writer thread ------------------------------------------------------------
    def _connection(self) -> Connection:
        if self._conn is None:
            if self._engine is None:
                self._engine = create_engine(self.url.replace("+aiosqlite", "", 1),
                                             connect_args={"timeout": 30})
                event.listen(self._engine, "connect", _writer_pragmas)
            self._conn = self._engine.connect()
            self._conn.begin()
        return self._conn

    def _read(self, statement: Executable, parameters: Any,
              writes: list[tuple[Executable, Any]]) -> Result[Any]:
        conn = self._connection()
        for write, params in writes:
            conn.execute(write, params)
        result = conn.execute(statement, parameters)
        return result.freeze()() if result.returns_rows else result

    def _end(self, writes: list[tuple[Executable, Any]], commit: bool) -> None:
        if commit and writes:
            self._connection()
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if commit:
                for write, params in writes:
                    conn.execute(write, params)
                conn.commit()
            else:
                conn.rollback()
        finally:
            conn.close()
        if commit:
            self._maybe_checkpoint()

    def _maybe_checkpoint(self) -> None:
        now = time.monotonic()
        if now - self._checkpoint_at < CHECKPOINT_EVERY_SECONDS \
                or self._checkpoint_busy.is_set():
            return
        self._checkpoint_at = now
        self._checkpoint_busy.set()
        self._checkpointer.submit(self._checkpoint)

    # -- in the checkpoint thread --------------------------------------------------------
    def _checkpoint(self) -> None:
        try:
            if self._checkpoint_conn is None:
                self._checkpoint_conn = sqlite3.connect(make_url(self.url).database or "",
                                                        timeout=30)
            # PASSIVE copies what it can without waiting for, or blocking, the writer.
            self._checkpoint_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except Exception:
            log.exception("WAL checkpoint failed")
        finally:
            self._checkpoint_busy.clear()


def _writer_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # As store/engine.py sets them for the application's connections...
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    # ...but checkpoints are the checkpoint thread's.
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


class Pipeline:
    """Owns the writer task, the profile caches and the recent-messageId memory."""

    def __init__(self, engine: AsyncEngine, *, session_timeout: float, max_batch: int,
                 cache_size: int, rules: Rules | None = None) -> None:
        self.engine = engine
        self.rules = rules
        self.session_timeout = session_timeout
        self.max_batch = max_batch
        self.store = ProfileStore(cache_size)
        self.seen: LRU[tuple[str, str], bool] = LRU(max(cache_size * 4, 1000))
        self.listeners: list[Listener] = []
        # Rule side effects and listeners run here, so the writer goes on committing.
        self.after_commit = AfterCommit()
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._insert = (sqlite.insert(events) if engine.dialect.name == "sqlite"
                        else postgresql.insert(events)).on_conflict_do_nothing()
        self.observe: Callable[[float, int], None] = lambda _seconds, _n: None
        self._postgres = engine.dialect.name == "postgresql"
        self._written = 0
        self._analyze_at = 1000
        self._sqlite = (_SQLiteWriter(engine.url.render_as_string(hide_password=False))
                        if _SQLiteWriter.usable(engine) else None)

    async def start(self) -> None:
        """Start the writer task."""
        if self._task is None:
            # The after-commit queue runs its work inline for now (as the writer always
            # did): with its own task, shutdown hung intermittently in the test suite,
            # which is not understood yet (issue 10). Start it here once that is fixed.
            self._task = asyncio.create_task(self._run(), name="floorwalker-writer")

    async def stop(self) -> None:
        """Finish what is queued, then stop the writer."""
        if self._task is None:
            return
        stop: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(None, None, stop))
        await stop
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        await self.after_commit.stop()
        if self._sqlite is not None:
            await self._sqlite.close()
            self._sqlite = _SQLiteWriter(self._sqlite.url)

    async def ingest(self, batch: list[Incoming]) -> IngestResult:
        """Persist ``batch``; returns once it is committed (durable)."""
        if self._task is None:
            raise StorageUnavailable("the pipeline is not running")
        future: asyncio.Future[IngestResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(batch, None, future))
        return await future

    async def run_exclusive(
            self, command: Callable[[AsyncConnection, ProfileStore], Awaitable[T]],
            after: Callable[[T], Awaitable[None]] | None = None,
            effects: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run ``command`` in the writer, alone, in its own transaction. Once committed,
        ``after`` runs in the writer (caches only), then ``effects`` (frames, alerts...)
        in order with other post-commit work, off the writer; returns when both ran."""
        if self._task is None:
            raise StorageUnavailable("the pipeline is not running")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Job(None, command, future, after, effects))
        return await future

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

    # -- the writer ------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            if job.events is None and job.command is None:
                job.future.set_result(None)
                continue
            if job.command is not None:
                await self._run_command(job)
                continue
            jobs = [job]
            count = len(job.events or [])
            while count < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt.events is None:
                    # Commands and stop markers wait for the events queued before them.
                    await self._commit_jobs(jobs)
                    jobs, count = [], 0
                    if nxt.command is not None:
                        await self._run_command(nxt)
                    else:
                        nxt.future.set_result(None)
                    break
                jobs.append(nxt)
                count += len(nxt.events)
            if jobs:
                await self._commit_jobs(jobs)

    async def _run_command(self, job: _Job) -> None:
        assert job.command is not None
        try:
            async with self.engine.begin() as conn:
                result = await job.command(conn, self.store)
        except Exception as exc:  # the caller decides what the error means
            if not job.future.done():
                job.future.set_exception(exc)
            return
        if job.after is not None:
            try:
                await job.after(result)
            except Exception:
                log.exception("after-commit step failed")
        effects = job.effects
        if effects is None:
            if not job.future.done():
                job.future.set_result(result)
            return
        future = job.future

        async def effects_then_answer() -> None:
            try:
                await effects(result)
            finally:
                if not future.done():
                    future.set_result(result)

        await self.after_commit.submit(effects_then_answer)

    async def _commit_jobs(self, jobs: list[_Job]) -> None:
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
        await self._maybe_analyze(accepted)
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

    async def _maybe_analyze(self, accepted: int) -> None:
        """Refresh PostgreSQL's statistics while the tables grow fast.

        The writer's reads are batches of keys (``IN`` lists). With statistics from when a
        table was small, PostgreSQL scans the whole workspace and filters: measured 240 ms
        instead of 6 ms for 500 ids at 20,000 rows, and worse as it grows. Autovacuum
        catches up within minutes; a burst (an import, a launch) needs it sooner.
        """
        if not self._postgres or not accepted:
            return
        self._written += accepted
        if self._written < self._analyze_at:
            return
        self._analyze_at = min(self._written * 2, self._written + 1_000_000)
        try:
            async with self.engine.connect() as conn:
                await conn.execute(_ANALYZE)
                await conn.commit()
        except Exception:
            log.exception("ANALYZE failed")

    async def _process(self, jobs: list[_Job]
                       ) -> tuple[list[IngestResult], list[Committed], Output | None]:
        received: list[list[Incoming]] = [job.events or [] for job in jobs]
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
        for evs in fresh:
            for ev in evs:
                self.seen.put((ev.workspace_id, ev.message_id), True)
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
        fresh = await self._dedupe(conn, received)
        unit = UnitOfWork(self.store, conn, time.time())
        try:
            await unit.prefetch([ev for evs in fresh for ev in evs])
            reads_done()
            results: list[IngestResult] = []
            applied: list[tuple[Incoming, str]] = []
            for evs, got in zip(fresh, received, strict=True):
                result = IngestResult(duplicates=len(got) - len(evs))
                for ev in evs:
                    vid = unit.resolve(ev)
                    profile = unit.profile(vid)
                    ready = prepared.get(ev.workspace_id)
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
            if rows:
                await conn.execute(self._insert, rows)
            if rules is not None:
                await rules.write(conn, out)
        except BaseException:
            unit.evict()
            raise
        return fresh, unit, results, applied

    async def _dedupe(self, conn: AsyncConnection,
                      received: list[list[Incoming]]) -> list[list[Incoming]]:
        """Drop events whose messageId this workspace has already stored."""
        seen_now: set[tuple[str, str]] = set()
        unknown: dict[str, set[str]] = {}
        for evs in received:
            for ev in evs:
                key = (ev.workspace_id, ev.message_id)
                if key not in self.seen:
                    unknown.setdefault(ev.workspace_id, set()).add(ev.message_id)
        stored: set[tuple[str, str]] = set()
        for ws, ids in unknown.items():
            ordered = sorted(ids)
            for i in range(0, len(ordered), 500):
                chunk = ordered[i:i + 500]
                found = await conn.execute(_STORED_IDS, {"ws": ws, "ids": chunk})
                stored.update((ws, mid) for mid in found.scalars())
        fresh: list[list[Incoming]] = []
        for evs in received:
            keep = []
            for ev in evs:
                key = (ev.workspace_id, ev.message_id)
                if key in self.seen or key in stored or key in seen_now:
                    continue
                seen_now.add(key)
                keep.append(ev)
            fresh.append(keep)
        return fresh


async def fire_timers(pipeline: Pipeline, rows: list[dict[str, Any]]) -> int:
    """Evaluate due timers in the writer: claim each, decide, commit; returns how many fired."""
    rules = pipeline.rules
    if rules is None or not rows:
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

    return await pipeline.run_unit(body, effects)
