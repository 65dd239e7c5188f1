"""Security review, issue 9 §5: what one browser may do on ``/ws/visitor``.

Each test performs the attack the review reproduced and checks what the attacker (and the
real visitor) now see.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant

ANN = "ann@shop.example"


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """alice's workspace, created before the app starts."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    """The app in a test client, with a personalised pop-up scenario."""
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        r = client.post("/api/scenarios", headers=tenant.bearer(), json={
            "key": "vip", "name": "VIP", "trigger": {"event": "vip_moment"},
            "needs_agent": False, "caps": {"per_session": None},
            "action": {"type": "popup", "text": {"en": "{{ visitor.first_name }}, 15% off"}}})
        assert r.status_code == 201, r.text
        client.patch("/api/workspace/settings", headers=tenant.bearer(),
                     json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        yield client


def visitor_url(t: Tenant, anon: str) -> str:
    return f"/ws/visitor?v=1&writeKey={t.write_key}&anonymousId={quote(anon)}"


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of ``kind`` (frames of other kinds are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def test_a_user_id_as_anonymous_id_reaches_nothing_of_that_person(
        app: TestClient, tenant: Tenant) -> None:
    r = app.post("/v1/identify", headers=tenant.server(), json={
        "userId": ANN, "anonymousId": "ann-browser", "traits": {"name": "Ann Lee"}})
    assert r.status_code == 200, r.text
    app.post("/v1/track", headers=tenant.server(),
             json={"userId": ANN, "anonymousId": "ann-browser", "event": "vip_moment"})
    with app.websocket_connect(visitor_url(tenant, "ann-browser")) as ann:
        ann.receive_json()
        ann.send_json({"type": "message", "client_id": "a1", "text": "where is my order?"})
        ann_conv = until(ann, "ack")["conversation_id"]
    ann_id = app.get(f"/api/visitors/{ANN}", headers=tenant.bearer()).json()["visitor_id"]
    [offer] = app.get("/api/decisions", params={"visitor": ann_id},
                      headers=tenant.bearer()).json()
    for stolen in (ANN, ann_id):
        with app.websocket_connect(visitor_url(tenant, stolen)) as attacker:
            assert attacker.receive_json()["conversations"] == []
            attacker.send_json({"type": "decision_response", "decision_id": offer["id"],
                                "response": "dismissed"})
            attacker.send_json({"type": "ping"})  # so that a regression fails, not hangs
            assert attacker.receive_json()["code"] == "not_found"
            assert attacker.receive_json()["type"] == "pong"
            attacker.send_json({"type": "resume", "conversations": {ann_conv: 0}})
            assert until(attacker, "error")["code"] == "not_found"
            attacker.send_json({"type": "message", "client_id": "x", "text": "hi"})
            own = until(attacker, "ack")["conversation_id"]
            assert own != ann_conv
        conv = app.get(f"/api/conversations/{own}", headers=tenant.bearer()).json()
        assert conv["conversation"]["visitor_id"] != ann_id
    [still] = app.get("/api/decisions", params={"visitor": ann_id},
                      headers=tenant.bearer()).json()
    assert still["response"] is None
    # Ann's browser still gets her offer.
    r = app.get("/v1/decisions", params={"anonymousId": "ann-browser"}, headers=tenant.basic())
    assert [d["text"] for d in r.json()["decisions"]] == ["Ann, 15% off"]


def _messages(app: TestClient, t: Tenant, conv_id: str) -> list[str]:
    r = app.get(f"/api/conversations/{conv_id}", headers=t.bearer())
    assert r.status_code == 200, r.text
    return [m["text"] for m in r.json()["messages"] if m["author"] == "visitor"]


def test_sixty_messages_without_a_conversation_id_make_one_conversation(
        app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "flood")) as ws:
        ws.receive_json()
        for i in range(60):
            ws.send_json({"type": "message", "client_id": f"m{i}", "text": f"spam {i}"})
        convs = {until(ws, "ack")["conversation_id"] for _ in range(60)}
    assert len(convs) == 1
    [conv_id] = convs
    assert len(_messages(app, tenant, conv_id)) == 60
    queued = app.get("/api/conversations", params={"view": "all"}, headers=tenant.bearer())
    assert [c["id"] for c in queued.json()["conversations"]] == [conv_id]


def test_new_conversations_per_visitor_are_capped(app: TestClient, tenant: Tenant) -> None:
    started: list[str] = []
    with app.websocket_connect(visitor_url(tenant, "again")) as ws:
        ws.receive_json()
        for i in range(5):  # the default: 5 an hour
            ws.send_json({"type": "message", "client_id": f"c{i}", "text": "hello"})
            conv_id = until(ws, "ack")["conversation_id"]
            started.append(conv_id)
            # Only an agent closing it lets the next message start a new one.
            r = app.post(f"/api/conversations/{conv_id}/close", headers=tenant.bearer())
            assert r.status_code == 200, r.text
        ws.send_json({"type": "message", "client_id": "c5", "text": "hello"})
        refused = until(ws, "error")
        assert (refused["code"], refused["client_id"]) == ("too_many_conversations", "c5")
        assert "5 new conversations an hour" in refused["message"]
        # A message to an existing conversation still goes through (it reopens it).
        ws.send_json({"type": "message", "client_id": "c6", "text": "one more thing",
                      "conversation_id": started[-1]})
        assert until(ws, "ack")["conversation_id"] == started[-1]
    assert len(set(started)) == 5
    timeline = app.get("/api/visitors/again/events", params={"limit": 1000},
                       headers=tenant.bearer()).json()["events"]
    assert [e["name"] for e in timeline].count("chat_started") == 5


def test_two_visitors_with_the_same_client_id_both_get_their_message_stored(
        app: TestClient, tenant: Tenant) -> None:
    acks = {}
    for anon in ("first", "second"):
        with app.websocket_connect(visitor_url(tenant, anon)) as ws:
            ws.receive_json()
            ws.send_json({"type": "message", "client_id": "1", "text": f"I am {anon}"})
            acks[anon] = until(ws, "ack")
            # A resend is still recognised, within the visitor's own conversations.
            ws.send_json({"type": "message", "client_id": "1", "text": f"I am {anon}"})
            assert until(ws, "ack") == acks[anon]
    assert acks["first"]["conversation_id"] != acks["second"]["conversation_id"]
    for anon, ack in acks.items():
        assert _messages(app, tenant, ack["conversation_id"]) == [f"I am {anon}"]


def test_sockets_per_visitor_and_per_address_are_limited(
        settings: Settings, tenant: Tenant) -> None:
    from contextlib import ExitStack

    from starlette.websockets import WebSocketDisconnect
    few = settings.with_overrides(timers_enabled=False, ws_max_sockets_per_address=12)
    with TestClient(create_app(few)) as client, ExitStack() as tabs:
        for _ in range(10):  # ten tabs of one visitor: the default allows them
            ws = tabs.enter_context(client.websocket_connect(visitor_url(tenant, "tabs")))
            assert ws.receive_json()["type"] == "welcome"
        with client.websocket_connect(visitor_url(tenant, "tabs")) as ws, \
                pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (
            4429, "too many connections for this visitor")
        for _ in range(2):
            ws = tabs.enter_context(client.websocket_connect(visitor_url(tenant, "other")))
            assert ws.receive_json()["type"] == "welcome"
        with client.websocket_connect(visitor_url(tenant, "third")) as ws, \
                pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (
            4429, "too many connections from this address")
        tabs.close()  # the tabs close: the visitor may connect again
        with client.websocket_connect(visitor_url(tenant, "tabs")) as ws:
            assert ws.receive_json()["type"] == "welcome"


def test_two_tabs_writing_at_once_share_one_conversation(app: TestClient,
                                                         tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "two-tabs")) as one, \
            app.websocket_connect(visitor_url(tenant, "two-tabs")) as two:
        one.receive_json()
        two.receive_json()
        for i in range(5):
            one.send_json({"type": "message", "client_id": f"one-{i}", "text": "from one"})
            two.send_json({"type": "message", "client_id": f"two-{i}", "text": "from two"})
        convs = {until(ws, "ack")["conversation_id"] for ws in (one, two) for _ in range(5)}
    assert len(convs) == 1
    [conv_id] = convs
    assert sorted(_messages(app, tenant, conv_id)) == ["from one"] * 5 + ["from two"] * 5
