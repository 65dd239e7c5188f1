"""Conversion goals, filters and baskets (hand-computed figures).

A workspace names the event that counts (``sign_up``, or ``purchase`` of at least some
value); a scenario may name its own event, least value and window. Reports filter by the
segment the visitor was in at the time and by department, and compare the average order
of chatters with that of comparable buyers who did not chat.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import conversions, decisions
from tests.conftest import Tenant
from tests.helpers import call, iso, send
from tests.measure.test_agents import write_chats
from tests.measure.test_funnel import DAY0, Traffic, at, purchase, visitor_id
from tests.rules.helpers import track

HOUR = 3600.0


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, timers_enabled=False)


def event(anon: str, name: str, hours: float, **props: Any) -> dict[str, Any]:
    return call("track", anon, event=name, properties=props, timestamp=iso(at(hours)))


async def scenario(client: httpx.AsyncClient, tenant: Tenant, key: str,
                   **extra: Any) -> httpx.Response:
    return await client.post("/api/scenarios", headers=tenant.bearer(), json={
        "key": key, "name": key.title(), "trigger": {"event": f"{key}_ping"},
        "needs_agent": False, "action": {"type": "popup", "text": {"en": "Hi"}}, **extra})


async def funnel(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    r = await client.get("/api/reports/funnel", headers=tenant.bearer(),
                         params={"since": DAY0, "until": DAY0, **params})
    assert r.status_code == 200, r.text
    return {(s["scenario"], s["variant"]): s for s in r.json()["scenarios"]} | {
        "_report": r.json()}


async def settings_patch(client: httpx.AsyncClient, tenant: Tenant, **body: Any) -> None:
    r = await client.patch("/api/workspace/settings", headers=tenant.bearer(), json=body)
    assert r.status_code == 200, r.text


async def test_the_workspace_goal_names_the_event_and_its_least_value(
        client: httpx.AsyncClient, alice: Tenant, database_url: str) -> None:
    await settings_patch(client, alice, conversion_event="sign_up")
    v1, v2 = [await visitor_id(client, alice, f"anon-{n}") for n in (1, 2)]
    t = Traffic(database_url, alice.workspace_id)
    t.decision("d1", v1, "welcome", None, 0)
    t.decision("d2", v2, "welcome", None, 0)
    await t.write()
    await send(client, alice, event("anon-1", "sign_up", 1),
               purchase("anon-2", "o-2", 80, 1), server=True)

    row = (await funnel(client, alice))[("welcome", None)]
    assert (row["decided"], row["converted"], row["orders"]) == (2, 1, 1)  # v1 signed up
    assert row["revenue"] == {}  # a sign-up has no value: no revenue line
    assert row["goal"] == {"event": "sign_up", "min_value": None, "window_hours": 48}

    # Purchases of at least 100: v2's 80 EUR order is not one; at least 50 it is.
    await settings_patch(client, alice, conversion_event="purchase", conversion_min_value=100)
    row = (await funnel(client, alice))[("welcome", None)]
    assert (row["converted"], row["revenue"]) == (0, {})
    await settings_patch(client, alice, conversion_min_value=50)
    row = (await funnel(client, alice))[("welcome", None)]
    assert (row["converted"], row["revenue"]) == (1, {"EUR": 80.0})
    # null clears the least value; the event stays as it was.
    await settings_patch(client, alice, conversion_min_value=None)
    got = (await client.get("/api/workspace", headers=alice.bearer())).json()["settings"]
    assert got["conversion_event"] == "purchase" and "conversion_min_value" not in got


async def test_a_scenario_measures_its_own_event_within_its_own_window(
        client: httpx.AsyncClient, alice: Tenant, database_url: str) -> None:
    r = await scenario(client, alice, "signup_nudge",
                       conversion={"event": "sign_up", "window_hours": 2})
    assert r.status_code == 201, r.text
    assert (await scenario(client, alice, "rescue")).status_code == 201
    v1, v2 = [await visitor_id(client, alice, f"anon-{n}") for n in (1, 2)]
    t = Traffic(database_url, alice.workspace_id)
    t.decision("d1", v1, "signup_nudge", None, 0)
    t.decision("d2", v2, "signup_nudge", None, 0)
    t.decision("d3", v1, "rescue", None, 0)
    await t.write()
    # v1 signs up within 2 h, v2 after 3 h; v1 buys 40 EUR five hours later.
    await send(client, alice, event("anon-1", "sign_up", 1), event("anon-2", "sign_up", 3),
               purchase("anon-1", "o-1", 40, 5), server=True)

    rows = await funnel(client, alice)
    nudge, rescue = rows[("signup_nudge", None)], rows[("rescue", None)]
    assert (nudge["converted"], nudge["orders"], nudge["revenue"]) == (1, 1, {})
    assert nudge["goal"] == {"event": "sign_up", "min_value": None, "window_hours": 2}
    assert (rescue["converted"], rescue["revenue"]) == (1, {"EUR": 40.0})
    assert rescue["goal"]["event"] == "purchase"

    # A window the request names applies to every scenario: 4 h takes in v2's sign-up
    # and leaves out v1's purchase.
    rows = await funnel(client, alice, window_hours=4)
    assert rows[("signup_nudge", None)]["converted"] == 2
    assert rows[("rescue", None)]["converted"] == 0


@pytest.mark.parametrize(("conversion", "path"), [
    ({"window_hours": 0}, "$.conversion.window_hours"),
    ({"window_hours": 721}, "$.conversion.window_hours"),
    ({"event": " "}, "$.conversion.event"),
    ({"min_value": -1}, "$.conversion.min_value"),
])
async def test_a_scenario_goal_is_checked(client: httpx.AsyncClient, alice: Tenant,
                                          conversion: dict[str, Any], path: str) -> None:
    r = await scenario(client, alice, "nudge", conversion=conversion)
    assert r.status_code == 422, r.text
    assert path in r.text


@pytest.mark.parametrize("body", [{"conversion_event": ""}, {"conversion_event": " x"},
                                  {"conversion_event": "x" * 256},
                                  {"conversion_min_value": -5}])
async def test_workspace_goal_settings_are_checked(client: httpx.AsyncClient, alice: Tenant,
                                                   body: dict[str, Any]) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(), json=body)
    assert r.status_code == 422, r.text


async def _conversion_rows(database_url: str) -> list[tuple[str, str, str | None]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(r) for r in await conn.execute(select(
                conversions.c.name, conversions.c.transaction_id, conversions.c.segments
            ).order_by(conversions.c.name))]  # type: ignore[misc]
    finally:
        await engine.dispose()


async def test_one_order_counts_once_per_event_name(client: httpx.AsyncClient, alice: Tenant,
                                                    database_url: str) -> None:
    await settings_patch(client, alice, conversion_event="Order Completed")
    await send(client, alice, purchase("anon-1", "o-1", 50, 0),
               event("anon-1", "Order Completed", 0, order_id="o-1", revenue=50),
               event("anon-1", "Order Completed", 0.1, order_id="o-1", revenue=50),
               event("anon-1", "newsletter", 0.2), server=True)
    assert [r[:2] for r in await _conversion_rows(database_url)] == [
        ("Order Completed", "o-1"), ("purchase", "o-1")]


async def test_decisions_and_conversions_keep_the_segments_of_the_moment(
        client: httpx.AsyncClient, alice: Tenant, database_url: str) -> None:
    r = await client.post("/api/segments", headers=alice.bearer(), json={
        "key": "big_cart", "name": "Big cart", "color": "#112233",
        "condition": {"path": "visitor.cart.value", "op": "gt", "value": 100}})
    assert r.status_code == 201, r.text
    assert (await scenario(client, alice, "nudge")).status_code == 201
    await track(client, alice, "v", "add_to_cart", items=[{"item_id": "a", "price": 150}])
    await track(client, alice, "v", "nudge_ping")
    await track(client, alice, "w", "nudge_ping")  # in no segment
    await track(client, alice, "v", "purchase", server=True, transaction_id="o-9",
                value=150, currency="EUR")
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            kept = sorted((r.outcome, r.segments or "") for r in await conn.execute(
                select(decisions.c.outcome, decisions.c.segments).where(
                    decisions.c.scenario_key == "nudge")))
    finally:
        await engine.dispose()
    assert kept == [("fired", ""), ("fired", ",big_cart,")]
    assert await _conversion_rows(database_url) == [("purchase", "o-9", ",big_cart,")]


async def test_segment_and_department_filters(client: httpx.AsyncClient, alice: Tenant,
                                              database_url: str) -> None:
    r = await client.post("/api/departments", headers=alice.bearer(),
                          json={"key": "billing", "name": "Billing"})
    assert r.status_code == 201, r.text
    assert (await scenario(client, alice, "rescue", department="billing")).status_code == 201
    assert (await scenario(client, alice, "upsell")).status_code == 201
    v1, v2, v3 = [await visitor_id(client, alice, f"anon-{n}") for n in (1, 2, 3)]
    t = Traffic(database_url, alice.workspace_id)
    t.decision("d1", v1, "rescue", None, 0, segments=",new,vip,")
    t.decision("d2", v2, "rescue", None, 0, segments=",new,")
    t.decision("d3", v3, "upsell", None, 0)
    t.decision("d4", v1, "upsell", None, 0.5, segments=",vip,")
    await t.write()

    rows = await funnel(client, alice, segment="vip")
    assert {k: v["eligible"] for k, v in rows.items() if k != "_report"} == {
        ("rescue", None): 1, ("upsell", None): 1}
    assert rows["_report"]["filters"] == {"scenario": None, "segment": "vip",
                                          "department": None}
    rows = await funnel(client, alice, department="billing")
    assert {k: v["eligible"] for k, v in rows.items() if k != "_report"} == {
        ("rescue", None): 2}
    rows = await funnel(client, alice, segment="vi")  # a key, not a prefix
    assert [k for k in rows if k != "_report"] == []
    lift = await client.get("/api/reports/lift", headers=alice.bearer(),
                            params={"since": DAY0, "until": DAY0, "department": "billing"})
    assert lift.status_code == 200 and lift.json()["filters"]["department"] == "billing"


async def test_basket_of_chatters_against_comparable_buyers(
        client: httpx.AsyncClient, alice: Tenant, database_url: str) -> None:
    r = await client.post("/api/agents", headers=alice.bearer(), json={
        "email": "ann@alice.example", "name": "Ann", "departments": ["sales"]})
    assert r.status_code == 201, r.text
    ann = r.json()["id"]
    ws, start = alice.workspace_id, at(0).timestamp()
    convs, msgs, bought = [], [], []
    # Ann's chats: a VIP who buys 120 EUR and a new visitor who buys 40, an hour later.
    for cid, visitor, dept, segments in (("c1", "v1", "sales", ",vip,"),
                                         ("c2", "v2", "billing", ",new,")):
        convs.append({"id": cid, "workspace_id": ws, "visitor_id": visitor,
                      "status": "closed", "department": dept, "segments": segments,
                      "last_seq": 2, "started_at": start, "updated_at": start + 60,
                      "closed_at": start + 60})
        for seq, author in ((1, "visitor"), (2, "agent")):
            msgs.append({"id": f"{cid}-{seq}", "conversation_id": cid, "workspace_id": ws,
                         "seq": seq, "author": author,
                         "author_id": ann if author == "agent" else None, "text": "x",
                         "internal": False, "created_at": start + seq})
    # Buyers who did not chat, the same day: VIPs 60 and 80 (average 70), new ones 20 and
    # 40 (average 30), and a segment no chatter was in (999: compared with nobody).
    for n, (visitor, value, segments) in enumerate((
            ("v1", 120, ",vip,"), ("v2", 40, ",new,"), ("v3", 60, ",vip,"),
            ("v4", 80, ",vip,"), ("v5", 20, ",new,"), ("v6", 40, ",new,"),
            ("v7", 999, ",other,"))):
        bought.append({"workspace_id": ws, "visitor_id": visitor, "name": "purchase",
                       "transaction_id": f"o-{n}", "value": value, "currency": "EUR",
                       "ts": start + HOUR, "segments": segments})
    await write_chats(database_url, convs, msgs, bought)

    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"since": DAY0, "until": DAY0})
    assert r.status_code == 200, r.text
    report = r.json()
    # Chatters: (120 + 40) / 2 = 80; comparable: (70 + 30) / 2 = 50.
    expected = {"EUR": {"orders": 2.0, "chatters": 80.0, "comparable": 50.0,
                        "difference": 30.0}}
    assert report["basket"] == expected
    assert [a["basket"] for a in report["agents"]] == [expected]
    by_dept = {d["department"]: d["basket"] for d in report["departments"]}
    assert by_dept == {"billing": {"EUR": {"orders": 1.0, "chatters": 40.0,
                                           "comparable": 30.0, "difference": 10.0}},
                       "sales": {"EUR": {"orders": 1.0, "chatters": 120.0,
                                         "comparable": 70.0, "difference": 50.0}}}

    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"since": DAY0, "until": DAY0, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(x["name"], x["basket_EUR"], x["comparable_basket_EUR"]) for x in rows] == [
        ("Ann", "80.0", "50.0")]

    # Filters: the VIP segment's chats, the billing department's.
    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"since": DAY0, "until": DAY0, "segment": "vip"})
    assert [(a["chats"], a["revenue"]) for a in r.json()["agents"]] == [(1, {"EUR": 120.0})]
    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"since": DAY0, "until": DAY0, "department": "billing"})
    assert [d["department"] for d in r.json()["departments"]] == ["billing"]
    assert r.json()["basket"]["EUR"]["chatters"] == 40.0


async def test_a_goal_named_later_counts_its_stored_events_after_a_backfill(
        client: httpx.AsyncClient, alice: Tenant, database_url: str) -> None:
    v1, v2 = [await visitor_id(client, alice, f"anon-{n}") for n in (1, 2)]
    t = Traffic(database_url, alice.workspace_id)
    t.decision("d1", v1, "welcome", None, 0)
    t.decision("d2", v2, "welcome", None, 0)
    await t.write()
    # Sign-ups came before any goal named them: stored as events, not as conversions.
    await send(client, alice, event("anon-1", "sign_up", 1), event("anon-2", "sign_up", 2),
               event("anon-2", "newsletter", 2), server=True)
    await settings_patch(client, alice, conversion_event="sign_up")
    assert (await funnel(client, alice))[("welcome", None)]["converted"] == 0

    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url}

    def backfill() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "floorwalker.cli", "report", "backfill",
                               "--workspace", "acme", "--event", "sign_up"], env=env,
                              capture_output=True, text=True, timeout=120, check=False)

    done = await asyncio.to_thread(backfill)
    assert done.returncode == 0, done.stderr
    assert "sign_up: 2 stored events, 2 new conversions recorded" in done.stdout
    assert (await funnel(client, alice))[("welcome", None)]["converted"] == 2
    again = await asyncio.to_thread(backfill)  # nothing counts twice
    assert "2 stored events, 0 new conversions recorded" in again.stdout
    assert (await funnel(client, alice))[("welcome", None)]["converted"] == 2
