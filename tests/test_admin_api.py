"""Workspaces, sites, keys and tokens; a workspace's key reads and writes nothing of another."""

from __future__ import annotations

import httpx

from floorwalker.store.engine import make_engine
from floorwalker.tenancy import service
from tests.conftest import Tenant
from tests.helpers import call, profile, send


async def _instance_token(url: str) -> str:
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            return await service.create_token(conn, None, "ops")
    finally:
        await engine.dispose()


async def test_instance_token_creates_workspaces(client: httpx.AsyncClient, database_url: str,
                                                 alice: Tenant) -> None:
    token = await _instance_token(database_url)
    auth = {"Authorization": f"Bearer {token}"}
    r = await client.post("/api/workspaces", headers=auth, json={"slug": "globex"})
    assert r.status_code == 201, r.text
    assert r.json()["slug"] == "globex"
    r = await client.post("/api/workspaces", headers=auth, json={"slug": "globex"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "workspace_exists"
    r = await client.post("/api/workspaces", headers=auth, json={"slug": "Not A Slug"})
    assert r.json()["error"]["code"] == "invalid_slug"
    slugs = {w["slug"] for w in (await client.get("/api/workspaces", headers=auth)).json()}
    assert {"acme", "globex"} <= slugs
    # A workspace token can neither create workspaces nor see the others.
    r = await client.post("/api/workspaces", headers=alice.bearer(), json={"slug": "mine"})
    assert r.status_code == 403
    own = (await client.get("/api/workspaces", headers=alice.bearer())).json()
    assert [w["slug"] for w in own] == ["acme"]
    # An instance token does not act inside a workspace.
    r = await client.get("/api/visitors", headers=auth)
    assert r.json()["error"]["code"] == "workspace_token_required"


async def test_site_keys_and_rotation(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/api/sites", headers=alice.bearer(),
                          json={"name": "Blog", "domain": "blog.acme.example"})
    assert r.status_code == 201
    site = r.json()
    assert site["write_key"].startswith("fw_pub_")
    assert site["server_key"].startswith("fw_srv_")
    listed = (await client.get("/api/sites", headers=alice.bearer())).json()
    assert {s["name"] for s in listed} == {"acme shop", "Blog"}
    assert all("server_key" not in s for s in listed)  # shown once, stored hashed
    old_key = alice.write_key
    r = await client.post(f"/api/sites/{alice.site_id}/rotate-keys", headers=alice.bearer())
    assert r.status_code == 200
    new_key = r.json()["write_key"]
    assert new_key != old_key
    r = await client.post("/v1/track", headers=alice.basic(old_key),
                          json={"anonymousId": "a", "event": "x"})
    assert r.status_code == 401
    r = await client.post("/v1/track", headers=alice.basic(new_key),
                          json={"anonymousId": "a", "event": "x"})
    assert r.status_code == 200


async def test_tokens(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/api/tokens", headers=alice.bearer(), json={"name": "bob"})
    assert r.status_code == 201
    bob = r.json()["token"]
    assert (await client.get("/api/sites", headers=alice.bearer(bob))).status_code == 200
    r = await client.get("/api/sites", headers=alice.bearer("fw_adm_forged"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unknown_token"
    r = await client.get("/api/sites")
    assert r.json()["error"]["code"] == "missing_token"


async def test_workspaces_are_isolated(client: httpx.AsyncClient, alice: Tenant,
                                       charlie: Tenant) -> None:
    await send(client, alice, call("track", anon="shared-id", event="alice_event"))
    await send(client, charlie, call("track", anon="shared-id", event="charlie_event"))
    mine = await profile(client, alice, "shared-id")
    theirs = await profile(client, charlie, "shared-id")
    assert mine["visitor_id"] != theirs["visitor_id"]
    # charlie's token cannot read alice's visitor by id, events, export, or erase it.
    vid = mine["visitor_id"]
    for method, path in [("GET", f"/api/visitors/{vid}"), ("GET", f"/api/visitors/{vid}/events"),
                         ("GET", f"/api/visitors/{vid}/export"),
                         ("DELETE", f"/api/visitors/{vid}"),
                         ("GET", f"/api/sites/{alice.site_id}"),
                         ("POST", f"/api/sites/{alice.site_id}/rotate-keys")]:
        r = await client.request(method, path, headers=charlie.bearer())
        assert r.status_code == 404, (method, path, r.text)
    events = (await client.get("/api/visitors/shared-id/events",
                               headers=charlie.bearer())).json()["events"]
    assert [e["name"] for e in events] == ["charlie_event"]
    # The same messageId in two workspaces is two events.
    item = call("track", anon="m", event="x")
    assert (await send(client, alice, item))["accepted"] == 1
    assert (await send(client, charlie, item))["accepted"] == 1


async def test_server_key_reads_profiles_but_cannot_manage(client: httpx.AsyncClient,
                                                           alice: Tenant) -> None:
    await send(client, alice, call("track", event="x"))
    auth = {"Authorization": f"Bearer {alice.server_key}"}
    assert (await client.get("/api/visitors/anon-1", headers=auth)).status_code == 200
    r = await client.post("/api/sites", headers=auth, json={"name": "x"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "admin_token_required"
