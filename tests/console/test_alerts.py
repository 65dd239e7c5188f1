"""Alerts go only to the accounts they concern: watchers of a segment a visitor enters,
and the agents a scenario's notify_agents action names (unless they muted the kind)."""

from __future__ import annotations

from typing import Any

from tests.console.conftest import Desk, Person
from tests.console.shop import live, page, visitor_id


def frames_until_row_of(ws: Any, vid: str, limit: int = 40) -> list[dict[str, Any]]:
    """Frames up to the `visitors` frame carrying this visitor's row (a marker: frames
    published before it were queued before it)."""
    seen = []
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        seen.append(frame)
        if frame["type"] == "visitors" and vid in [r["id"] for r in frame["visitors"]]:
            return seen
    raise AssertionError(f"no row of {vid}")


def marker(desk: Desk, anon: str = "marker") -> str:
    """A page view by someone else; its row follows every frame published before it."""
    page(desk, anon, "/marker")
    return visitor_id(desk, anon)


def alerts(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f["alert"] for f in frames if f["type"] == "alert"]


def prefs(person: Person, **body: Any) -> None:
    r = person.put("/api/me/preferences", body)
    assert r.status_code == 200, r.text


def test_a_watcher_hears_when_a_visitor_enters_the_segment(desk: Desk) -> None:
    prefs(desk.sam, watched_segments=["vip"])
    live(desk.sam)
    page(desk, "v1", "/p/boots")
    vid = visitor_id(desk, "v1")
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        desk.identify("v1", plan="vip", first_name="Ann")
        mark = marker(desk)
        [alert] = alerts(frames_until_row_of(sam, mark))
        assert alert["kind"] == "watched_segment"
        assert alert["segment"] == {"key": "vip", "name": "VIP", "color": "#d4a017"}
        assert alert["text"] == "Ann is now in VIP"
        assert (alert["visitor"]["id"], alert["visitor"]["segments"]) == (vid, ["vip"])
        assert alert["conversation_id"] is None and alert["created_at"] > 0
        assert alerts(frames_until_row_of(bea, mark)) == []  # bea does not watch vip
        # Staying in vip is not news; entering a segment nobody watches neither.
        page(desk, "v1", "/p/hats")
        desk.track("v1", "add_to_cart", currency="EUR",
                   items=[{"item_id": "hat", "price": 200, "quantity": 1}])
        mark = marker(desk, "marker2")
        assert alerts(frames_until_row_of(sam, mark)) == []


def test_a_visitor_coming_online_while_in_a_watched_segment(desk: Desk) -> None:
    prefs(desk.bea, watched_segments=["big_cart"])
    live(desk.bea)
    with desk.bea.socket() as bea:
        bea.receive_json()
        desk.track("v1", "add_to_cart", currency="EUR",
                   items=[{"item_id": "tv", "price": 900, "quantity": 1}])
        [alert] = alerts(frames_until_row_of(bea, marker(desk)))
        assert alert["segment"]["key"] == "big_cart"
        assert alert["text"] == "A visitor is on the site: Big cart"


def test_muted_and_unwatched_accounts_hear_nothing(desk: Desk) -> None:
    prefs(desk.sam, watched_segments=["vip"], muted=["watched_segment"])
    prefs(desk.bea, watched_segments=["vip"])
    live(desk.sam)
    page(desk, "v1", "/")
    with desk.sam.socket() as sam, desk.bea.socket() as bea:
        sam.receive_json()
        bea.receive_json()
        desk.identify("v1", plan="vip")
        mark = marker(desk)
        assert alerts(frames_until_row_of(sam, mark)) == []
        assert [a["kind"] for a in alerts(frames_until_row_of(bea, mark))] == [
            "watched_segment"]
        # bea stops watching: the next visitor entering vip is not for her.
        prefs(desk.bea, watched_segments=[])
        page(desk, "v2", "/")
        desk.identify("v2", plan="vip")
        assert alerts(frames_until_row_of(bea, marker(desk, "marker2"))) == []


def notify_scenario(desk: Desk, key: str, **action: Any) -> None:
    r = desk.alice.post("/api/scenarios", {
        "key": key, "name": key.title(), "trigger": {"event": f"{key}_event"},
        "caps": {"per_session": None}, "needs_agent": False,
        "action": {"type": "notify_agents", "text": {"en": "Call this visitor back"},
                   **action}})
    assert r.status_code == 201, r.text


def test_a_scenario_alert_reaches_its_department_only(desk: Desk) -> None:
    notify_scenario(desk, "callback", department="billing")
    live(desk.sam)
    with desk.sam.socket() as sam, desk.bea.socket() as bea, desk.alice.socket() as alice:
        for ws in (sam, bea, alice):
            ws.receive_json()
        page(desk, "v1", "/")
        desk.track("v1", "callback_event")
        mark = marker(desk)
        [alert] = alerts(frames_until_row_of(bea, mark))  # bea is in billing
        assert (alert["kind"], alert["scenario"], alert["text"]) == (
            "scenario_alert", "callback", "Call this visitor back")
        assert alert["segment"] is None and alert["decision_id"]
        assert alerts(frames_until_row_of(sam, mark)) == []  # sales only
        assert alerts(frames_until_row_of(alice, mark)) == []  # no agent profile
        # Muted: nothing, though in the department.
        prefs(desk.bea, muted=["scenario_alert"])
        desk.track("v1", "callback_event")
        assert alerts(frames_until_row_of(bea, marker(desk, "marker2"))) == []


def test_a_scenario_alert_to_the_agents_it_names(desk: Desk) -> None:
    notify_scenario(desk, "named", agents=["SAM@acme.example"])
    notify_scenario(desk, "pair", agents=["sam@acme.example", "bea@acme.example"])
    live(desk.sam)
    with desk.sam.socket() as sam, desk.bea.socket() as bea, desk.alice.socket() as alice:
        for ws in (sam, bea, alice):
            ws.receive_json()
        page(desk, "v1", "/")
        desk.track("v1", "named_event")
        mark = marker(desk)
        assert [a["scenario"] for a in alerts(frames_until_row_of(sam, mark))] == ["named"]
        assert alerts(frames_until_row_of(bea, mark)) == []
        assert alerts(frames_until_row_of(alice, mark)) == []
        desk.track("v1", "pair_event")
        mark = marker(desk, "marker2")
        for ws in (sam, bea):
            assert [a["scenario"] for a in alerts(frames_until_row_of(ws, mark))] == [
                "pair"]
        assert alerts(frames_until_row_of(alice, mark)) == []
    r = desk.alice.post("/api/scenarios", {
        "key": "nobody", "name": "Nobody", "trigger": {"event": "x"},
        "action": {"type": "notify_agents", "text": {"en": "?"}}})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_scenario")


def test_alerts_stay_in_their_workspace(desk: Desk) -> None:
    prefs(desk.sam, watched_segments=["vip"])
    notify_scenario(desk, "named", agents=["sam@acme.example"])
    live(desk.charlie)
    with desk.charlie.socket() as charlie:
        charlie.receive_json()
        page(desk, "v1", "/")
        desk.identify("v1", plan="vip")
        desk.track("v1", "named_event")
        page(desk, "rival-visitor", "/r", tenant="rival")
        frames = []
        for _ in range(10):
            frames.append(charlie.receive_json())
            if frames[-1]["type"] == "visitors":
                break
        assert [f["type"] for f in frames] == ["visitors"]
        assert [r["current_page"]["path"] for r in frames[0]["visitors"]] == ["/r"]
