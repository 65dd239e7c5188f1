"""`floorwalker demo` prepares a workspace a new user can try at once."""

from __future__ import annotations

import httpx

from floorwalker.config import Settings
from floorwalker.demo import prepare


async def test_demo_workspace_is_ready_to_use(settings: Settings, server: object,
                                              client: httpx.AsyncClient) -> None:
    first = await prepare(settings)
    assert first["token"] and first["server_key"] and first["write_key"]
    again = await prepare(settings)  # a restart keeps the same keys, shows no new secret
    assert again["write_key"] == first["write_key"]
    assert again["token"] is None
    auth = {"Authorization": f"Bearer {first['token']}"}
    scenarios = (await client.get("/api/scenarios", headers=auth)).json()
    assert len(scenarios) == 13
    lookups = (await client.get("/api/lookups", headers=auth)).json()
    assert lookups[0]["name"] == "products"
    r = await client.post("/v1/track", auth=(str(first["write_key"]), ""), json={
        "anonymousId": "demo-visitor", "event": "coupon_failure",
        "properties": {"coupon": "OLD"}})
    assert r.status_code == 200
    r = await client.get("/v1/decisions", params={"anonymousId": "demo-visitor"},
                         auth=(str(first["write_key"]), ""))
    [chat] = r.json()["decisions"]
    assert '"OLD"' in chat["text"]


async def test_demo_ann_is_a_returning_customer(settings: Settings, server: object,
                                                client: httpx.AsyncClient) -> None:
    info = await prepare(settings)
    r = await client.get("/api/visitors/ann@example.com",
                         headers={"Authorization": f"Bearer {info['token']}"})
    ann = r.json()
    assert (ann["customer_type"], ann["purchase_count"]) == ("customer", 3)
    assert ann["attributes"]["first_name"] == "Ann"
