"""Identity: anonymous history merges into the identified person, never two people into one."""

from __future__ import annotations

import httpx

from floorwalker.tenancy.keys import user_hash
from tests.conftest import Tenant
from tests.helpers import ago, call, profile, send, timeline


def identify(tenant: Tenant, anon: str, user: str, *, hashed: bool = True,
             **traits: object) -> dict[str, object]:
    ctx = {"user_hash": user_hash(tenant.identity_secret, user)} if hashed else {}
    return call("identify", anon=anon, userId=user, traits=dict(traits), context=ctx)


async def test_browser_identify_with_user_hash_merges_history(client: httpx.AsyncClient,
                                                              alice: Tenant) -> None:
    await send(client, alice, call("track", anon="laptop", event="view_item",
                                   timestamp=ago(minutes=5)))
    await send(client, alice, identify(alice, "laptop", "user-42", email="ann@example.com"))
    p = await profile(client, alice, "user-42")
    assert p["user_id"] == "user-42"
    assert p["attributes"]["email"] == "ann@example.com"
    assert (await profile(client, alice, "laptop"))["visitor_id"] == p["visitor_id"]


async def test_same_person_on_two_devices_has_one_profile_and_timeline(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, call("track", anon="laptop", event="view_item",
                                   timestamp=ago(minutes=30)),
               identify(alice, "laptop", "ann"))
    await send(client, alice, call("track", anon="phone", event="add_to_cart",
                                   timestamp=ago(minutes=10),
                                   properties={"items": [{"item_id": "boot", "price": 50}]}))
    await send(client, alice, identify(alice, "phone", "ann"))
    p = await profile(client, alice, "ann")
    assert sorted(p["anonymous_ids"]) == ["laptop", "phone"]
    assert p["cart"]["value"] == 50
    names = [e["name"] for e in await timeline(client, alice, "ann")]
    assert names.count("view_item") == 1 and names.count("add_to_cart") == 1
    assert (await profile(client, alice, "phone"))["visitor_id"] == p["visitor_id"]
    r = await client.get("/api/visitors", headers=alice.bearer())
    assert len(r.json()) == 1


async def test_wrong_user_hash_is_refused(client: httpx.AsyncClient, alice: Tenant) -> None:
    bad = call("identify", anon="laptop", userId="ann", context={"user_hash": "00" * 32})
    body = await send(client, alice, bad, expect=403)
    assert body["error"]["code"] == "invalid_user_hash"
    await profile(client, alice, "ann", expect=404)


async def test_browser_user_id_without_hash_is_not_trusted(client: httpx.AsyncClient,
                                                           alice: Tenant) -> None:
    body = await send(client, alice, identify(alice, "laptop", "ann", hashed=False))
    assert body["warnings"][0]["code"] == "unverified_user_id"
    await profile(client, alice, "ann", expect=404)
    assert (await profile(client, alice, "laptop"))["user_id"] is None
    lone = call("track", anon=None, userId="ann", event="x")
    assert (await send(client, alice, lone, expect=403))["error"]["code"] == "identity_unverified"


async def test_server_key_is_trusted_without_hash(client: httpx.AsyncClient,
                                                  alice: Tenant) -> None:
    await send(client, alice, call("identify", anon=None, userId="ann", traits={"plan": "pro"}),
               server=True)
    assert (await profile(client, alice, "ann"))["attributes"] == {"plan": "pro"}


async def test_two_identified_people_on_one_device_are_never_merged(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, identify(alice, "family-pc", "ann"),
               call("track", anon="family-pc", event="view_item"))
    await send(client, alice, identify(alice, "family-pc", "bob"),
               call("track", anon="family-pc", event="search"))
    ann = await profile(client, alice, "ann")
    bob = await profile(client, alice, "bob")
    assert ann["visitor_id"] != bob["visitor_id"]
    assert [e["name"] for e in await timeline(client, alice, "ann")] == ["identify", "view_item"]
    assert [e["name"] for e in await timeline(client, alice, "bob")] == ["identify", "search"]
    # The device now belongs to whoever signed in last.
    assert (await profile(client, alice, "family-pc"))["visitor_id"] == bob["visitor_id"]


async def test_logout_starts_a_new_anonymous_visitor(client: httpx.AsyncClient,
                                                     alice: Tenant) -> None:
    await send(client, alice, identify(alice, "kiosk-1", "ann"))
    # reset() on logout gives the browser a fresh anonymousId.
    await send(client, alice, call("track", anon="kiosk-2", event="view_item"))
    stranger = await profile(client, alice, "kiosk-2")
    assert stranger["user_id"] is None
    assert stranger["visitor_id"] != (await profile(client, alice, "ann"))["visitor_id"]


async def test_placeholder_ids_are_refused(client: httpx.AsyncClient, alice: Tenant) -> None:
    for placeholder in ("null", "undefined", "0", "anonymous", "", "  "):
        body = await send(client, alice, call("track", anon=placeholder, event="x"), expect=422)
        assert body["error"]["code"] == "invalid_id", placeholder
    body = await send(client, alice, call("identify", anon="a", userId="undefined"),
                      server=True, expect=422)
    assert body["error"]["code"] == "invalid_id"


async def test_alias_links_previous_anonymous_id(client: httpx.AsyncClient,
                                                 alice: Tenant) -> None:
    await send(client, alice, call("track", anon="old-cookie", event="view_item"))
    await send(client, alice, call("alias", anon=None, previousId="old-cookie", userId="ann"),
               server=True)
    p = await profile(client, alice, "ann")
    assert "old-cookie" in p["anonymous_ids"]
    names = [e["name"] for e in await timeline(client, alice, "ann")]
    assert names == ["view_item", "alias"]
    body = await send(client, alice, call("alias", anon="x", previousId="y", userId="ann"),
                      expect=403)
    assert body["error"]["code"] == "identity_unverified"


async def test_alias_never_merges_two_identified_users(client: httpx.AsyncClient,
                                                       alice: Tenant) -> None:
    await send(client, alice, call("identify", anon=None, userId="ann"),
               call("identify", anon=None, userId="bob"), server=True)
    await send(client, alice, call("alias", anon=None, previousId="ann", userId="bob"),
               server=True)
    ann = await profile(client, alice, "ann")
    bob = await profile(client, alice, "bob")
    assert ann["visitor_id"] != bob["visitor_id"]
