"""Export everything about a visitor, erase them everywhere, and expire old events."""

from __future__ import annotations

import time

import httpx

from floorwalker.profiles.retention import purge
from floorwalker.store.engine import make_engine
from floorwalker.tenancy.keys import user_hash
from tests.conftest import Server, Tenant
from tests.helpers import call, profile, send, timeline


async def _known_person(client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, call("track", anon="laptop", event="view_item"),
               call("identify", anon="laptop", userId="ann", traits={"email": "a@x.example"},
                    context={"user_hash": user_hash(alice.identity_secret, "ann")}),
               call("track", anon="laptop", event="add_to_cart"))


async def test_export_holds_everything(client: httpx.AsyncClient, alice: Tenant) -> None:
    await _known_person(client, alice)
    r = await client.get("/api/visitors/ann/export", headers=alice.bearer())
    assert r.status_code == 200
    assert "attachment" in r.headers["content-disposition"]
    doc = r.json()
    assert doc["profile"]["attributes"]["email"] == "a@x.example"
    assert {(i["kind"], i["value"]) for i in doc["identities"]} == {("anon", "laptop"),
                                                                    ("user", "ann")}
    assert [e["name"] for e in doc["events"]] == ["view_item", "identify", "add_to_cart"]


async def test_erase_removes_profile_events_and_identities(client: httpx.AsyncClient,
                                                           alice: Tenant) -> None:
    await _known_person(client, alice)
    r = await client.delete("/api/visitors/ann", headers=alice.bearer())
    assert r.status_code == 200, r.text
    assert r.json()["deleted"]["events"] == 3
    await profile(client, alice, "ann", expect=404)
    await profile(client, alice, "laptop", expect=404)
    # The same browser coming back is a stranger now, with none of the old history.
    await send(client, alice, call("track", anon="laptop", event="view_item"))
    assert [e["name"] for e in await timeline(client, alice, "laptop")] == ["view_item"]
    assert (await profile(client, alice, "laptop"))["user_id"] is None


async def test_retention_deletes_old_events_only(client: httpx.AsyncClient, alice: Tenant,
                                                 server: Server, database_url: str) -> None:
    await send(client, alice, call("track", event="old"))
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"retention_days": 30})
    assert r.json()["retention_days"] == 30
    engine = make_engine(database_url)
    try:
        assert await purge(engine, 0, now=time.time() + 10 * 86400) == 0
        assert await purge(engine, 0, now=time.time() + 31 * 86400) == 1
    finally:
        await engine.dispose()
    assert await timeline(client, alice, "anon-1") == []
    assert (await profile(client, alice, "anon-1"))["event_count"] == 1  # the profile stays
