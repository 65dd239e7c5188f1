"""A visitor's profile: sessions, pages, time on site, cart, purchases, attributes."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant
from tests.helpers import ago, call, profile, send, timeline

PAGE = {"url": "https://acme.example/shoes?color=red", "path": "/shoes", "title": "Shoes"}


async def test_session_tracks_pages_landing_and_time_on_site(client: httpx.AsyncClient,
                                                             alice: Tenant) -> None:
    await send(client, alice,
               call("page", timestamp=ago(seconds=300), context={"page": PAGE}),
               call("track", event="page_ping", timestamp=ago(seconds=270),
                    context={"page": PAGE}),
               call("page", timestamp=ago(seconds=200),
                    context={"page": {"url": "https://acme.example/cart", "path": "/cart"}}),
               call("track", event="page_ping", timestamp=ago(seconds=180),
                    context={"page": {"url": "https://acme.example/cart", "path": "/cart"}}))
    p = await profile(client, alice, "anon-1")
    session = p["session"]
    assert p["visit_count"] == 1
    assert session["pages_viewed"] == 2
    assert session["landing_page"]["path"] == "/shoes"
    assert session["current_page"]["path"] == "/cart"
    assert 115 <= session["time_on_site"] <= 125


async def test_inactivity_starts_a_new_visit(client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, call("page", timestamp=ago(hours=3), context={"page": PAGE}))
    await send(client, alice, call("page", timestamp=ago(minutes=1), context={"page": PAGE}))
    p = await profile(client, alice, "anon-1")
    assert p["visit_count"] == 2
    assert p["session"]["number"] == 2
    assert p["session"]["pages_viewed"] == 1


async def test_cart_follows_cart_events(client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice,
               call("track", event="add_to_cart", properties={
                   "currency": "EUR", "items": [{"item_id": "boot", "price": 120, "quantity": 2}]}),
               call("track", event="add_to_cart", properties={
                   "ecommerce": {"items": [{"item_id": "sock", "price": 5}]}}),
               call("track", event="remove_from_cart", properties={
                   "items": [{"item_id": "boot", "quantity": 1}]}))
    cart = (await profile(client, alice, "anon-1"))["cart"]
    assert {i["item_id"]: i["quantity"] for i in cart["items"]} == {"boot": 1, "sock": 1}
    assert cart["value"] == 125
    assert cart["currency"] == "EUR"
    # begin_checkout carries the whole cart: it replaces what we derived.
    await send(client, alice, call("track", event="begin_checkout", properties={
        "value": 600, "items": [{"item_id": "coat", "price": 600, "quantity": 1}]}))
    cart = (await profile(client, alice, "anon-1"))["cart"]
    assert [i["item_id"] for i in cart["items"]] == ["coat"]
    assert cart["value"] == 600


async def test_purchase_makes_a_customer_once_per_order(client: httpx.AsyncClient,
                                                        alice: Tenant) -> None:
    p = await _after(client, alice, call("track", event="add_to_cart", properties={
        "items": [{"item_id": "boot", "price": 120}]}))
    assert p["customer_type"] == "prospect"
    order = {"transaction_id": "T-1", "value": 120, "currency": "EUR",
             "items": [{"item_id": "boot", "price": 120}]}
    p = await _after(client, alice, call("track", event="purchase", properties=order),
                     call("track", event="purchase", properties=order))
    assert p["customer_type"] == "customer"
    assert p["purchase_count"] == 1
    assert p["lifetime_revenue"] == 120
    assert p["cart"]["items"] == []
    p = await _after(client, alice, call("track", event="refund",
                                         properties={"transaction_id": "T-1", "value": 20}))
    assert p["lifetime_revenue"] == 100


async def test_attribute_set_set_once_unset(client: httpx.AsyncClient, alice: Tenant) -> None:
    p = await _after(client, alice, call("track", event="newsletter", properties={
        "$set": {"plan": "free", "loyalty": "silver"},
        "$set_once": {"first_campaign": "spring"}}))
    assert p["attributes"] == {"plan": "free", "loyalty": "silver", "first_campaign": "spring"}
    p = await _after(client, alice, call("track", event="upgrade", properties={
        "$set": {"plan": "pro"}, "$set_once": {"first_campaign": "autumn"},
        "$unset": ["loyalty"]}))
    assert p["attributes"] == {"plan": "pro", "first_campaign": "spring"}


async def test_sensitive_attributes_only_from_the_server(client: httpx.AsyncClient,
                                                         alice: Tenant) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"sensitive_attributes": ["vip", "margin_tier"]})
    assert r.status_code == 200, r.text
    p = await _after(client, alice, call("track", event="x", properties={
        "$set": {"vip": True, "shoe_size": 42}}))
    assert p["attributes"] == {"shoe_size": 42}
    await send(client, alice, call("track", event="x", properties={"$set": {"vip": True}}),
               server=True)
    assert (await profile(client, alice, "anon-1"))["attributes"]["vip"] is True


async def test_timeline_pages_newest_first(client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, *[call("track", event=f"e{i}", timestamp=ago(seconds=60 - i))
                                for i in range(7)])
    r = await client.get("/api/visitors/anon-1/events", headers=alice.bearer(),
                         params={"limit": 3})
    first = r.json()
    assert [e["name"] for e in first["events"]] == ["e6", "e5", "e4"]
    r = await client.get("/api/visitors/anon-1/events", headers=alice.bearer(),
                         params={"limit": 3, "before": first["next_before"]})
    assert [e["name"] for e in r.json()["events"]] == ["e3", "e2", "e1"]
    assert len(await timeline(client, alice, "anon-1")) == 7


async def _after(client: httpx.AsyncClient, alice: Tenant, *calls: dict[str, object]) -> dict:
    await send(client, alice, *calls)
    return await profile(client, alice, "anon-1")
