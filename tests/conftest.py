"""Shared fixtures: every API test runs on SQLite and on PostgreSQL.

PostgreSQL is required (CI starts it); set FLOORWALKER_TEST_PG_URL to point elsewhere.
Named people make permission tests read like sentences: alice owns the "acme" workspace,
bob is her teammate (a second token of acme), charlie owns "rival", an outsider.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.store.base import metadata
from floorwalker.store.engine import make_engine
from floorwalker.store.migrate import upgrade
from floorwalker.tenancy import service

PG_URL = os.environ.get("FLOORWALKER_TEST_PG_URL",
                        "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


def _pg_parts(url: str) -> tuple[str, str]:
    base, _, _db = url.rpartition("/")
    return base, _db


async def _pg_admin(sql: str) -> None:
    import asyncpg
    base, db = _pg_parts(PG_URL)
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/" + db)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session."""
    name = f"fw_test_{os.getpid()}"
    try:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}"'))
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except OSError as exc:  # PostgreSQL is required, never skipped
        raise RuntimeError(f"PostgreSQL is required for the tests ({PG_URL}): {exc}") from exc
    url = _pg_parts(PG_URL)[0] + "/" + name
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated once, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A clean, migrated database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "floorwalker.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite+aiosqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)

    async def truncate() -> None:
        await _pg_admin_on(url, f"TRUNCATE {tables} RESTART IDENTITY CASCADE")

    asyncio.run(truncate())
    return url


async def _pg_admin_on(url: str, sql: str) -> None:
    import asyncpg
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings: generous rate limits unless a test asks otherwise."""
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False)


@dataclass
class Tenant:
    """A workspace with one site and an admin token, as its owner sees it."""

    slug: str
    workspace_id: str
    site_id: str
    write_key: str
    server_key: str
    identity_secret: str
    token: str

    def basic(self, key: str | None = None) -> dict[str, str]:
        """HTTP Basic header with the write key (or ``key``)."""
        raw = base64.b64encode(f"{key or self.write_key}:".encode()).decode()
        return {"Authorization": f"Basic {raw}"}

    def server(self) -> dict[str, str]:
        """HTTP Basic header with the server key (trusted calls)."""
        return self.basic(self.server_key)

    def bearer(self, token: str | None = None) -> dict[str, str]:
        """Bearer header with the admin token."""
        return {"Authorization": f"Bearer {token or self.token}"}


async def make_tenant(url: str, slug: str) -> Tenant:
    """Create a workspace, a site and an admin token directly in the database."""
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            ws = await service.create_workspace(conn, slug, slug.title())
            site = await service.create_site(conn, ws.id, f"{slug} shop", f"{slug}.example")
            token = await service.create_token(conn, ws.id, f"{slug} owner")
    finally:
        await engine.dispose()
    assert site.server_key
    return Tenant(slug, ws.id, site.id, site.write_key, site.server_key, site.identity_secret,
                  token)


class Server:
    """The app running in-process with an HTTP client."""

    def __init__(self, app: Any, client: httpx.AsyncClient, settings: Settings) -> None:
        self.app = app
        self.client = client
        self.settings = settings

    @property
    def services(self) -> Any:
        """The app's services (pipeline, directory...)."""
        return self.app.state.services


@pytest.fixture
async def server(settings: Settings) -> AsyncIterator[Server]:
    """The app with its lifespan running, and an httpx client to it."""
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield Server(app, c, settings)


@pytest.fixture
async def client(server: Server) -> httpx.AsyncClient:
    """HTTP client to the running app."""
    return server.client


@pytest.fixture
async def alice(database_url: str) -> Tenant:
    """Owner of the "acme" workspace."""
    return await make_tenant(database_url, "acme")


@pytest.fixture
async def charlie(database_url: str) -> Tenant:
    """Owner of the "rival" workspace: an outsider to acme."""
    return await make_tenant(database_url, "rival")
