"""``account_for_socket``: the console's WebSocket knows who is logged in."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator

import pytest
from fastapi import WebSocket
from starlette.websockets import WebSocketDisconnect

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.auth.sessions import account_for_socket
from floorwalker.config import Settings
from floorwalker.services import services
from tests.accounts.conftest import console_app, invite_directly
from tests.conftest import Tenant, make_tenant


@pytest.fixture
def browser(settings: Settings, database_url: str) -> Iterator[TestClient]:
    """The app plus a socket that says who it is talking to, and alice's invitation."""
    tenant: Tenant = asyncio.run(make_tenant(database_url, "acme"))
    link = asyncio.run(invite_directly(database_url, tenant, "alice@acme.example", "Alice",
                                       "admin"))
    app = console_app(settings.with_overrides(timers_enabled=False))

    @app.websocket("/ws/whoami")
    async def whoami(ws: WebSocket) -> None:
        account = await account_for_socket(services(ws), ws)
        if account is None:
            await ws.close(4401, "log in first")
            return
        await ws.accept()
        await ws.send_json({"email": account.email, "role": account.role})
        await ws.close()

    with TestClient(app) as client:
        r = client.post("/api/auth/accept", json={"token": link.split("token=")[1],
                                                  "password": "alice-long-secret"})
        assert r.status_code == 200, r.text
        yield client


def test_a_logged_in_console_is_recognised(browser: TestClient) -> None:
    with browser.websocket_connect("/ws/whoami") as ws:
        assert ws.receive_json() == {"email": "alice@acme.example", "role": "admin"}


def test_no_session_no_socket(browser: TestClient) -> None:
    browser.cookies.clear()
    with pytest.raises(WebSocketDisconnect) as closed, browser.websocket_connect("/ws/whoami"):
        pass
    assert closed.value.code == 4401


def test_another_origin_cannot_ride_the_cookie(browser: TestClient) -> None:
    evil = {"Origin": "https://evil.example"}
    with pytest.raises(WebSocketDisconnect) as closed, \
            browser.websocket_connect("/ws/whoami", headers=evil):
        pass
    assert closed.value.code == 4401
    with browser.websocket_connect("/ws/whoami",
                                   headers={"Origin": "http://testserver"}) as ws:
        assert ws.receive_json()["email"] == "alice@acme.example"


def test_the_console_socket_takes_the_session(browser: TestClient) -> None:
    """/ws/agent needs no token for a logged-in person; their name signs the answers."""
    with browser.websocket_connect("/ws/agent?v=1") as agent:
        assert agent.receive_json()["type"] == "welcome"
    browser.cookies.clear()
    with pytest.raises(WebSocketDisconnect) as closed, browser.websocket_connect("/ws/agent?v=1"):
        pass
    assert closed.value.code == 4401
