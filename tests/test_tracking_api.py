"""The Segment-compatible tracking API as a site or a Segment library uses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import msgspec
import pytest

from floorwalker.config import Settings
from tests.conftest import Tenant
from tests.helpers import call, iso, profile, send, timeline

IPHONE_FR = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")


async def test_single_calls_and_batch(client: httpx.AsyncClient, alice: Tenant) -> None:
    for path, body in [
        ("/v1/page", {"anonymousId": "a1", "name": "Home", "properties": {"url": "https://acme.example/"}}),
        ("/v1/track", {"anonymousId": "a1", "event": "view_item",
                       "properties": {"item_id": "boot"}}),
        ("/v1/identify", {"anonymousId": "a1", "traits": {"shoe_size": 42}}),
        ("/v1/screen", {"anonymousId": "a1", "name": "Cart"}),
        ("/v1/group", {"anonymousId": "a1", "groupId": "team-1"}),
    ]:
        r = await client.post(path, headers=alice.basic(), json=body)
        assert r.status_code == 200, (path, r.text)
        assert r.json()["success"] is True
    names = [e["name"] for e in await timeline(client, alice, "a1")]
    assert names == ["page_view", "view_item", "identify", "screen_view", "group"]
    page_view = (await timeline(client, alice, "a1"))[0]
    assert page_view["properties"]["page_name"] == "Home"
    assert page_view["context"]["page"]["url"] == "https://acme.example/"


async def test_beacon_text_plain_with_write_key_in_body(client: httpx.AsyncClient,
                                                        alice: Tenant) -> None:
    doc = {"writeKey": alice.write_key, "batch": [call("track", anon="beacon", event="leave")]}
    r = await client.post("/v1/batch", content=msgspec.json.encode(doc),
                          headers={"content-type": "text/plain;charset=UTF-8"})
    assert r.status_code == 200, r.text
    assert [e["name"] for e in await timeline(client, alice, "beacon")] == ["leave"]


async def test_missing_and_unknown_keys_are_401(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/v1/track", json={"anonymousId": "a", "event": "x"})
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "missing_write_key"
    r = await client.post("/v1/track", json={"anonymousId": "a", "event": "x"},
                          headers=alice.basic("fw_pub_nope"))
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unknown_write_key"


async def test_retried_message_is_stored_once(client: httpx.AsyncClient, alice: Tenant) -> None:
    item = call("track", event="purchase",
                properties={"transaction_id": "T9", "value": 10})
    first = await send(client, alice, item)
    again = await send(client, alice, item, dict(item))
    assert first == {"success": True, "accepted": 1, "duplicates": 0}
    assert again["accepted"] == 0 and again["duplicates"] == 2
    assert len(await timeline(client, alice, "anon-1")) == 1
    assert (await profile(client, alice, "anon-1"))["event_count"] == 1


async def test_datalayer_ecommerce_is_flattened(client: httpx.AsyncClient, alice: Tenant) -> None:
    await send(client, alice, call("track", event="view_item", properties={
        "ecommerce": {"currency": "EUR", "value": 30, "items": [{"item_id": "sku-1"}]}}),
               call("track", event="gtm.click", properties={"ecommerce": None, "x": 1}))
    first, second = await timeline(client, alice, "anon-1")
    assert first["properties"] == {"currency": "EUR", "value": 30, "items": [{"item_id": "sku-1"}]}
    assert second["properties"] == {"x": 1}


async def test_enrichment_device_language_source(client: httpx.AsyncClient,
                                                 alice: Tenant) -> None:
    await send(client, alice, call("page", context={
        "userAgent": IPHONE_FR, "locale": "fr-FR",
        "page": {"url": "https://acme.example/boots?gclid=abc",
                 "referrer": "https://www.google.fr/"}}))
    ctx = (await timeline(client, alice, "anon-1"))[0]["context"]
    assert ctx["device"]["device_type"] == "mobile"
    assert ctx["device"]["os"] == "iOS"
    assert ctx["language"] == "fr"
    assert ctx["source"]["medium"] == "paid"
    assert ctx["source"]["click_id"] == "gclid"
    p = await profile(client, alice, "anon-1")
    assert p["language"] == "fr"
    assert p["session"]["source"]["medium"] == "paid"


async def test_accept_language_and_organic_keywords(client: httpx.AsyncClient,
                                                    alice: Tenant) -> None:
    headers = {**alice.basic(), "Accept-Language": "de-CH,de;q=0.9"}
    r = await client.post("/v1/page", headers=headers,
                          json={"anonymousId": "a2", "context": {"page": {
                              "url": "https://acme.example/", "referrer":
                              "https://www.bing.com/search?q=red+boots"}}})
    assert r.status_code == 200
    p = await profile(client, alice, "a2")
    assert p["language"] == "de"
    assert p["session"]["source"] == {**p["session"]["source"], "medium": "organic",
                                      "source": "bing", "keywords": "red boots"}


async def test_geo_from_trusted_ip(client: httpx.AsyncClient, alice: Tenant) -> None:
    # A server library forwards the visitor's IP in context.ip; only the server key may.
    await send(client, alice, call("track", event="x", context={"ip": "8.8.8.8"}), server=True)
    assert (await profile(client, alice, "anon-1"))["geo"]["country"] == "US"
    await send(client, alice, call("track", anon="spoof", event="x", context={"ip": "8.8.8.8"}))
    assert (await profile(client, alice, "spoof"))["geo"] is None


async def test_client_clock_skew_is_corrected(client: httpx.AsyncClient, alice: Tenant) -> None:
    now = datetime.now(UTC)
    skew = timedelta(hours=2)  # the visitor's clock runs two hours fast
    await send(client, alice, call("track", event="x", timestamp=iso(now + skew - timedelta(
        seconds=30)), sentAt=iso(now + skew)))
    ts = (await timeline(client, alice, "anon-1"))[0]["timestamp"]
    assert abs(ts - (now.timestamp() - 30)) < 5


@pytest.mark.parametrize(("doc", "code", "status"), [
    ({"batch": []}, "empty_batch", 422),
    ({"batch": [{"type": "track", "anonymousId": "a"}]}, "invalid_event", 422),
    ({"batch": [{"type": "nope", "anonymousId": "a"}]}, "invalid_event", 422),
    ({"batch": [{"type": "track", "event": "x"}]}, "missing_identity", 422),
    ({"batch": [{"type": "track", "event": "", "anonymousId": "a"}]}, "invalid_event_name", 422),
])
async def test_invalid_events_get_a_clear_error(client: httpx.AsyncClient, alice: Tenant,
                                                doc: dict, code: str, status: int) -> None:
    r = await client.post("/v1/batch", headers=alice.basic(), json=doc)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]


async def test_not_json_is_400(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/v1/batch", headers=alice.basic(), content=b"{not json")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"


async def test_limits(client: httpx.AsyncClient, alice: Tenant, settings: Settings) -> None:
    deep: dict = {}
    node = deep
    for _ in range(settings.max_property_depth + 1):
        node["x"] = {}
        node = node["x"]
    body = await send(client, alice, call("track", event="x", properties=deep), expect=422)
    assert body["error"]["code"] == "limit_exceeded"
    assert body["error"]["details"][0]["path"].startswith("$.batch[0].properties.x")
    long = "y" * (settings.max_string_length + 1)
    body = await send(client, alice, call("track", event="x", properties={"s": long}), expect=422)
    assert body["error"]["code"] == "limit_exceeded"
    many = [call("track", event="x") for _ in range(settings.max_batch_events + 1)]
    body = await send(client, alice, *many, expect=413)
    assert body["error"]["code"] == "batch_too_large"
    r = await client.post("/v1/batch", headers=alice.basic(),
                          content=b" " * (settings.max_body_bytes + 1))
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    # Nothing of the rejected requests was stored.
    await profile(client, alice, "anon-1", expect=404)
