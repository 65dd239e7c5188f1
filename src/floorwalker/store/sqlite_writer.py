"""The writer's own SQLite connection, on a thread of its own.

On an SQLite file the writer's statements go to this connection instead of through
aiosqlite: two hops to its thread per group commit instead of some twenty-five, and no
WAL checkpoint inside a commit (a second thread checkpoints, PASSIVE, in the background).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable
from functools import partial
from queue import SimpleQueue
from typing import Any, TypeVar, cast

import structlog
from sqlalchemy import Connection, Engine, Executable, Result, create_engine, event, make_url
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger("floorwalker.sqlite_writer")
T = TypeVar("T")

# How often, at most, the SQLite writer starts a background WAL checkpoint.
CHECKPOINT_EVERY_SECONDS = 0.25


_SQLITE = sqlite_dialect.dialect()


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


class SQLiteWriter:
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

    @property
    def dialect(self) -> Dialect:
        """SQLite's, as an AsyncConnection's ``dialect`` (statements built per dialect)."""
        return _SQLITE

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
