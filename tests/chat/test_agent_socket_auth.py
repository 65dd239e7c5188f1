"""Scripts on ``/ws/agent`` (security review 9, 5.3): the admin token never travels in
the URL (where access logs keep it), the socket's name and author come from the token,
and query-string secrets are redacted in the server's logs."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import delete
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import api_tokens
from tests.conftest import Tenant, make_tenant


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """alice's workspace, with its admin token."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    """The app; open sockets re-check their token every second."""
    with TestClient(create_app(settings.with_overrides(
            timers_enabled=False, ws_session_check_seconds=1.0,
            ws_heartbeat_seconds=2))) as client:
        yield client


def close_of(ws: Any) -> WebSocketDisconnect:
    """Read until the server closes the socket; the close (code and reason)."""
    with pytest.raises(WebSocketDisconnect) as caught:  # noqa: PT012
        for _ in range(50):
            ws.receive_json()
    return caught.value


def test_a_token_in_the_url_is_refused(app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect(f"/ws/agent?v=1&token={tenant.token}") as ws:
        end = close_of(ws)
    assert end.code == 4400
    assert "Authorization header" in end.reason


def test_the_client_cannot_choose_its_agent_or_name(app: TestClient, tenant: Tenant) -> None:
    for query in ("agent_id=ag_someone", "name=The+Boss", "agent_id=ag_x&name=X"):
        with app.websocket_connect(f"/ws/agent?v=1&{query}", headers=tenant.bearer()) as ws:
            end = close_of(ws)
        assert (end.code, end.reason) == (4400,
                                          "agent_id and name come from the session or token")


def test_the_token_in_a_header_or_the_subprotocol(app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect("/ws/agent?v=1", headers=tenant.bearer()) as ws:
        welcome = ws.receive_json()
    assert welcome["type"] == "welcome"
    assert (welcome["account_id"], welcome["agent_id"]) == (None, None)
    # A browser cannot set headers on a WebSocket: it offers the token as a subprotocol,
    # and the answer is the protocol's name, never the token.
    with app.websocket_connect("/ws/agent?v=1",
                               subprotocols=["floorwalker", f"bearer.{tenant.token}"]) as ws:
        assert ws.receive_json()["type"] == "welcome"
        assert ws.accepted_subprotocol == "floorwalker"
    for bad in ({"headers": {"Authorization": "Bearer fw_adm_made_up"}},
                {"subprotocols": ["floorwalker", "bearer.fw_adm_made_up"]}, {}):
        with pytest.raises(WebSocketDisconnect) as refused, \
                app.websocket_connect("/ws/agent?v=1", **bad) as ws:
            ws.receive_json()
        assert refused.value.code == 4401


def test_a_socket_closes_once_its_token_is_gone(app: TestClient, tenant: Tenant,
                                               database_url: str) -> None:
    async def revoke() -> None:
        engine = make_engine(database_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(delete(api_tokens).where(
                    api_tokens.c.workspace_id == tenant.workspace_id))
        finally:
            await engine.dispose()

    with app.websocket_connect("/ws/agent?v=1", headers=tenant.bearer()) as ws:
        assert ws.receive_json()["type"] == "welcome"
        asyncio.run(revoke())
        end = close_of(ws)
    assert (end.code, end.reason) == (4401, "the admin token is no longer valid")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def uvicorn_base(settings: Settings, tenant: Tenant) -> Iterator[str]:
    """The app behind a real uvicorn, its access log on."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings.with_overrides(timers_enabled=False)), host="127.0.0.1",
        port=port, log_config=None, access_log=True, ws="websockets-sansio",
        log_level="info"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_secrets_in_query_strings_stay_out_of_the_logs(uvicorn_base: str, tenant: Tenant,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # An old script still puts the token in the URL: refused, and not logged either.
    with connect(f"ws://{uvicorn_base}/ws/agent?v=1&token={tenant.token}") as ws, \
            pytest.raises(ConnectionClosed) as refused:
        ws.recv(timeout=10)
    assert refused.value.rcvd is not None and refused.value.rcvd.code == 4400
    r = httpx.get(f"http://{uvicorn_base}/api/visitors",
                  params={"token": tenant.token, "password": "hunter2-hunter2", "limit": "1"},
                  headers=tenant.bearer(), timeout=10)
    assert r.status_code == 200, r.text
    # What the server wrote (the test's own HTTP client logs its URL too).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.startswith(("uvicorn", "floorwalker")))
    assert "/ws/agent?v=1&token=[redacted]" in logged
    assert "password=[redacted]" in logged and "limit=1" in logged
    assert tenant.token not in logged
    assert "hunter2" not in logged
