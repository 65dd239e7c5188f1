"""The SQLite writer: its own connection and thread, writes held until the commit.

These run on a real SQLite file only: on PostgreSQL the pipeline uses the async engine.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.store.sqlite_writer import CHECKPOINT_EVERY_SECONDS
from tests.conftest import Server, Tenant, make_tenant
from tests.helpers import call, profile, send, timeline

PRAGMAS = ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    """A migrated SQLite file of this test's own."""
    target = tmp_path / "floorwalker.db"
    shutil.copy(sqlite_template, target)
    return target


def _size(path: Path) -> int:
    return path.stat().st_size


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def acme(sqlite_file: Path) -> Tenant:
    """The "acme" workspace in the SQLite file."""
    return await make_tenant(_url(sqlite_file), "acme")


@pytest.fixture
async def server(sqlite_file: Path, acme: Tenant) -> AsyncIterator[Server]:
    """The app on the SQLite file."""
    settings = Settings(database_url=_url(sqlite_file), rate_limit_per_ip=0,
                        rate_limit_per_key=0, log_json=False)
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield Server(app, c, settings)


async def _pragmas_of_the_app(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return {p: (await conn.execute(text(f"PRAGMA {p}"))).scalar() for p in PRAGMAS}
    finally:
        await engine.dispose()


async def test_the_writer_connection_has_the_app_pragmas_and_leaves_checkpoints(
        server: Server, sqlite_file: Path, acme: Tenant) -> None:
    await send(server.client, acme, call("track", event="viewed"))
    writer = server.services.pipeline._sqlite
    assert writer is not None, "an SQLite file gets the writer thread"
    mine = {p: (await writer.execute(text(f"PRAGMA {p}"))).scalar() for p in PRAGMAS}
    await writer.end(commit=False)
    assert mine == await _pragmas_of_the_app(_url(sqlite_file))
    assert (await writer.execute(text("PRAGMA wal_autocheckpoint"))).scalar() == 0
    await writer.end(commit=False)


async def test_the_wal_is_checkpointed_in_the_background(server: Server, sqlite_file: Path,
                                                         acme: Tenant) -> None:
    wal = Path(f"{sqlite_file}-wal")
    for i in range(24):  # about 1.5 s of traffic: several checkpoint periods
        calls = [call("page", anon=f"v{i}-{j}",
                      properties={"url": "https://acme.example/" + "x" * 2000})
                 for j in range(40)]
        await send(server.client, acme, *calls)
        await asyncio.sleep(CHECKPOINT_EVERY_SECONDS / 4)
    wal_bytes, db_bytes = _size(wal), _size(sqlite_file)
    # Without checkpoints the WAL holds every page written since the start (the writer
    # never checkpoints and nothing else commits here: 13 MB, the file 0.3 MB); with
    # them it is reused (2 MB, the file 9 MB).
    assert wal_bytes < db_bytes / 2, (wal_bytes, db_bytes)
    assert len(await timeline(server.client, acme, "v23-39")) == 1


async def test_a_write_that_fails_at_commit_fails_only_its_own_request(
        server: Server, sqlite_file: Path, acme: Tenant) -> None:
    # A real constraint inside SQLite: inserting an event named "boom" aborts.
    with sqlite3.connect(sqlite_file) as db:
        db.execute("CREATE TRIGGER no_boom BEFORE INSERT ON events WHEN NEW.name = 'boom' "
                   "BEGIN SELECT RAISE(ABORT, 'boom refused'); END")
    client = server.client
    await send(client, acme, call("track", anon="unlucky", event="viewed"))
    good = [call("track", anon=f"good-{i}", event="viewed") for i in range(8)]
    bad = call("track", anon="unlucky", event="boom")

    async def post(item: dict[str, Any]) -> int:
        r = await client.post("/v1/batch", headers=acme.basic(), json={"batch": [item]})
        return r.status_code

    statuses = await asyncio.gather(*(post(c) for c in [*good[:4], bad, *good[4:]]))
    assert statuses == [200] * 4 + [503] + [200] * 4
    for i in range(8):
        assert [e["name"] for e in await timeline(client, acme, f"good-{i}")] == ["viewed"]
    # Nothing of the refused request stayed, not even in the writer's cached profile.
    assert (await profile(client, acme, "unlucky"))["event_count"] == 1
    await send(client, acme, call("track", anon="unlucky", event="viewed"))
    assert (await profile(client, acme, "unlucky"))["event_count"] == 2
    assert [e["name"] for e in await timeline(client, acme, "unlucky")] == ["viewed"] * 2


async def test_concurrent_resends_are_stored_once(server: Server, acme: Tenant) -> None:
    items = [call("track", anon=f"r{i % 5}", event="added", properties={"n": i})
             for i in range(20)]

    async def post(item: dict[str, Any]) -> dict[str, Any]:
        return await send(server.client, acme, item)

    answers = await asyncio.gather(*(post(i) for i in items + [dict(i) for i in items]))
    assert sum(a["accepted"] for a in answers) == 20
    assert sum(a["duplicates"] for a in answers) == 20
    for v in range(5):
        stored = await timeline(server.client, acme, f"r{v}")
        assert sorted(e["properties"]["n"] for e in stored) == list(range(v, 20, 5))
        assert (await profile(server.client, acme, f"r{v}"))["event_count"] == 4
