"""A visitor's card (profile, timeline, conversations, decisions with reasons; sensitive
attributes for admins only) and an agent's manual invitation."""

from __future__ import annotations

import time
from typing import Any

from tests.console.conftest import Desk, until
from tests.console.shop import page, start_chat, sweep, visitor_id


def card(person: Any, ref: str) -> dict[str, Any]:
    r = person.get(f"/api/live/visitors/{ref}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_the_card_has_profile_timeline_conversations_and_decisions(desk: Desk) -> None:
    desk.identify("v1", first_name="Ann", email="ann@example.com", plan="vip")
    page(desk, "v1", "/p/boots", title="Boots")
    _ws, conv_id = start_chat(desk, "v1", "which size?")
    desk.track("v1", "need_help", topic="again")  # in a chat: suppressed
    vid = visitor_id(desk, "v1")
    # By visitor id or by anonymousId: the same card.
    doc = card(desk.sam, vid)
    assert card(desk.sam, "v1")["profile"]["visitor_id"] == vid
    assert doc["live"] is True
    assert (doc["visitor"]["id"], doc["visitor"]["name"]) == (vid, "Ann")
    assert doc["profile"]["attributes"]["email"] == "ann@example.com"
    assert [s["key"] for s in doc["profile"]["top_segments"]] == ["vip"]
    names = [e["name"] for e in doc["events"]]
    assert names[0] == "need_help"  # newest first
    assert {"page_view", "chat_started", "identify"} <= set(names)
    [conv] = doc["conversations"]
    assert (conv["id"], conv["scenario"], conv["department"]) == (conv_id, "help", "sales")
    assert (conv["visitor"]["name"], conv["segments"]) == ("Ann", ["vip"])
    outcomes = [(d["scenario"], d["outcome"], d["reason"], d["action_type"])
                for d in doc["decisions"]]
    assert outcomes == [("help", "suppressed", "in_chat", None),
                        ("help", "fired", None, "chat_invitation")]
    assert doc["decisions"][1]["response"] == "replied"


def test_a_visitor_who_left_still_has_a_card(desk: Desk) -> None:
    page(desk, "v1", "/")
    svc = desk.client.app.state.services  # type: ignore[attr-defined]
    assert card(desk.sam, "v1")["live"] is True
    assert sweep(desk, time.time() + svc.live.window + 1) == 1
    # Gone from the list; the card still answers, from the stored profile.
    doc = card(desk.sam, "v1")
    assert doc["live"] is False
    assert doc["visitor"]["id"] == visitor_id(desk, "v1")
    assert doc["visitor"]["current_page"]["path"] == "/"


def test_sensitive_attributes_are_for_admins_only(desk: Desk) -> None:
    r = desk.client.patch("/api/workspace/settings", headers=desk.alice.headers(),
                          json={"sensitive_attributes": ["margin_band", "phone"]})
    assert r.status_code == 200, r.text
    desk.identify("v1", first_name="Ann", phone="+33 6 12 34 56 78", margin_band="high")
    desk.track("v1", "quote_requested", phone="+33 6 12 34 56 78", product="boots")
    agent = card(desk.sam, "v1")
    assert "phone" not in agent["profile"]["attributes"]
    assert "margin_band" not in agent["profile"]["attributes"]
    assert agent["profile"]["attributes"]["first_name"] == "Ann"
    [quote] = [e for e in agent["events"] if e["name"] == "quote_requested"]
    assert quote["properties"] == {"product": "boots"}
    admin = card(desk.alice, "v1")
    assert admin["profile"]["attributes"]["phone"] == "+33 6 12 34 56 78"
    assert admin["profile"]["attributes"]["margin_band"] == "high"
    [quote] = [e for e in admin["events"] if e["name"] == "quote_requested"]
    assert quote["properties"]["phone"] == "+33 6 12 34 56 78"
    assert "+33 6 12" not in desk.sam.get("/api/live/visitors/v1").text


def test_unknown_visitors_are_404(desk: Desk) -> None:
    page(desk, "v1", "/")
    for who, ref in ((desk.sam, "nobody"), (desk.sam, "v_0000000000"), (desk.sam, "x" * 300),
                     (desk.charlie, "v1"), (desk.charlie, visitor_id(desk, "v1"))):
        r = who.get(f"/api/live/visitors/{ref}")
        assert (r.status_code, r.json()["error"]["code"]) == (404, "visitor_not_found"), ref


def test_an_agent_invites_a_visitor_and_gets_the_chat(desk: Desk) -> None:
    page(desk, "v1", "/p/boots")
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        ws = desk.visitor("v1")
        assert ws.receive_json()["type"] == "welcome"
        r = desk.sam.post("/api/live/visitors/v1/invite", {"text": "  Need a size?  "})
        assert r.status_code == 201, r.text
        decision_id = r.json()["decision_id"]
        decision = until(ws, "decision")["decision"]
        assert decision["id"] == decision_id
        assert (decision["type"], decision["text"], decision["agent_name"]) == (
            "chat_invitation", "Need a size?", "Sam")
        assert "agent_id" not in decision  # the visitor never sees internal ids
        ws.send_json({"type": "message", "client_id": "m1", "text": "yes, 42",
                      "decision_id": decision_id})
        conv_id = until(ws, "ack")["conversation_id"]
        # Both are free and bea is less loaded by cap, but the inviter gets it.
        doc = desk.sam.get(f"/api/conversations/{conv_id}").json()["conversation"]
        assert (doc["status"], doc["assigned_agent_id"]) == ("open",
                                                             desk.sam.account["agent_id"])
        assert doc["scenario"] == "manual"
    decisions = card(desk.alice, "v1")["decisions"]
    assert (decisions[0]["id"], decisions[0]["scenario"], decisions[0]["outcome"]) == (
        decision_id, "manual", "fired")


def test_invitation_errors(desk: Desk) -> None:
    page(desk, "v1", "/")
    r = desk.sam.post("/api/live/visitors/v1/invite", {"text": "Hello"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "visitor_offline")
    desk.visitor("v1").receive_json()
    r = desk.alice.post("/api/live/visitors/v1/invite", {"text": "Hello"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_an_agent")
    bad: list[Any] = [{"text": ""}, {"text": "   "}, {"text": "x" * 5001}, {"text": "a\x00b"},
                      {}, {"text": 5}, {"text": "hi", "coupon": "X"}, [], "text"]
    for body in bad:
        r = desk.sam.post("/api/live/visitors/v1/invite", body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_invitation"), body
    r = desk.sam.post("/api/live/visitors/nobody/invite", {"text": "Hello"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "visitor_not_found")
    # Without the CSRF header, a cookie alone cannot invite.
    r = desk.client.post("/api/live/visitors/v1/invite", json={"text": "Hello"},
                         headers={"Cookie": f"fw_session={desk.sam.cookie}"})
    assert r.status_code == 403


def test_sensitive_names_and_e_mails_stay_out_of_rows_frames_and_exports(desk: Desk) -> None:
    """Rows, conversation summaries and canned replies go to every console: when e-mail and
    names are sensitive, none of them carries those values, for agents and admins alike."""
    r = desk.client.patch("/api/workspace/settings", headers=desk.alice.headers(),
                          json={"sensitive_attributes": ["email", "first_name", "name"]})
    assert r.status_code == 200, r.text
    r = desk.alice.post("/api/canned-replies", {
        "shortcut": "hi", "title": "Hi", "text": "Hi {{ visitor.first_name or 'there' }}, "
                                                  "write to {{ visitor.email or 'us' }}"})
    assert r.status_code == 201, r.text
    reply_id = r.json()["id"]
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        desk.identify("v1", first_name="Ann", name="Ann Secret", email="ann@secret.example")
        row = until(sam, "visitors")["visitors"][0]
        assert (row["name"], row["email"]) == (None, None)
        _ws, conv_id = start_chat(desk, "v1", "hello")
        for person in (desk.sam, desk.alice):
            for path in ("/api/live/visitors", f"/api/conversations/{conv_id}",
                         "/api/conversations", "/api/conversations/export.csv",
                         f"/api/conversations/{conv_id}/transcript.txt"):
                body = person.get(path).text
                assert "secret" not in body.lower(), (path, body[:300])
        rendered = desk.sam.post(f"/api/canned-replies/{reply_id}/render",
                                 {"conversation_id": conv_id}).json()["text"]
        assert rendered == "Hi there, write to us"
    # The admin's card still shows them.
    assert card(desk.alice, "v1")["profile"]["attributes"]["email"] == "ann@secret.example"


def test_a_console_socket_gets_rows_without_loading_the_list_first(desk: Desk) -> None:
    """After a restart nobody has loaded the list yet: opening the console is enough."""
    with desk.bea.socket() as bea:
        assert bea.receive_json()["type"] == "welcome"
        page(desk, "v7", "/p/coat", title="Coat")
        row = until(bea, "visitors")["visitors"][0]
        assert row["current_page"]["path"] == "/p/coat"
