"""The app with the accounts router, and people who log in to it.

alice owns acme (an admin account), bob is her teammate (an agent alice invited),
charlie owns rival (an admin account): an outsider to acme.
Each person has their own HTTP client, hence their own cookie jar.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from floorwalker.accounts import actions
from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from tests.conftest import Tenant


def console_app(settings: Settings) -> FastAPI:
    """The app (it includes the accounts router)."""
    return create_app(settings)


@dataclass
class Console:
    """The running app; ``browser()`` opens a fresh client with its own cookie jar."""

    app: FastAPI
    settings: Settings
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self, base_url: str = "http://testserver") -> httpx.AsyncClient:
        """A new browser (empty cookie jar)."""
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                   base_url=base_url)
        self.clients.append(client)
        return client


@pytest.fixture
async def console(settings: Settings) -> AsyncIterator[Console]:
    """The app with its lifespan running."""
    app = console_app(settings)
    async with LifespanManager(app):
        c = Console(app, settings)
        try:
            yield c
        finally:
            for client in c.clients:
                await client.aclose()


@dataclass
class Person:
    """Someone with an account, a browser, and (once logged in) a CSRF token."""

    email: str
    password: str
    workspace: str
    browser: httpx.AsyncClient
    account: dict[str, Any] = field(default_factory=dict)
    csrf: str = ""

    def csrf_header(self) -> dict[str, str]:
        """The header unsafe requests must carry."""
        return {"X-CSRF-Token": self.csrf}

    async def login(self, password: str | None = None) -> httpx.Response:
        """POST /api/auth/login; remembers the CSRF token on success."""
        r = await self.browser.post("/api/auth/login", json={
            "workspace": self.workspace, "email": self.email,
            "password": password or self.password})
        if r.status_code == 200:
            self.account, self.csrf = r.json()["account"], r.json()["csrf_token"]
        return r

    async def accept(self, link: str) -> httpx.Response:
        """Accept an invitation link with this person's password (logs in)."""
        token = link.split("token=", 1)[1]
        r = await self.browser.post("/api/auth/accept",
                                    json={"token": token, "password": self.password})
        if r.status_code == 200:
            self.account, self.csrf = r.json()["account"], r.json()["csrf_token"]
        return r


async def invite_directly(database_url: str, tenant: Tenant, email: str, name: str,
                          role: str) -> str:
    """Invite through ``actions.invite`` as the CLI will (the first admin of a workspace)."""
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            _account, link = await actions.invite(conn, tenant.workspace_id, email, name, role)
    finally:
        await engine.dispose()
    return link


@pytest.fixture
async def alice_admin(console: Console, alice: Tenant, database_url: str) -> Person:
    """alice, admin of acme, logged in."""
    person = Person("alice@acme.example", "alice-long-secret", "acme", console.browser())
    link = await invite_directly(database_url, alice, person.email, "Alice", "admin")
    assert (await person.accept(link)).status_code == 200
    return person


@pytest.fixture
async def bob_agent(console: Console, alice_admin: Person) -> Person:
    """bob, an agent of acme invited by alice, logged in."""
    person = Person("bob@acme.example", "bob-long-secret!", "acme", console.browser())
    r = await alice_admin.browser.post(
        "/api/auth/invitations", headers=alice_admin.csrf_header(),
        json={"email": person.email, "name": "Bob", "role": "agent",
              "departments": ["sales"]})
    assert r.status_code == 201, r.text
    assert (await person.accept(r.json()["link"])).status_code == 200
    return person


@pytest.fixture
async def charlie_admin(console: Console, charlie: Tenant, database_url: str) -> Person:
    """charlie, admin of rival, logged in."""
    person = Person("charlie@rival.example", "charlie-long-secret", "rival", console.browser())
    link = await invite_directly(database_url, charlie, person.email, "Charlie", "admin")
    assert (await person.accept(link)).status_code == 200
    return person
