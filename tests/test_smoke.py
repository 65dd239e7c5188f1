"""The first thing a user does: send an event, read the profile."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant


async def test_tracked_event_shows_on_profile(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/v1/track", headers=alice.basic(), json={
        "anonymousId": "anon-1", "event": "search",
        "properties": {"search_term": "boots", "result_count": 3}})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1
    r = await client.get("/api/visitors/anon-1", headers=alice.bearer())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["anonymous_ids"] == ["anon-1"]
    assert body["event_count"] == 1
    events = (await client.get("/api/visitors/anon-1/events", headers=alice.bearer())).json()
    assert [e["name"] for e in events["events"]] == ["search"]
    assert events["events"][0]["properties"]["search_term"] == "boots"
