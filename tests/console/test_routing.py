"""Routing: the least busy online agent of the department gets a chat; otherwise it waits
in the department's queue and the visitor is told; claims, transfers, close and reopen."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import Desk, until


def start_chat(desk: Desk, anon: str, text: str = "hello") -> tuple[Any, str]:
    """A visitor answers the `help` invitation; returns the open socket's context and the
    conversation id."""
    ws = desk.visitor(anon)
    assert ws.receive_json()["type"] == "welcome"
    desk.track(anon, "need_help", topic="sizes")
    decision = until(ws, "decision")["decision"]
    ws.send_json({"type": "message", "client_id": f"{anon}-1", "text": text,
                  "decision_id": decision["id"]})
    conv_id = until(ws, "ack")["conversation_id"]
    return ws, conv_id


def conversation(desk: Desk, conv_id: str) -> dict[str, Any]:
    r = desk.alice.get(f"/api/conversations/{conv_id}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_nobody_online_queues_and_the_visitor_is_told(desk: Desk) -> None:
    ws, conv_id = start_chat(desk, "v1")
    texts = [until(ws, "message")["message"]["text"] for _ in range(3)]
    assert "number 1 in the queue" in texts[2]
    doc = conversation(desk, conv_id)["conversation"]
    assert (doc["status"], doc["department"], doc["queue_position"]) == ("queued", "sales", 1)
    # The agent will see what started it: the invitation and the event with its properties.
    assert doc["context"]["text"] == "Can I help with sizes?"
    assert doc["context"]["event"] == {"name": "need_help", "properties": {"topic": "sizes"}}
    # The list preview is what the visitor said, not the queue notice.
    assert (doc["last_message"]["author"], doc["last_message"]["text"]) == ("visitor", "hello")
    # The queue is visible to sales members, with the visitor's place.
    queue = desk.sam.get("/api/conversations", params={"view": "queue"}).json()
    assert [c["id"] for c in queue["conversations"]] == [conv_id]


def test_an_agent_coming_online_takes_the_oldest_queued_chat(desk: Desk) -> None:
    first_ws, first = start_chat(desk, "v1")
    second_ws, second = start_chat(desk, "v2")
    assert conversation(desk, second)["conversation"]["queue_position"] == 2
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        # sam takes both (capacity 2), oldest first, and each visitor hears an agent is
        # coming (who, once sam opens or answers it: tests/console/test_joining.py).
        for ws in (first_ws, second_ws):
            joined = until(ws, "message", limit=40)
            while "an agent will be with you shortly" not in joined["message"]["text"]:
                joined = until(ws, "message", limit=40)
            mine = desk.sam.get("/api/conversations", params={"view": "mine"}).json()
        assert {c["id"] for c in mine["conversations"]} == {first, second}
        assert all(c["assigned_agent_name"] == "Sam" for c in mine["conversations"])
        presence = {a["id"]: a for a in desk.alice.get("/api/presence").json()["agents"]}
        sam_id = desk.sam.account["agent_id"]
        assert (presence[sam_id]["status"], presence[sam_id]["active_chats"]) == ("online", 2)
    # The last tab closed: offline.
    presence = {a["id"]: a for a in desk.alice.get("/api/presence").json()["agents"]}
    assert presence[desk.sam.account["agent_id"]]["status"] == "offline"


def test_least_busy_member_gets_it_and_a_full_agent_gets_none(desk: Desk) -> None:
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        owners = []
        sockets = []
        for i in range(5):
            ws, conv_id = start_chat(desk, f"v{i}")
            sockets.append(ws)
            owners.append(conversation(desk, conv_id)["conversation"]["assigned_agent_name"])
        # Alternating by load (ties: the one assigned least recently); sam stops at 2.
        assert owners.count("Sam") == 2 and owners.count("Bea") == 3
        assert owners[:2] in (["Sam", "Bea"], ["Bea", "Sam"])
        ws, conv_id = start_chat(desk, "v9")
        sockets.append(ws)
        assert conversation(desk, conv_id)["conversation"]["status"] == "queued"


def test_transfer_to_a_department_and_a_teammate_picks_it_up(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        ws, conv_id = start_chat(desk, "v1")
        assert conversation(desk, conv_id)["conversation"]["assigned_agent_name"] == "Sam"
        r = desk.sam.post(f"/api/conversations/{conv_id}/transfer",
                          {"department": "billing", "note": "asks about an invoice"})
        assert r.status_code == 200, r.text
        moved = r.json()
        # Nobody of billing is online: it waits in billing's queue.
        assert (moved["status"], moved["department"], moved["assigned_agent_id"]) == \
            ("queued", "billing", None)
        messages = conversation(desk, conv_id)["messages"]
        note = messages[-1]
        assert note["internal"] is True
        assert note["text"] == "Transferred to Billing by Sam. Note: asks about an invoice"
        # The visitor never sees the internal note.
        frame = until(ws, "conversation")
        while frame["conversation"]["status"] != "queued":
            frame = until(ws, "conversation")
        assert "assigned_agent_id" not in frame["conversation"]
        assert not desk.sam.get("/api/conversations", params={"view": "queue"}).json()[
            "conversations"]
        queue = desk.bea.get("/api/conversations", params={"view": "queue"}).json()
        assert [c["id"] for c in queue["conversations"]] == [conv_id]
        with desk.bea.socket() as bea:
            bea.receive_json()
            picked = until(bea, "conversation", limit=60)
            while picked["conversation"]["id"] != conv_id or \
                    picked["conversation"]["status"] != "open":
                picked = until(bea, "conversation", limit=60)
            assert picked["conversation"]["assigned_agent_name"] == "Bea"


def test_transfer_to_an_agent_claim_close_and_reopen(desk: Desk) -> None:
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        ws, conv_id = start_chat(desk, "v1")
        owner = conversation(desk, conv_id)["conversation"]["assigned_agent_name"]
        other = desk.bea if owner == "Sam" else desk.sam
        r = desk.alice.post(f"/api/conversations/{conv_id}/transfer",
                            {"agent_id": other.account["agent_id"], "note": ""})
        assert r.status_code == 200, r.text
        assert r.json()["assigned_agent_id"] == other.account["agent_id"]
        back = desk.sam if other is desk.bea else desk.bea
        r = back.post(f"/api/conversations/{conv_id}/claim")
        assert r.json()["assigned_agent_id"] == back.account["agent_id"]
        r = back.post(f"/api/conversations/{conv_id}/close")
        assert r.json()["status"] == "closed"
        assert until(ws, "conversation", limit=60)["conversation"]["status"] in (
            "open", "closed")
        # A new visitor message reopens it and routes it to the same agent.
        ws.send_json({"type": "message", "client_id": "again", "text": "one more thing",
                      "conversation_id": conv_id})
        until(ws, "ack")
        doc = conversation(desk, conv_id)["conversation"]
        assert (doc["status"], doc["assigned_agent_id"]) == ("open", back.account["agent_id"])


def test_transfer_errors(desk: Desk) -> None:
    _ws, conv_id = start_chat(desk, "v1")
    cases = [({"department": "nope"}, 404, "department_not_found"),
             ({"agent_id": desk.sam.account["agent_id"]}, 409, "agent_offline"),
             ({}, 422, "invalid_transfer"),
             ({"agent_id": "x", "department": "sales"}, 422, "invalid_transfer"),
             ({"department": "sales", "extra": 1}, 422, "invalid_transfer")]
    for body, status, code in cases:
        r = desk.alice.post(f"/api/conversations/{conv_id}/transfer", body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), body
    # An admin without an agent profile cannot claim; nobody sees another workspace's chat.
    r = desk.alice.post(f"/api/conversations/{conv_id}/claim")
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_an_agent")
    for path in (f"/api/conversations/{conv_id}", f"/api/conversations/{conv_id}/transcript.txt"):
        r = desk.charlie.get(path)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    r = desk.charlie.post(f"/api/conversations/{conv_id}/close")
    assert r.status_code == 404
    assert desk.charlie.get("/api/conversations").json()["conversations"] == []


def test_status_is_the_agents_own(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        r = desk.sam.put("/api/me/status", {"status": "away"})
        assert r.json()["status"] == "away"
        # Away: new chats are not given to sam.
        _ws, conv_id = start_chat(desk, "v1")
        assert conversation(desk, conv_id)["conversation"]["status"] == "queued"
        sam.send_json({"type": "status", "status": "online"})
        frame = until(sam, "conversation", limit=60)
        while frame["conversation"]["status"] != "open":
            frame = until(sam, "conversation", limit=60)
        assert frame["conversation"]["assigned_agent_name"] == "Sam"
    assert desk.sam.put("/api/me/status", {"status": "offline"}).status_code == 422
    r = desk.alice.put("/api/me/status", {"status": "online"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_an_agent")
    # An agent may not set a colleague's presence through the admin route.
    bea_id = desk.bea.account["agent_id"]
    r = desk.sam.put(f"/api/agents/{bea_id}/presence", {"status": "online"})
    assert r.status_code == 403


def test_an_admin_setting_presence_drains_the_queue_and_consoles_hear_it(desk: Desk) -> None:
    # PUT /api/agents/{id}/presence goes through the desk like the console's own status.
    _ws, conv_id = start_chat(desk, "v1")
    assert conversation(desk, conv_id)["conversation"]["status"] == "queued"
    sam_id = desk.sam.account["agent_id"]
    with desk.alice.socket() as admin:  # an admin's console: watches, takes no chats
        assert admin.receive_json()["type"] == "welcome"
        r = desk.alice.put(f"/api/agents/{sam_id}/presence", {"status": "online"})
        assert (r.status_code, r.json()["status"]) == (200, "online"), r.text
        assert until(admin, "presence", limit=60, agent_id=sam_id)["status"] == "online"
        doc = conversation(desk, conv_id)["conversation"]
        assert (doc["status"], doc["assigned_agent_name"]) == ("open", "Sam")
        r = desk.alice.put(f"/api/agents/{sam_id}/presence", {"status": "offline"})
        assert r.status_code == 200, r.text
        assert until(admin, "presence", limit=60, agent_id=sam_id)["status"] == "offline"
