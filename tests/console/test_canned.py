"""Canned replies: admins write them, everyone lists and renders them for a conversation."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import Desk
from tests.console.shop import plain_chat

SHIPPING = {"shortcut": "shipping", "title": "Shipping times",
            "text": "Hi {{ visitor.first_name or 'there' }}, I'm {{ agent.name }}: "
                    "we ship within 24 h.", "department": None}


def create(desk: Desk, **fields: Any) -> dict[str, Any]:
    r = desk.alice.post("/api/canned-replies", {**SHIPPING, **fields})
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


def test_an_admin_writes_replaces_and_deletes(desk: Desk) -> None:
    made = create(desk)
    assert made["id"].startswith("cr_")
    assert {k: made[k] for k in SHIPPING} == SHIPPING
    create(desk, shortcut="returns", title="Returns", text="30 days.", department="sales")
    listed = desk.sam.get("/api/canned-replies").json()
    assert [c["shortcut"] for c in listed] == ["returns", "shipping"]  # by shortcut
    r = desk.alice.put(f"/api/canned-replies/{made['id']}", {
        **SHIPPING, "title": "  Delivery  ", "text": "Tomorrow."})
    assert r.status_code == 200, r.text
    assert (r.json()["id"], r.json()["title"], r.json()["text"]) == (
        made["id"], "Delivery", "Tomorrow.")
    # Keeping its own shortcut is not a clash.
    assert desk.alice.put(f"/api/canned-replies/{made['id']}", SHIPPING).status_code == 200
    r = desk.alice.delete(f"/api/canned-replies/{made['id']}")
    assert r.json() == {"deleted": made["id"]}
    assert [c["shortcut"] for c in desk.bea.get("/api/canned-replies").json()] == ["returns"]
    r = desk.alice.delete(f"/api/canned-replies/{made['id']}")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def test_agents_read_but_do_not_write(desk: Desk) -> None:
    made = create(desk)
    for r in (desk.sam.post("/api/canned-replies", {**SHIPPING, "shortcut": "mine"}),
              desk.sam.put(f"/api/canned-replies/{made['id']}", SHIPPING),
              desk.bea.delete(f"/api/canned-replies/{made['id']}")):
        assert (r.status_code, r.json()["error"]["code"]) == (403, "admin_required")
    assert [c["id"] for c in desk.sam.get("/api/canned-replies").json()] == [made["id"]]
    assert desk.alice.get("/api/canned-replies").json()[0]["text"] == SHIPPING["text"]


def test_bad_replies_are_422_and_a_taken_shortcut_409(desk: Desk) -> None:
    made = create(desk)
    bad: list[dict[str, Any]] = [{"text": "Hi {{ visitor.first_name "},  # unclosed
           {"text": "{% for x in y %}never closed"},
           {"text": "{{ ''.__class__.__mro__ }}"},  # the sandbox refuses it
           {"text": "{{ 'abc'.translate }}"},  # would print a repr with an address
           {"text": ""}, {"text": "   "}, {"text": "x" * 5001},
           {"title": ""}, {"title": "t" * 201},
           {"shortcut": ""}, {"shortcut": "Has Space"}, {"shortcut": "-dash"},
           {"shortcut": "s" * 65}, {"department": "d" * 65},
           {"extra": True}, {"text": 5}]
    for fields in bad:
        r = desk.alice.post("/api/canned-replies", {**SHIPPING, "shortcut": "x", **fields})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_canned_reply"), \
            fields
        r = desk.alice.put(f"/api/canned-replies/{made['id']}", {**SHIPPING, **fields})
        assert r.status_code == 422, fields
    shapes: list[Any] = [{}, [], "shipping"]
    for body in shapes:
        r = desk.alice.post("/api/canned-replies", body)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_canned_reply")
    r = desk.alice.post("/api/canned-replies", SHIPPING)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "shortcut_taken")
    other = create(desk, shortcut="other")
    r = desk.alice.put(f"/api/canned-replies/{other['id']}", SHIPPING)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "shortcut_taken")
    # Another workspace may use the same shortcut.
    assert desk.charlie.post("/api/canned-replies", SHIPPING).status_code == 201
    assert [c["shortcut"] for c in desk.sam.get("/api/canned-replies").json()] == [
        "other", "shipping"]


def test_render_is_personal(desk: Desk) -> None:
    made = create(desk)
    desk.identify("ann", first_name="Ann", last_name="Example")
    _ws, with_name = plain_chat(desk, "ann", "when will it ship?")
    _ws2, anonymous = plain_chat(desk, "v2", "when?")
    r = desk.bea.post(f"/api/canned-replies/{made['id']}/render",
                      {"conversation_id": with_name})
    assert r.json() == {"text": "Hi Ann, I'm Bea: we ship within 24 h."}
    r = desk.sam.post(f"/api/canned-replies/{made['id']}/render",
                      {"conversation_id": anonymous})
    assert r.json() == {"text": "Hi there, I'm Sam: we ship within 24 h."}
    # Only "name" known: its first word.
    desk.identify("v2", name="Bob Builder")
    r = desk.sam.post(f"/api/canned-replies/{made['id']}/render",
                      {"conversation_id": anonymous})
    assert r.json()["text"].startswith("Hi Bob, ")
    # Values are text, never markup or more template.
    desk.identify("ann", first_name="{{ agent.name }}<b>")
    r = desk.sam.post(f"/api/canned-replies/{made['id']}/render",
                      {"conversation_id": with_name})
    assert r.json()["text"].startswith("Hi {{ agent.name }}")


def test_render_errors(desk: Desk) -> None:
    made = create(desk)
    _ws, conv_id = plain_chat(desk, "v1", "hi")
    r = desk.sam.post("/api/canned-replies/cr_nope/render", {"conversation_id": conv_id})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    r = desk.sam.post(f"/api/canned-replies/{made['id']}/render", {"conversation_id": "c_no"})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    for body in ({}, {"conversation_id": 5}, {"conversation_id": conv_id, "x": 1}):
        r = desk.sam.post(f"/api/canned-replies/{made['id']}/render", body)
        assert r.status_code == 422, body
    r = desk.alice.put("/api/canned-replies/cr_nope", SHIPPING)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    # An outsider reaches neither the reply nor the conversation.
    assert desk.charlie.get("/api/canned-replies").json() == []
    r = desk.charlie.post(f"/api/canned-replies/{made['id']}/render",
                          {"conversation_id": conv_id})
    assert r.status_code == 404
    theirs = desk.charlie.post("/api/canned-replies", {**SHIPPING, "shortcut": "t"}).json()
    r = desk.charlie.post(f"/api/canned-replies/{theirs['id']}/render",
                          {"conversation_id": conv_id})
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    for r in (desk.charlie.put(f"/api/canned-replies/{made['id']}", SHIPPING),
              desk.charlie.delete(f"/api/canned-replies/{made['id']}")):
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    assert len(desk.sam.get("/api/canned-replies").json()) == 1
