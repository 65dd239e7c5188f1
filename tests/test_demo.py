"""`floorwalker demo` prepares a workspace a new user can try at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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


async def test_the_demo_has_a_month_of_reports(settings: Settings, server: object,
                                               client: httpx.AsyncClient) -> None:
    info = await prepare(settings)
    auth = {"Authorization": f"Bearer {info['token']}"}
    since = (datetime.now(UTC).date() - timedelta(days=31)).isoformat()
    funnel = (await client.get("/api/reports/funnel", headers=auth,
                               params={"since": since})).json()
    rows = {s["scenario"]: s for s in funnel["scenarios"]}
    assert {"payment_failure", "big_cart", "coupon_failure", "search_few_results",
            "cross_sell"} <= set(rows)
    for row in rows.values():
        assert row["decided"] > 0 and row["shown"] > 0
    assert sum(r["chats"] for r in rows.values()) > 20
    assert sum(r["orders"] for r in rows.values()) > 20
    lift = (await client.get("/api/reports/lift", headers=auth, params={"since": since})).json()
    tested = {s["scenario"]: s for s in lift["scenarios"]}
    assert set(tested) == {"payment_failure", "big_cart"}  # the ended holdout tests
    assert all(s["held_out"]["visitors"] > 5 for s in tested.values())
    people = (await client.get("/api/reports/agents", headers=auth,
                               params={"since": since})).json()["agents"]
    names = {a["name"] for a in people if a["revenue"].get("EUR")}
    assert names == {"Sam (Sales)", "Bea (Billing and Support)"}
    assert all(a["basket"]["EUR"]["orders"] > 3 for a in people)  # compared with buyers
    # Returning visitors are a part of every scenario's audience.
    returning = (await client.get("/api/reports/funnel", headers=auth,
                                  params={"since": since, "segment": "returning"})).json()
    for row in returning["scenarios"]:
        assert 0 < row["eligible"] < rows[row["scenario"]]["eligible"]
    # The conversations are in the console's history, closed, with both sides' messages.
    r = await client.get("/api/conversations", headers=auth,
                         params={"view": "all", "limit": 5})
    assert r.status_code == 200, r.text
    listed = r.json()["conversations"]
    assert len(listed) == 5 and {c["status"] for c in listed} == {"closed"}
