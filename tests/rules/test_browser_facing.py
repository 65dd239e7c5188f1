"""Invariant 1: the browser receives decisions, never rules, lookup values or sensitive
attributes. Every response a write key can obtain is checked."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant
from tests.rules.helpers import install_playbook, page

SECRET_MARGIN = "0.4242"


async def test_no_browser_response_leaks_rules_or_sensitive_values(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await install_playbook(client, alice)
    await client.patch("/api/workspace/settings", headers=alice.bearer(),
                       json={"sensitive_attributes": ["internal_score"]})
    await client.put("/api/lookups/products", headers={**alice.bearer(),
                                                      "content-type": "text/csv"},
                     content=f"item_id,margin,popular\nboot,{SECRET_MARGIN},true\n")
    await client.post("/v1/identify", headers=alice.server(), json={
        "userId": "ann", "anonymousId": "v", "traits": {"internal_score": 987654}})
    bodies: list[str] = []
    for event, props in [("search", {"search_term": "x", "result_count": 1}),
                         ("add_to_cart", {"item_id": "boot", "price": 600}),
                         ("coupon_failure", {"coupon": "C1"}),
                         ("purchase", {"transaction_id": "t", "value": 600}),
                         ("view_item", {"item_id": "boot"})]:
        r = await client.post("/v1/track", headers=alice.basic(), json={
            "anonymousId": "v", "event": event, "properties": props})
        bodies.append(r.text)
        r = await client.get("/v1/decisions", params={"anonymousId": "v"},
                             headers=alice.basic())
        bodies.append(r.text)
    await page(client, alice, "v", "https://acme.example/?gclid=1")
    bodies.append((await client.get("/v1/decisions", params={"anonymousId": "v"},
                                    headers=alice.basic())).text)
    text = "\n".join(bodies)
    assert '"decisions":[{' in text  # something was shown, so the check means something
    for forbidden in (SECRET_MARGIN, "margin", "987654", "internal_score", '"condition"',
                      '"op"', '"path"', "lookup", "scenario", "payment_failure", "segment",
                      "priority"):
        assert forbidden not in text, forbidden
    # The write key cannot reach the admin API at all.
    for path in ("/api/scenarios", "/api/segments", "/api/lookups", "/api/visitors/v",
                 "/api/decisions"):
        r = await client.get(path, headers=alice.basic())
        assert r.status_code == 401, path
