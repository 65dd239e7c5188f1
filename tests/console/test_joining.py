"""What the visitor is told about people: "waiting" (and where in line) while the chat is
only assigned, "Sam joined the chat" once Sam opens or answers it, and the header's name."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import Desk, until
from tests.console.test_routing import start_chat


def notices(ws: Any, count: int) -> list[dict[str, Any]]:
    """The next ``count`` system lines' notices (kind and values)."""
    out = []
    while len(out) < count:
        message = until(ws, "message", limit=60)["message"]
        if message["author"] == "system" and "notice" in message:
            out.append(message["notice"])
    return out


def agent_name(ws: Any, expected: str | None) -> str | None:
    """Wait for a conversation frame naming ``expected`` (None: nobody) and return it."""
    for _ in range(10):
        name: str | None = until(ws, "conversation", limit=60)["conversation"]["agent_name"]
        if name == expected:
            return name
    raise AssertionError(f"no conversation frame naming {expected!r}")


def test_assigned_is_waiting_until_the_agent_opens_the_chat(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        ws, conv_id = start_chat(desk, "v1")
        # Sam is online, so the chat is his; but he has not looked at it yet.
        assert notices(ws, 1) == [{"kind": "waiting", "position": 1}]
        doc = desk.sam.get(f"/api/conversations/{conv_id}").json()
        texts = [m["text"] for m in doc["messages"]]
        assert "Sam joined the chat." not in texts
        assert doc["conversation"]["assigned_agent_name"] == "Sam"
        assert doc["conversation"]["joined_agent_id"] is None
        seq = doc["conversation"]["last_seq"]
        sam.send_json({"type": "read", "conversation_id": conv_id, "seq": seq})
        assert agent_name(ws, "Sam") == "Sam"
        assert notices(ws, 1) == [{"kind": "joined", "name": "Sam"}]
        # Reading again (another tab) says nothing more.
        sam.send_json({"type": "read", "conversation_id": conv_id, "seq": seq})
        sam.send_json({"type": "message", "client_id": "s1", "conversation_id": conv_id,
                       "text": "Hello, Sam here."})
        said = until(ws, "message", limit=60)["message"]
        assert (said["author"], said["text"]) == ("agent", "Hello, Sam here.")
    # A reload shows who joined.
    with desk.client.websocket_connect(
            f"/ws/visitor?v=1&writeKey={desk.acme.write_key}&anonymousId=v1") as again:
        [conv] = again.receive_json()["conversations"]
        assert conv["agent_name"] == "Sam" and "joined_agent_id" not in conv


def test_answering_is_joining_and_the_second_in_line_is_told_so(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        first_ws, first = start_chat(desk, "v1")
        second_ws, _second = start_chat(desk, "v2")
        assert notices(first_ws, 1) == [{"kind": "waiting", "position": 1}]
        assert notices(second_ws, 1) == [{"kind": "waiting", "position": 2}]
        sam.send_json({"type": "message", "client_id": "s1", "conversation_id": first,
                       "text": "On it."})
        assert notices(first_ws, 1) == [{"kind": "joined", "name": "Sam"}]
        # An internal note is no answer: the visitor saw nothing.
        r = desk.sam.post(f"/api/conversations/{first}/messages",
                          {"text": "vip?", "internal": True})
        assert r.status_code == 201, r.text


def test_after_a_transfer_the_visitor_waits_for_the_new_agent_and_sees_their_name(
        desk: Desk) -> None:
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        ws, conv_id = start_chat(desk, "v1")
        owner = desk.sam.get(f"/api/conversations/{conv_id}").json()["conversation"]
        first, second = (desk.sam, desk.bea) if owner["assigned_agent_name"] == "Sam" \
            else (desk.bea, desk.sam)
        first_name, second_name = (("Sam", "Bea") if first is desk.sam else ("Bea", "Sam"))
        r = first.post(f"/api/conversations/{conv_id}/messages", {"text": "Hi!"})
        assert r.status_code == 201, r.text
        assert agent_name(ws, first_name) == first_name
        assert notices(ws, 1) == [{"kind": "joined", "name": first_name}]
        assert until(ws, "message")["message"]["text"] == "Hi!"  # after the notice
        r = first.post(f"/api/conversations/{conv_id}/transfer",
                       {"agent_id": second.account["agent_id"], "note": "invoice"})
        assert r.status_code == 200, r.text
        # The header no longer names the first agent; the visitor waits for the second.
        assert agent_name(ws, None) is None
        assert notices(ws, 1) == [{"kind": "waiting", "position": 1}]
        r = second.post(f"/api/conversations/{conv_id}/claim")
        assert r.status_code == 200, r.text
        assert agent_name(ws, second_name) == second_name
        assert notices(ws, 1) == [{"kind": "joined", "name": second_name}]


def test_nobody_online_is_a_queue_with_a_place(desk: Desk) -> None:
    ws, _conv = start_chat(desk, "v1")
    assert notices(ws, 1) == [{"kind": "queued", "position": 1}]
    ws2, _conv2 = start_chat(desk, "v2")
    [queued] = notices(ws2, 1)
    assert queued == {"kind": "queued", "position": 2}
