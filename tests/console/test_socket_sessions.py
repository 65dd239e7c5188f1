"""An open console socket lives only as long as its session (security review 9, 5.1):
logout, disabling the account, a password or role change close it, and it re-checks its
session on its own every ``FLOORWALKER_WS_SESSION_CHECK_SECONDS``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import time_machine
from sqlalchemy import update
from starlette.websockets import WebSocketDisconnect

from floorwalker.accounts import actions
from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import accounts
from tests.console.conftest import PASSWORD, Desk, Person, until


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Sockets check their session every second (a nudge closes them at once); a silent
    one closes after 6 s, so one that wrongly stays open fails instead of hanging."""
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, ws_session_check_seconds=1.0, ws_heartbeat_seconds=2)


def closed(ws: Any) -> WebSocketDisconnect:
    """Read until the server closes the socket; the close (code and reason)."""
    with pytest.raises(WebSocketDisconnect) as caught:  # noqa: PT012
        for _ in range(200):
            ws.receive_json()
    return caught.value


def still_open(ws: Any) -> None:
    """The socket answers a ping."""
    ws.send_json({"type": "ping"})
    until(ws, "pong")


def second_session(desk: Desk, who: Person) -> Person:
    """The same account logged in from another browser."""
    r = desk.client.post("/api/auth/login", json={
        "workspace": "acme", "email": who.account["email"], "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = desk.client.cookies.get("fw_session")
    desk.client.cookies.clear()
    assert cookie
    return Person(desk.client, cookie, r.json()["csrf_token"], r.json()["account"])


def change_role(database_url: str, account_id: str, role: str) -> None:
    async def run() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(update(accounts).where(accounts.c.id == account_id)
                                   .values(role=role))
        finally:
            await engine.dispose()
    asyncio.run(run())


def test_a_disabled_agent_s_open_tab_is_closed(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        r = desk.alice.post(f"/api/auth/accounts/{desk.sam.account['id']}/disable")
        assert r.status_code == 200, r.text
        # Before the fix the tab went on receiving every visitor message.
        visitor = desk.visitor("v1")
        assert visitor.receive_json()["type"] == "welcome"
        end = closed(sam)
    assert (end.code, end.reason) == (4401, "account disabled")
    with pytest.raises(WebSocketDisconnect) as again, desk.sam.socket() as ws:
        ws.receive_json()
    assert again.value.code == 4401


def test_logging_out_closes_that_session_s_sockets_only(desk: Desk) -> None:
    other = second_session(desk, desk.sam)
    with desk.sam.socket() as here, other.socket() as there:
        assert here.receive_json()["type"] == "welcome"
        assert there.receive_json()["type"] == "welcome"
        assert desk.sam.post("/api/auth/logout").status_code == 200
        end = closed(here)
        still_open(there)
    assert (end.code, end.reason) == (4401, "logged out")


def test_a_password_change_closes_the_other_sessions_sockets(desk: Desk) -> None:
    other = second_session(desk, desk.sam)
    with desk.sam.socket() as here, other.socket() as there:
        assert here.receive_json()["type"] == "welcome"
        assert there.receive_json()["type"] == "welcome"
        r = desk.sam.post("/api/auth/password", {"current": PASSWORD,
                                                 "new": "another-long-secret"})
        assert r.status_code == 200, r.text
        end = closed(there)
        still_open(here)  # the session that changed it goes on
    assert (end.code, end.reason) == (4401, "password changed; log in again")


def test_an_open_socket_notices_its_session_expired(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        with time_machine.travel(time.time() + actions.SESSION_IDLE_SECONDS + 60):
            end = closed(sam)
    assert (end.code, end.reason) == (4401, "session ended; log in again")


def test_a_role_change_closes_the_socket(desk: Desk, database_url: str) -> None:
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        change_role(database_url, desk.sam.account["id"], "admin")
        end = closed(sam)
    assert (end.code, end.reason) == (4403, "role changed; reconnect")
    with desk.sam.socket() as sam:  # the session is still good: reconnecting works
        assert sam.receive_json()["type"] == "welcome"
