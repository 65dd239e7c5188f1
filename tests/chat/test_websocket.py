"""The real-time path: invitations as frames, conversations, acks, resume, identity."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.tenancy.keys import user_hash
from tests.conftest import Tenant, make_tenant


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """alice's workspace, created before the app starts."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    """The app in a test client (its own event loop), with a scenario and a free agent."""
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        auth = tenant.bearer()
        assert client.post("/api/departments", headers=auth,
                           json={"key": "sales", "name": "Sales"}).status_code == 201
        agent = client.post("/api/agents", headers=auth, json={
            "email": "sam@acme.example", "name": "Sam", "departments": ["sales"],
            "max_chats": 3}).json()
        client.put(f"/api/agents/{agent['id']}/presence", headers=auth,
                   json={"status": "online"})
        r = client.post("/api/scenarios", headers=auth, json={
            "key": "help", "name": "Help", "trigger": {"event": "need_help"},
            "department": "sales", "caps": {"per_session": None},
            "action": {"type": "chat_invitation", "agent_name": "Sam",
                       "text": {"en": "Hi, can I help with {{ event.topic }}?"}}})
        assert r.status_code == 201, r.text
        client.patch("/api/workspace/settings", headers=auth,
                     json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        yield client


def visitor_url(t: Tenant, anon: str, user: str | None = None, good: bool = True) -> str:
    url = f"/ws/visitor?v=1&writeKey={t.write_key}&anonymousId={anon}"
    if user:
        h = user_hash(t.identity_secret, user) if good else "00" * 32
        url += f"&userId={user}&userHash={h}"
    return url


def agent_socket(client: TestClient, t: Tenant) -> Any:
    """A script's agent socket: the workspace admin token in the Authorization header."""
    return client.websocket_connect("/ws/agent?v=1", headers=t.bearer())


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of ``kind`` (frames of other kinds are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def track(client: TestClient, t: Tenant, anon: str, event: str, **props: Any) -> None:
    r = client.post("/v1/track", headers=t.basic(),
                    json={"anonymousId": anon, "event": event, "properties": props})
    assert r.status_code == 200, r.text


def test_invitation_reply_and_agent_answer(app: TestClient, tenant: Tenant) -> None:
    track(app, tenant, "v1", "page_view")
    with agent_socket(app, tenant) as agent, \
            app.websocket_connect(visitor_url(tenant, "v1")) as visitor:
        assert visitor.receive_json()["type"] == "welcome"
        assert agent.receive_json()["type"] == "welcome"
        track(app, tenant, "v1", "need_help", topic="sizes")
        decision = until(visitor, "decision")["decision"]
        assert decision["text"] == "Hi, can I help with sizes?"
        assert decision["inline_reply"] is True
        # Delivered once: polling finds nothing more.
        r = app.get("/v1/decisions", params={"anonymousId": "v1"}, headers=tenant.basic())
        assert r.json()["decisions"] == []
        visitor.send_json({"type": "message", "client_id": "c1", "text": "Do you have 44?",
                           "decision_id": decision["id"]})
        conv = until(visitor, "conversation")["conversation"]
        ack = until(visitor, "ack")
        assert ack["client_id"] == "c1" and ack["conversation_id"] == conv["id"]
        assert ack["seq"] == 2  # the invitation is message 1: the agent sees the context
        started = until(agent, "conversation")["conversation"]
        assert started["scenario"] == "help" and started["department"] == "sales"
        first = until(agent, "message")
        second = until(agent, "message")
        assert (first["seq"], first["message"]["author"]) == (1, "system")
        assert (second["seq"], second["message"]["text"]) == (2, "Do you have 44?")
        agent.send_json({"type": "message", "client_id": "a1", "conversation_id": conv["id"],
                         "text": "Yes, in red and black."})
        seen = [until(visitor, "message") for _ in range(4)]
        # Routing gave it to the free sales agent, and the visitor is told someone is
        # coming: Sam has not opened it (a script's token answered), so no "Sam joined".
        assert [m["message"]["author"] for m in seen] == ["system", "visitor", "system", "agent"]
        assert seen[2]["message"]["notice"] == {"kind": "waiting", "position": 1}
        answer = seen[-1]
        assert answer["message"]["name"] == "acme owner"  # the token's name signs it
        assert answer["seq"] == 4
        agent.send_json({"type": "message", "client_id": "a2", "conversation_id": conv["id"],
                         "text": "note to self", "internal": True})
        acks = [until(agent, "ack") for _ in range(2)]
        assert [(a["client_id"], a["seq"]) for a in acks] == [("a1", 4), ("a2", 5)]
    # Reload: the conversation is still there, without the internal note.
    with app.websocket_connect(visitor_url(tenant, "v1")) as visitor:
        welcome = visitor.receive_json()
        [again] = welcome["conversations"]
        assert again["id"] == conv["id"]
        visitor.send_json({"type": "resume", "conversations": {conv["id"]: 0}})
        texts = [until(visitor, "message")["message"]["text"] for _ in range(4)]
        assert texts[:2] == ["Hi, can I help with sizes?", "Do you have 44?"]
        assert texts[3] == "Yes, in red and black."


def test_resend_is_not_doubled_and_resume_after_a_drop(app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "v2")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "message", "client_id": "same", "text": "hello"})
        conv_id = until(visitor, "conversation")["conversation"]["id"]
        first = until(visitor, "ack")
        visitor.send_json({"type": "message", "client_id": "same", "text": "hello",
                           "conversation_id": None})
        assert until(visitor, "ack") == first
        last_seen = first["seq"]
    # While the visitor is away the agent writes twice.
    with agent_socket(app, tenant) as agent:
        agent.receive_json()
        for i in range(2):
            agent.send_json({"type": "message", "client_id": f"x{i}",
                             "conversation_id": conv_id, "text": f"answer {i}"})
            until(agent, "ack")
    with app.websocket_connect(visitor_url(tenant, "v2")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "resume", "conversations": {conv_id: last_seen}})
        got = [until(visitor, "message") for _ in range(3)]
        assert got[0]["message"]["author"] == "system"  # queued: no agent online
        assert [(m["seq"], m["message"]["text"]) for m in got[1:]] == [(3, "answer 0"),
                                                                        (4, "answer 1")]
        visitor.send_json({"type": "ping"})
        assert until(visitor, "pong") == {"type": "pong"}


def test_identified_history_on_a_second_device_only(app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "laptop", "ann")) as laptop:
        laptop.receive_json()
        laptop.send_json({"type": "message", "client_id": "l1", "text": "from my laptop"})
        conv_id = until(laptop, "ack")["conversation_id"]
    with app.websocket_connect(visitor_url(tenant, "phone", "ann")) as phone:
        assert [c["id"] for c in phone.receive_json()["conversations"]] == [conv_id]
    with app.websocket_connect(visitor_url(tenant, "other", "bob")) as bob:
        assert bob.receive_json()["conversations"] == []
        bob.send_json({"type": "resume", "conversations": {conv_id: 0}})
        assert until(bob, "error")["code"] == "not_found"
    # Without a valid hash the same browser id shows nothing of ann's other devices.
    with app.websocket_connect(visitor_url(tenant, "phone")) as anonymous:
        assert anonymous.receive_json()["conversations"] == []
    with pytest.raises(WebSocketDisconnect) as closed, \
            app.websocket_connect(visitor_url(tenant, "x", "ann", good=False)) as bad:
        bad.receive_json()
    assert closed.value.code == 4403


def test_bad_connections_and_frames(app: TestClient, tenant: Tenant) -> None:
    with pytest.raises(WebSocketDisconnect) as closed, \
            app.websocket_connect("/ws/visitor?v=1&writeKey=nope&anonymousId=a") as ws:
        ws.receive_json()
    assert closed.value.code == 4401
    with pytest.raises(WebSocketDisconnect) as closed, \
            app.websocket_connect("/ws/agent?v=1",
                                  headers={"Authorization": "Bearer nope"}) as ws:
        ws.receive_json()
    assert closed.value.code == 4401
    with app.websocket_connect(visitor_url(tenant, "v3")) as ws:
        ws.receive_json()
        ws.send_text("{not json")
        assert until(ws, "error")["code"] == "invalid_frame"
        ws.send_json({"type": "message", "client_id": "e", "text": "   "})
        error = until(ws, "error")
        assert (error["code"], error["client_id"]) == ("invalid_message", "e")
        ws.send_json({"type": "message", "client_id": "e2", "text": "x",
                      "conversation_id": "c_someone_else"})
        assert until(ws, "error")["code"] == "not_found"


def test_no_invitations_while_in_a_chat(app: TestClient, tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "v4")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "message", "client_id": "c", "text": "hi"})
        until(visitor, "ack")
        track(app, tenant, "v4", "need_help", topic="x")
        r = app.get("/api/decisions", params={"visitor": "v4"}, headers=tenant.bearer())
        assert r.json()[0]["reason"] == "in_chat"
        timeline = app.get("/api/visitors/v4/events", headers=tenant.bearer()).json()
        assert "chat_started" in [e["name"] for e in timeline["events"]]


def test_a_rescue_withdraws_the_cross_sell_on_screen(app: TestClient, tenant: Tenant) -> None:
    auth = tenant.bearer()
    app.patch("/api/workspace/settings", headers=auth,
              json={"min_gap_seconds": 60, "max_proactive_per_session": 2})
    r = app.post("/api/scenarios", headers=auth, json={
        "key": "cross_sell", "name": "Cross-sell", "trigger": {"event": "add_to_cart"},
        "needs_agent": False, "priority": 30,
        "action": {"type": "popup", "text": {"en": "Customers also took socks."}}})
    assert r.status_code == 201, r.text
    with app.websocket_connect(visitor_url(tenant, "v7")) as visitor:
        visitor.receive_json()
        track(app, tenant, "v7", "add_to_cart")
        popup = until(visitor, "decision")["decision"]
        assert popup["text"] == "Customers also took socks."
        track(app, tenant, "v7", "need_help", topic="payment")  # priority 0 < 30: waits
        track(app, tenant, "v7", "add_to_cart")
        r = app.post("/api/scenarios", headers=auth, json={
            "key": "payment", "name": "Payment", "trigger": {"event": "payment_failure"},
            "needs_agent": False, "priority": 100,
            "action": {"type": "popup", "text": {"en": "Your payment failed. Need help?"}}})
        assert r.status_code == 201, r.text
        track(app, tenant, "v7", "payment_failure")
        gone = visitor.receive_json()
        assert gone == {"type": "withdraw", "decision_id": popup["id"], "reason": "replaced"}
        rescue = until(visitor, "decision")["decision"]
        assert rescue["text"] == "Your payment failed. Need help?"
    r = app.get("/api/decisions", params={"visitor": "v7", "scenario": "cross_sell"},
                headers=auth)
    assert [(d["outcome"], d["reason"]) for d in r.json()] == [
        ("suppressed", "cap_session"), ("withdrawn", "replaced_by:payment")]


def test_agent_closes_and_the_survey_is_stored(app: TestClient, tenant: Tenant) -> None:
    with agent_socket(app, tenant) as agent, \
            app.websocket_connect(visitor_url(tenant, "v5")) as visitor:
        visitor.receive_json()
        agent.receive_json()
        visitor.send_json({"type": "message", "client_id": "m", "text": "thanks, bye"})
        conv_id = until(visitor, "ack")["conversation_id"]
        agent.send_json({"type": "close", "conversation_id": conv_id})
        closed = until(visitor, "conversation")["conversation"]
        if closed["status"] != "closed":  # routing's "assigned" frame may come first
            closed = until(visitor, "conversation")["conversation"]
        assert (closed["id"], closed["status"]) == (conv_id, "closed")
        visitor.send_json({"type": "close", "conversation_id": conv_id})
        assert until(visitor, "error")["code"] == "forbidden"
    track(app, tenant, "v5", "chat_rated", rating=4, comment="quick", found=True,
          conversation_id=conv_id, **{"$set": {"last_chat_rating": 4}})
    profile = app.get("/api/visitors/v5", headers=tenant.bearer()).json()
    assert profile["attributes"]["last_chat_rating"] == 4
    assert profile["engagement"].get("in_chat") is None  # closing ended "in a chat"
    with agent_socket(app, tenant) as agent:
        agent.receive_json()
        agent.send_json({"type": "close", "conversation_id": conv_id})
        conv = until(agent, "conversation")["conversation"]
        assert (conv["rating"], conv["survey"]) == (4, {"rating": 4, "comment": "quick",
                                                        "found": True})


def test_silent_sockets_are_closed(settings: Settings, tenant: Tenant) -> None:
    quick = settings.with_overrides(ws_heartbeat_seconds=1.0, timers_enabled=False)
    with TestClient(create_app(quick)) as client:
        with client.websocket_connect(visitor_url(tenant, "quiet")) as ws:
            assert ws.receive_json()["heartbeat"] == 1.0
            ws.send_json({"type": "ping"})
            assert until(ws, "pong") == {"type": "pong"}
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()  # nothing more is sent; after 3 s of silence it closes
            assert closed.value.code == 4408
        gauge = client.get("/metrics").text
        assert 'floorwalker_websockets{kind="visitor"} 0.0' in gauge
