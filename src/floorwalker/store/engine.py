"""Creating the async engine for SQLite (embedded default) or PostgreSQL."""

from __future__ import annotations

import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine


def is_sqlite(url: str) -> bool:
    """True when ``url`` names an SQLite database."""
    return url.startswith("sqlite")


class _SqliteConnection(aiosqlite.Connection):
    """aiosqlite's connection, which may be stopped twice.

    SQLAlchemy ends a connection whose query was cancelled with a shielded ``close()``
    and, when waiting for that is cancelled too, a forced ``stop()``. ``close()`` then
    ends with a ``stop()`` of its own; the worker thread has left on the first one, so
    nobody answers the second and the shielded task never ends: an event loop that
    shuts down (a server stopping, a test client closing) waits for it forever.
    """

    def stop(self) -> Any:
        """Stop the worker thread; a second call does nothing (its thread is gone)."""
        if not self._running:
            return None
        return super().stop()


def _sqlite_creator(url: str) -> Any:
    """Open the SQLite file of ``url`` as ``aiosqlite.connect`` would, with our class."""
    database = make_url(url).database or ":memory:"

    async def connect() -> aiosqlite.Connection:
        conn = _SqliteConnection(
            lambda: sqlite3.connect(database, timeout=30, check_same_thread=False), 64)
        conn._thread.daemon = True  # as SQLAlchemy does: never keeps the process alive
        return await conn

    return connect


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An engine with the pragmas and pool each database wants."""
    if is_sqlite(url):
        engine = create_async_engine(url, async_creator=_sqlite_creator(url))

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets readers (admin API) run while the pipeline writes; NORMAL sync is
            # durable across process crashes, which is what an acknowledgement promises.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_pre_ping=True)


def sync_url(url: str) -> str:
    """The URL alembic's offline tooling would use (kept for documentation)."""
    return url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
