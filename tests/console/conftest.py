"""A desk of people at acme (alice the admin, sam and bea the agents) and charlie at rival,
all logged in to the same running app; visitors on acme's site.

One Starlette TestClient runs the app; each person sends their own session cookie and
CSRF token, so their requests and sockets are theirs alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.accounts.conftest import invite_directly
from tests.conftest import Tenant, make_tenant

PASSWORD = "a-long-enough-secret"


@dataclass
class Person:
    """A logged-in account: its cookie, CSRF token and account document."""

    client: TestClient
    cookie: str
    csrf: str
    account: dict[str, Any]

    def headers(self) -> dict[str, str]:
        """Headers of this person's browser."""
        return {"Cookie": f"fw_session={self.cookie}", "X-CSRF-Token": self.csrf}

    def get(self, path: str, **kw: Any) -> Any:
        """GET as this person."""
        return self.client.get(path, headers=self.headers(), **kw)

    def post(self, path: str, json: Any = None) -> Any:
        """POST as this person."""
        return self.client.post(path, headers=self.headers(), json=json)

    def put(self, path: str, json: Any = None) -> Any:
        """PUT as this person."""
        return self.client.put(path, headers=self.headers(), json=json)

    def delete(self, path: str) -> Any:
        """DELETE as this person."""
        return self.client.delete(path, headers=self.headers())

    def socket(self) -> Any:
        """This person's console socket (same origin, their cookie)."""
        return self.client.websocket_connect("/ws/agent?v=1", headers={
            "Cookie": f"fw_session={self.cookie}", "Origin": "http://testserver"})


@dataclass
class Desk:
    """The running app and the people in it."""

    client: TestClient
    acme: Tenant
    rival: Tenant
    alice: Person
    sam: Person
    bea: Person
    charlie: Person
    opened: list[Any]

    def track(self, anon: str, event: str, **props: Any) -> None:
        """A browser event on acme's site."""
        r = self.client.post("/v1/track", headers=self.acme.basic(), json={
            "anonymousId": anon, "event": event, "properties": props})
        assert r.status_code == 200, r.text

    def identify(self, anon: str, **traits: Any) -> None:
        """Traits for a browser (trusted: the server key)."""
        r = self.client.post("/v1/identify", headers=self.acme.server(), json={
            "anonymousId": anon, "traits": traits})
        assert r.status_code == 200, r.text

    def visitor(self, anon: str) -> Any:
        """A visitor's widget socket, open until the test ends."""
        cm = self.client.websocket_connect(
            f"/ws/visitor?v=1&writeKey={self.acme.write_key}&anonymousId={anon}")
        ws = cm.__enter__()
        self.opened.append(cm)
        return ws


def _login(client: TestClient, link: str) -> Person:
    r = client.post("/api/auth/accept", json={"token": link.split("token=")[1],
                                              "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = client.cookies.get("fw_session")
    client.cookies.clear()
    assert cookie
    return Person(client, cookie, r.json()["csrf_token"], r.json()["account"])


def until(ws: Any, kind: str, limit: int = 30, **match: Any) -> dict[str, Any]:
    """The next frame of ``kind`` whose fields match (others are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind and all(frame.get(k) == v for k, v in match.items()):
            return frame
    raise AssertionError(f"no {kind} frame")


@pytest.fixture
def desk(settings: Settings, database_url: str) -> Iterator[Desk]:
    """acme with departments sales and billing, segments vip and big_cart, a scenario that
    invites to sales on `need_help`; sam (sales, 2 chats) and bea (billing, sales)."""
    acme = asyncio.run(make_tenant(database_url, "acme"))
    rival = asyncio.run(make_tenant(database_url, "rival"))
    links = {who: asyncio.run(invite_directly(database_url, tenant, f"{who}@x.example",
                                              who.title(), "admin"))
             for who, tenant in (("alice", acme), ("charlie", rival))}
    app = create_app(settings.with_overrides(timers_enabled=False))
    with TestClient(app) as client:
        alice, charlie = _login(client, links["alice"]), _login(client, links["charlie"])
        for key, name in (("sales", "Sales"), ("billing", "Billing")):
            assert alice.post("/api/departments", {"key": key, "name": name}).status_code == 201
        agents = {}
        for who, depts, cap in (("sam", ["sales"], 2), ("bea", ["billing", "sales"], 3)):
            r = alice.post("/api/auth/invitations", {
                "email": f"{who}@acme.example", "name": who.title(), "role": "agent",
                "departments": depts, "max_chats": cap})
            assert r.status_code == 201, r.text
            agents[who] = _login(client, r.json()["link"])
        for seg in ({"key": "vip", "name": "VIP", "color": "#d4a017", "priority": 90,
                     "condition": {"path": "visitor.attributes.plan", "op": "eq",
                                   "value": "vip"}},
                    {"key": "big_cart", "name": "Big cart", "color": "#2457d6", "priority": 50,
                     "condition": {"path": "visitor.cart.value", "op": "gte",
                                   "value": 100}}):
            r = alice.post("/api/segments", seg)
            assert r.status_code == 201, r.text
        r = alice.post("/api/scenarios", {
            "key": "help", "name": "Help", "trigger": {"event": "need_help"},
            "department": "sales", "caps": {"per_session": None}, "needs_agent": False,
            "action": {"type": "chat_invitation", "agent_name": "Sam",
                       "text": {"en": "Can I help with {{ event.topic }}?"}}})
        assert r.status_code == 201, r.text
        alice.client.patch("/api/workspace/settings", headers=alice.headers(),
                           json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        desk = Desk(client, acme, rival, alice, agents["sam"], agents["bea"], charlie, [])
        try:
            yield desk
        finally:
            for cm in desk.opened:
                with contextlib.suppress(Exception):
                    cm.__exit__(None, None, None)
