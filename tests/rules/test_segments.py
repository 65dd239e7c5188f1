"""Live segments: membership on every event, timeline records, top three, edits."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant
from tests.helpers import profile, timeline
from tests.rules.helpers import track


def segment(key: str, priority: int, condition: dict, cls: str = "behavioural") -> dict:
    return {"key": key, "name": key.title(), "priority": priority, "class": cls,
            "color": "#112233", "condition": condition}


async def add(client: httpx.AsyncClient, tenant: Tenant, doc: dict) -> None:
    r = await client.post("/api/segments", headers=tenant.bearer(), json=doc)
    assert r.status_code == 201, r.text


async def test_membership_is_live_and_on_the_timeline(client: httpx.AsyncClient,
                                                      alice: Tenant) -> None:
    await add(client, alice, segment("big_cart", 50,
                                     {"path": "visitor.cart.value", "op": "gt", "value": 100}))
    await track(client, alice, "v", "add_to_cart", items=[{"item_id": "a", "price": 150}])
    p = await profile(client, alice, "v")
    assert [s["key"] for s in p["segments"]] == ["big_cart"]
    await track(client, alice, "v", "remove_from_cart", items=[{"item_id": "a"}])
    assert (await profile(client, alice, "v"))["segments"] == []
    names = [(e["name"], e["properties"].get("segment")) for e in
             await timeline(client, alice, "v")]
    assert names == [("add_to_cart", None), ("segment_entered", "big_cart"),
                     ("remove_from_cart", None), ("segment_left", "big_cart")]


async def test_many_segments_top_three_by_priority(client: httpx.AsyncClient,
                                                   alice: Tenant) -> None:
    always = {"path": "visitor.event_count", "op": "gte", "value": 1}
    for key, prio in (("a", 10), ("b", 40), ("c", 30), ("d", 20), ("e", 50)):
        await add(client, alice, segment(key, prio, always))
    await track(client, alice, "v", "x")
    p = await profile(client, alice, "v")
    assert [s["key"] for s in p["segments"]] == ["e", "b", "c", "d", "a"]
    assert [s["key"] for s in p["top_segments"]] == ["e", "b", "c"]
    assert p["top_segments"][0] == {**p["top_segments"][0], "name": "E", "color": "#112233"}


async def test_editing_a_segment_re_evaluates_live_visitors(client: httpx.AsyncClient,
                                                            alice: Tenant) -> None:
    await track(client, alice, "v", "add_to_cart", items=[{"item_id": "a", "price": 80}])
    await add(client, alice, segment("big_cart", 50,
                                     {"path": "visitor.cart.value", "op": "gt", "value": 100}))
    assert (await profile(client, alice, "v"))["segments"] == []
    doc = segment("big_cart", 50, {"path": "visitor.cart.value", "op": "gt", "value": 50})
    r = await client.put("/api/segments/big_cart", headers=alice.bearer(), json=doc)
    assert r.status_code == 200, r.text
    assert [s["key"] for s in (await profile(client, alice, "v"))["segments"]] == ["big_cart"]
    r = await client.delete("/api/segments/big_cart", headers=alice.bearer())
    assert r.status_code == 200
    await track(client, alice, "v", "x")
    assert (await profile(client, alice, "v"))["segments"] == []


async def test_invalid_definitions_name_the_path(client: httpx.AsyncClient,
                                                 alice: Tenant) -> None:
    r = await client.post("/api/segments", headers=alice.bearer(), json=segment(
        "s", 1, {"all": [{"path": "visitor.cartt.value", "op": "gt", "value": 1}]}))
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_segment"
    assert error["details"][0]["path"].startswith("$.condition.all[0]")
    assert "visitor.cart" in error["details"][0]["problem"]
    r = await client.post("/api/segments", headers=alice.bearer(), json=segment(
        "s", 1, {"path": "event.name", "op": "matches", "value": "(unclosed"}))
    assert r.status_code == 422
    r = await client.post("/api/segments", headers=alice.bearer(), json={
        **segment("s", 1, {}), "priority": "high"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["path"] == "$.priority"
    r = await client.post("/api/scenarios", headers=alice.bearer(), json={
        "key": "x", "name": "x", "trigger": {"event": "a", "idle": "30s"},
        "action": {"type": "popup", "text": {"en": "{% include 'x' %}"}}})
    assert r.status_code == 422
    paths = {d["path"] for d in r.json()["error"]["details"]}
    assert {"$.trigger", "$.action.text"} <= paths
    r = await client.post("/api/conditions/validate", headers=alice.bearer(),
                          json={"condition": {"path": "geo.country", "op": "in", "value": "FR"}})
    assert r.json()["valid"] is False


async def test_an_outsider_cannot_see_or_change_rules(client: httpx.AsyncClient,
                                                      alice: Tenant, charlie: Tenant) -> None:
    await add(client, alice, segment("vip", 1, {"path": "visitor.customer", "op": "eq",
                                                "value": True}))
    assert (await client.get("/api/segments", headers=charlie.bearer())).json() == []
    r = await client.get("/api/segments/vip", headers=charlie.bearer())
    assert r.status_code == 404
    r = await client.delete("/api/segments/vip", headers=charlie.bearer())
    assert r.status_code == 404
