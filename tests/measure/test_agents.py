"""Sales and support per agent and department, with last, first and linear credit
(hand-computed figures)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from floorwalker.chat.service import record_past
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import conversions
from tests.conftest import Tenant
from tests.measure.test_funnel import T0

HOUR = 3600.0
START = T0.timestamp()


async def create_agent(client: httpx.AsyncClient, tenant: Tenant, name: str) -> str:
    r = await client.post("/api/agents", headers=tenant.bearer(), json={
        "email": f"{name.lower()}@{tenant.slug}.example", "name": name,
        "departments": ["sales"], "max_chats": 3})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


@pytest.fixture
async def chats(client: httpx.AsyncClient, alice: Tenant, database_url: str) -> dict[str, str]:
    """c1: Ann then Ben answer, the visitor buys 100 an hour later, rated 5.
    c2: Ann answers after 2 minutes, no order, rated 3.
    c3: only Ann wrote (no visitor message): not a chat for the report.
    c4: Ben, for a customer who had bought before (after-sales); 30 bought after; open.
    c5: Ann; the visitor buys 50 hours after it ended (outside 48 h)."""
    ann, ben = (await create_agent(client, alice, "Ann"),
                await create_agent(client, alice, "Ben"))
    ws = alice.workspace_id
    convs: list[dict[str, Any]] = []
    msgs: list[dict[str, Any]] = []
    bought: list[dict[str, Any]] = []

    def chat(cid: str, visitor: str, dept: str, lines: list[tuple[str, str | None, float]],
             closed: float | None, rating: int | None = None) -> None:
        convs.append({"id": cid, "workspace_id": ws, "visitor_id": visitor, "status":
                      "closed" if closed else "open", "department": dept,
                      "last_seq": len(lines), "started_at": START,
                      "updated_at": START + max(t for _a, _i, t in lines),
                      "closed_at": START + closed if closed else None, "rating": rating})
        for seq, (author, author_id, at) in enumerate(lines, 1):
            msgs.append({"id": f"{cid}-{seq}", "conversation_id": cid, "workspace_id": ws,
                         "seq": seq, "author": author, "author_id": author_id, "text": "x",
                         "internal": False, "created_at": START + at})

    def buy(visitor: str, value: float, at: float) -> None:
        bought.append({"workspace_id": ws, "visitor_id": visitor, "name": "purchase",
                       "transaction_id": f"o-{visitor}-{at}", "value": value,
                       "currency": "EUR", "ts": START + at})

    chat("c1", "v1", "sales", [("visitor", "anon", 0), ("agent", ann, 30),
                               ("agent", ben, 60)], 600, 5)
    buy("v1", 100, HOUR)
    chat("c2", "v2", "sales", [("visitor", "anon", 0), ("agent", ann, 120)], 300, 3)
    chat("c3", "v3", "support", [("agent", ann, 10)], 20)
    chat("c4", "v4", "support", [("visitor", "anon", 0), ("agent", ben, 10),
                                 ("visitor", "anon", 100)], None)
    buy("v4", 20, -24 * HOUR)
    buy("v4", 30, 5 * HOUR)
    chat("c5", "v5", "sales", [("visitor", "anon", 0), ("agent", ann, 45)], 200)
    buy("v5", 50, 200 + 50 * HOUR)
    # An internal note does not make an agent part of a chat.
    msgs.append({"id": "c2-note", "conversation_id": "c2", "workspace_id": ws, "seq": 9,
                 "author": "agent", "author_id": ben, "text": "note", "internal": True,
                 "created_at": START + 130})
    await write_chats(database_url, convs, msgs, bought)
    return {"ann": ann, "ben": ben}


async def write_chats(database_url: str, convs: list[dict[str, Any]],
                      msgs: list[dict[str, Any]], bought: list[dict[str, Any]]) -> None:
    """Past chats and orders, written as an import writes them."""
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await record_past(conn, convs, msgs)
            await conn.execute(insert(conversions), bought)
    finally:
        await engine.dispose()


async def report(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    r = await client.get("/api/reports/agents", headers=tenant.bearer(), params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_last_agent_credit_and_support_figures(
        chats: dict[str, str], client: httpx.AsyncClient, alice: Tenant) -> None:
    body = await report(client, alice)
    assert body["credit"] == "last"
    people = {a["name"]: a for a in body["agents"]}
    ann, ben = people["Ann"], people["Ben"]
    assert (ann["chats"], ann["credited_chats"], ann["converted"]) == (3, 2.0, 0.0)
    assert ann["revenue"] == {} and ann["after_sales"] == 0
    assert ann["first_response_seconds"] == {"p50": 45.0, "p90": 120.0}
    assert ann["resolution_seconds"] == {"p50": 200.0, "p90": 300.0}
    assert ann["rating"] == {"average": 3.0, "count": 1}
    assert (ben["chats"], ben["credited_chats"], ben["converted"]) == (2, 2.0, 2.0)
    assert ben["revenue"] == {"EUR": 130.0} and ben["conversion_rate"] == 1.0
    assert ben["after_sales"] == 1
    assert ben["first_response_seconds"] == {"p50": 10.0, "p90": 10.0}
    assert ben["resolution_seconds"] == {"p50": 600.0, "p90": 600.0}  # c4 is still open
    assert ben["rating"] == {"average": 5.0, "count": 1}
    depts = {d["department"]: d for d in body["departments"]}
    assert (depts["sales"]["chats"], depts["sales"]["converted"]) == (3, 1)
    assert depts["sales"]["revenue"] == {"EUR": 100.0} and depts["sales"]["rating"] == 4.0
    assert (depts["support"]["chats"], depts["support"]["after_sales"]) == (1, 1)
    assert depts["support"]["revenue"] == {"EUR": 30.0}


async def test_first_and_linear_credit(chats: dict[str, str], client: httpx.AsyncClient,
                                       alice: Tenant) -> None:
    first = {a["name"]: a for a in (await report(client, alice, credit="first"))["agents"]}
    assert (first["Ann"]["credited_chats"], first["Ann"]["converted"]) == (3.0, 1.0)
    assert first["Ann"]["revenue"] == {"EUR": 100.0}
    assert (first["Ben"]["credited_chats"], first["Ben"]["revenue"]) == (1.0, {"EUR": 30.0})
    linear = {a["name"]: a for a in (await report(client, alice, credit="linear"))["agents"]}
    assert (linear["Ann"]["credited_chats"], linear["Ann"]["converted"]) == (2.5, 0.5)
    assert linear["Ann"]["revenue"] == {"EUR": 50.0}
    assert linear["Ben"]["revenue"] == {"EUR": 80.0}
    assert linear["Ben"]["converted"] == 1.5


async def test_csv_and_who_may_see_it(chats: dict[str, str], client: httpx.AsyncClient,
                                      alice: Tenant) -> None:
    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert rows["Ben"]["revenue_EUR"] == "130.00" and rows["Ann"]["chats"] == "3"
    r = await client.get("/api/reports/agents", headers=alice.bearer(),
                         params={"credit": "most"})
    assert r.status_code == 422
    r = await client.get("/api/reports/agents")
    assert r.status_code == 401


async def test_a_shorter_window_drops_the_late_order(
        chats: dict[str, str], client: httpx.AsyncClient, alice: Tenant) -> None:
    ben = next(a for a in (await report(client, alice, window_hours=4))["agents"]
               if a["name"] == "Ben")
    # c4 ended at +100 s: the order at +5 h is outside 4 h; c1's at +1 h stays.
    assert ben["revenue"] == {"EUR": 100.0} and ben["converted"] == 1.0
    later = (T0 + timedelta(days=1)).date().isoformat()
    assert (await report(client, alice, since=later, until=later))["agents"] == []


async def test_the_cli_prints_the_agents(chats: dict[str, str], client: httpx.AsyncClient,
                                         alice: Tenant, database_url: str) -> None:
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url, "COLUMNS": "220"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "floorwalker.cli", "report", "agents",
                               "--workspace", "acme", *args], env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    shown = await asyncio.to_thread(cli, "--credit", "linear")
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if chats["ben"] in x)
    assert "80.00 EUR" in line and "1.5" in line
    as_csv = await asyncio.to_thread(cli, "--csv")
    api = await client.get("/api/reports/agents", headers=alice.bearer(),
                           params={"format": "csv"})
    # The API adds the agents' names; everything else is the same.
    assert [r.split(",")[0] for r in as_csv.stdout.splitlines()] == [
        r.split(",")[0] for r in api.text.splitlines()]
    bad = await asyncio.to_thread(cli, "--credit", "most")
    assert bad.returncode == 1 and "invalid_credit" in bad.stderr


async def test_chats_without_a_visitor_message_count_when_the_workspace_says_so(
        chats: dict[str, str], client: httpx.AsyncClient, alice: Tenant) -> None:
    body = await report(client, alice)
    assert body["chats_without_visitor_message"] is False
    assert next(a for a in body["agents"] if a["name"] == "Ann")["chats"] == 3
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"count_chats_without_visitor_message": True})
    assert r.status_code == 200, r.text
    body = await report(client, alice)
    ann = next(a for a in body["agents"] if a["name"] == "Ann")
    # c3, where only Ann wrote, now counts: hers as the last agent who answered.
    assert body["chats_without_visitor_message"] is True
    assert (ann["chats"], ann["credited_chats"]) == (4, 3.0)
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"count_chats_without_visitor_message": "yes please"})
    assert r.status_code == 422


async def test_a_least_value_drops_small_orders_but_not_after_sales(
        chats: dict[str, str], client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"conversion_min_value": 50})
    assert r.status_code == 200, r.text
    body = await report(client, alice)
    ben = next(a for a in body["agents"] if a["name"] == "Ben")
    # c4's order of 30 is under 50: c4 sold nothing, but its visitor had bought before.
    assert (ben["converted"], ben["revenue"], ben["after_sales"]) == (1.0, {"EUR": 100.0}, 1)
    support = next(d for d in body["departments"] if d["department"] == "support")
    assert (support["converted"], support["revenue"], support["after_sales"]) == (0, {}, 1)
