"""The live visitor list: rows with page, time on site, source, device, cart and segments;
filters and sorts; `visitors` and `visitors_left` frames; only one's own workspace."""

from __future__ import annotations

import time
from typing import Any

from tests.console.conftest import Desk, until
from tests.console.shop import add_to_cart, live, page, row_of, start_chat, sweep, visitor_id

GOOGLE = "https://www.google.com/search?q=red+boots"


def test_a_tracked_visitor_appears_with_everything_an_agent_needs(desk: Desk) -> None:
    page(desk, "v1", "/", ago=7200)  # an earlier visit
    page(desk, "v1", "/c/boots", title="Boots", referrer=GOOGLE, ago=120)
    add_to_cart(desk, "v1", 129)
    desk.identify("v1", plan="vip", first_name="Ann", last_name="Example",
                  email="ann@example.com")
    page(desk, "v1", "/p/red-boots", title="Red boots")
    row = row_of(desk.sam, visitor_id(desk, "v1"))
    assert row["name"] == "Ann Example" and row["email"] == "ann@example.com"
    assert row["current_page"] == {"url": "https://acme.example/p/red-boots",
                                   "path": "/p/red-boots", "title": "Red boots"}
    assert 115 <= row["time_on_site"] <= 180
    assert (row["session_pages"], row["visits"]) == (2, 2)
    assert row["source"] == {"type": "organic", "name": "google", "keyword": "red boots",
                             "campaign": None, "referrer": GOOGLE}
    assert (row["device"], row["browser"], row["language"]) == ("mobile", "Chrome Mobile",
                                                                "fr")
    assert (row["cart_value"], row["currency"]) == (129.0, "EUR")
    # Highest priority first, with names and colours for the chips.
    assert row["top_segments"] == [{"key": "vip", "name": "VIP", "color": "#d4a017"},
                                   {"key": "big_cart", "name": "Big cart",
                                    "color": "#2457d6"}]
    assert row["segments"] == ["vip", "big_cart"]
    assert (row["in_chat"], row["departments"]) == (False, [])
    assert time.time() - row["last_seen"] < 60


def test_top_segments_are_the_three_of_highest_priority(desk: Desk) -> None:
    for key, priority in (("low", 10), ("mid", 70), ("top", 99)):
        r = desk.alice.post("/api/segments", {
            "key": key, "name": key.title(), "color": "#111111", "priority": priority,
            "condition": {"path": "visitor.attributes.plan", "op": "eq", "value": "vip"}})
        assert r.status_code == 201, r.text
    desk.identify("v1", plan="vip")
    add_to_cart(desk, "v1", 500)
    row = row_of(desk.alice, visitor_id(desk, "v1"))
    assert [s["key"] for s in row["top_segments"]] == ["top", "vip", "mid"]
    assert row["segments"] == ["top", "vip", "mid", "big_cart", "low"]


def test_segment_counts_filters_and_sorts(desk: Desk) -> None:
    page(desk, "a", "/p/boots", ago=600)
    add_to_cart(desk, "a", 150)
    desk.identify("a", plan="vip")
    page(desk, "b", "/p/socks", ago=30)
    add_to_cart(desk, "b", 20)
    page(desk, "c", "/checkout/boots")
    add_to_cart(desk, "c", 300)
    ids = {anon: visitor_id(desk, anon) for anon in "abc"}
    everyone = live(desk.sam)
    assert everyone["count"] == 3
    assert [(s["key"], s["count"]) for s in everyone["segments"]] == [("vip", 1),
                                                                     ("big_cart", 2)]
    assert everyone["segments"][0] == {"key": "vip", "name": "VIP", "color": "#d4a017",
                                       "priority": 90, "count": 1}
    # Newest first by default (c acted last).
    assert everyone["visitors"][0]["id"] == ids["c"]

    def listed(**params: Any) -> list[str]:
        return [v["id"] for v in live(desk.sam, **params)["visitors"]]

    assert listed(segment="vip") == [ids["a"]]
    assert set(listed(segment="big_cart")) == {ids["a"], ids["c"]}
    assert listed(segment="nobody_here") == []
    assert set(listed(page="boots")) == {ids["a"], ids["c"]}
    assert listed(page="/CHECKOUT") == [ids["c"]]  # case-insensitive substring of the path
    assert listed(sort="cart_value") == [ids["c"], ids["a"], ids["b"]]
    assert listed(sort="time_on_site")[0] == ids["a"]
    assert listed(sort="cart_value", limit=1) == [ids["c"]]
    # Counts of segments are for everyone live, whatever the filter.
    filtered = live(desk.sam, segment="vip")
    assert (filtered["count"], filtered["segments"][1]["count"]) == (1, 2)


def test_the_department_filter_follows_scenarios_and_chats(desk: Desk) -> None:
    page(desk, "browsing", "/")
    _ws, _conv = start_chat(desk, "helped")  # the `help` scenario is sales'
    ids = [v["id"] for v in live(desk.bea, department="sales")["visitors"]]
    assert ids == [visitor_id(desk, "helped")]
    assert live(desk.bea, department="billing")["visitors"] == []
    row = row_of(desk.bea, visitor_id(desk, "helped"))
    assert (row["in_chat"], row["departments"]) == (True, ["sales"])


def test_bad_parameters_are_422(desk: Desk) -> None:
    for params in ({"sort": "name"}, {"limit": 0}, {"limit": 5001}, {"limit": "x"},
                   {"segment": "s" * 65}, {"page": "p" * 501}):
        r = desk.sam.get("/api/live/visitors", params=params)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), params
    r = desk.client.get("/api/live/visitors")
    assert (r.status_code, r.json()["error"]["code"]) == (401, "login_required")


def test_a_console_socket_gets_rows_as_they_change_and_ids_as_they_leave(desk: Desk) -> None:
    live(desk.sam)  # the console loads the list, then listens
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        page(desk, "v1", "/p/boots", title="Boots")
        vid = visitor_id(desk, "v1")
        frame = until(sam, "visitors")
        [row] = frame["visitors"]
        assert (row["id"], row["current_page"]["path"]) == (vid, "/p/boots")
        add_to_cart(desk, "v1", 120)
        changed = until(sam, "visitors")["visitors"]
        assert [(r["id"], r["cart_value"], r["segments"]) for r in changed] == [
            (vid, 120.0, ["big_cart"])]
        svc = desk.client.app.state.services  # type: ignore[attr-defined]
        window = svc.live.window
        # Still live just inside the window; gone just after it.
        assert sweep(desk, time.time() + window - 60) == 0
        assert sweep(desk, time.time() + window + 1) == 1
        assert until(sam, "visitors_left") == {"type": "visitors_left", "ids": [vid]}
    assert live(desk.sam)["visitors"] == []


def test_a_console_still_gets_rows_after_an_admin_edits_a_segment(desk: Desk) -> None:
    live(desk.sam)
    with desk.sam.socket() as sam:
        sam.receive_json()
        r = desk.alice.put("/api/segments/big_cart", {
            "key": "big_cart", "name": "Big cart", "color": "#2457d6", "priority": 50,
            "condition": {"path": "visitor.cart.value", "op": "gte", "value": 50}})
        assert r.status_code == 200, r.text
        add_to_cart(desk, "v1", 60)
        [row] = until(sam, "visitors")["visitors"]
        assert (row["cart_value"], row["segments"]) == (60.0, ["big_cart"])


def test_another_workspace_never_sees_acme_visitors(desk: Desk) -> None:
    live(desk.charlie)
    live(desk.sam)
    with desk.charlie.socket() as charlie:
        assert charlie.receive_json()["type"] == "welcome"
        page(desk, "acme-visitor", "/p/boots")
        page(desk, "rival-visitor", "/r/hats", tenant="rival")
        # charlie's next frame is rival's own row: acme's was never sent to him.
        frame = until(charlie, "visitors", limit=1)
        assert [r["current_page"]["path"] for r in frame["visitors"]] == ["/r/hats"]
    rows = live(desk.charlie)["visitors"]
    assert [r["current_page"]["path"] for r in rows] == ["/r/hats"]
    assert [r["current_page"]["path"] for r in live(desk.sam)["visitors"]] == ["/p/boots"]
    # Nor a card, nor an invitation.
    acme_id = visitor_id(desk, "acme-visitor")
    for ref in (acme_id, "acme-visitor"):
        r = desk.charlie.get(f"/api/live/visitors/{ref}")
        assert (r.status_code, r.json()["error"]["code"]) == (404, "visitor_not_found")


def test_a_large_list_is_sent_gzipped_to_browsers_that_accept_it(desk: Desk) -> None:
    for i in range(12):
        page(desk, f"g{i}", f"/p/item-{i}", title=f"Item {i}")
    zipped = desk.client.get("/api/live/visitors", headers={
        **desk.sam.headers(), "Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json()["count"] == 12
    plain = desk.client.get("/api/live/visitors", headers={
        **desk.sam.headers(), "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json()["visitors"] == zipped.json()["visitors"]
