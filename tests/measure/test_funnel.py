"""The funnel report: synthetic traffic with hand-computed figures.

Decisions, chats and messages are written as the rules and chat would have left them (at
chosen times); purchases come in through the tracking API, as a shop sends them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from floorwalker.chat.service import record_past
from floorwalker.rules import decisions as decision_rows
from floorwalker.store.engine import make_engine
from tests.conftest import Tenant
from tests.helpers import call, iso, profile, send

HOUR = 3600.0
TODAY = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
T0 = TODAY - timedelta(days=3) + timedelta(hours=10)  # three days ago, 10:00 UTC
DAY0 = T0.date().isoformat()


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def purchase(anon: str, order: str | None, value: float, hours: float,
             currency: str = "EUR", user_id: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"value": value, "currency": currency}
    if order is not None:
        props["transaction_id"] = order
    extra = {"userId": user_id} if user_id else {}
    return call("track", anon, event="purchase", properties=props,
                timestamp=iso(at(hours)), **extra)


class Traffic:
    """Rows written as the engine and the chat would have written them."""

    def __init__(self, database_url: str, workspace_id: str) -> None:
        self.url = database_url
        self.workspace_id = workspace_id
        self.decisions: list[dict[str, Any]] = []
        self.conversations: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []

    def decision(self, ident: str, visitor_id: str, scenario: str, variant: str | None,
                 hours: float, outcome: str = "fired", reason: str | None = None,
                 delivered: bool = True, response: str | None = None,
                 segments: str | None = None) -> None:
        created = at(hours).timestamp()
        self.decisions.append({
            "id": ident, "workspace_id": self.workspace_id, "visitor_id": visitor_id,
            "scenario_key": scenario, "variant": variant, "outcome": outcome,
            "reason": reason, "action_type": "chat_invitation", "payload": None,
            "trigger": "page", "created_at": created, "expires_at": created + 600,
            "delivered_at": created + 1 if delivered and outcome == "fired" else None,
            "response": response, "responded_at": created + 5 if response else None,
            "segments": segments})

    def chat(self, ident: str, visitor_id: str, decision_id: str, hours: float,
             *authors: str) -> None:
        started = at(hours).timestamp()
        self.conversations.append({
            "id": ident, "workspace_id": self.workspace_id, "visitor_id": visitor_id,
            "status": "closed", "decision_id": decision_id, "last_seq": len(authors),
            "started_at": started, "updated_at": started + 60})
        for seq, author in enumerate(authors, 1):
            self.messages.append({
                "id": f"{ident}-{seq}", "conversation_id": ident,
                "workspace_id": self.workspace_id, "seq": seq, "author": author,
                "text": "hello", "internal": False, "created_at": started + seq})

    async def write(self) -> None:
        engine = make_engine(self.url)
        try:
            async with engine.begin() as conn:
                # Through the owners' functions, as an import writes them.
                await decision_rows.record(conn, self.decisions)
                await record_past(conn, self.conversations, self.messages)
        finally:
            await engine.dispose()


async def visitor_id(client: httpx.AsyncClient, tenant: Tenant, anon: str) -> str:
    await send(client, tenant, call("page", anon, timestamp=iso(at(-1))))
    return str((await profile(client, tenant, anon))["visitor_id"])


@pytest.fixture
async def traffic(client: httpx.AsyncClient, alice: Tenant, database_url: str) -> Traffic:
    """Four visitors, two scenarios, three variants (hand-computed figures below)."""
    v1, v2, v3, v4 = [await visitor_id(client, alice, f"anon-{n}") for n in range(1, 5)]
    t = Traffic(database_url, alice.workspace_id)
    # v1: invited, accepted, chatted with an agent, bought 100 EUR an hour later; the shop
    # reported the order twice (a retry with a new messageId).
    t.decision("d1", v1, "rescue", "a", 0, response="accepted")
    t.chat("c1", v1, "d1", 0.1, "visitor", "agent")
    t.decision("d5", v1, "upsell", None, -0.5, delivered=False)  # never reached a browser
    # v2: saw the invitation, bought 49 hours later: outside the 48 h window.
    t.decision("d2", v2, "rescue", "a", 0, response="shown")
    # v3: dismissed variant b, wrote in a chat nobody answered, bought on the phone.
    t.decision("d3", v3, "rescue", "b", 0, response="dismissed")
    t.chat("c3", v3, "d3", 0.2, "visitor")
    # v4: held back by the global gap, bought anyway: not the scenario's conversion.
    t.decision("d4", v4, "rescue", "a", 0, outcome="suppressed", reason="min_gap")
    await t.write()
    await send(client, alice,
               purchase("anon-1", "o-1", 100, 1), purchase("anon-1", "o-1", 100, 1.5),
               purchase("anon-2", "o-2", 30, 49),
               purchase("anon-4", "o-4", 70, 2), server=True)
    # v3's phone buys as user u3; the desktop then logs in as u3: one person.
    await send(client, alice, purchase("phone-3", "o-3", 50, 3, user_id="u3"), server=True)
    await send(client, alice, call("identify", "anon-3", userId="u3",
                                   timestamp=iso(at(4))), server=True)
    return t


async def report(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> dict[str, Any]:
    r = await client.get("/api/reports/funnel", headers=tenant.bearer(), params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def by_key(body: dict[str, Any]) -> dict[tuple[str, str | None], dict[str, Any]]:
    return {(s["scenario"], s["variant"]): s for s in body["scenarios"]}


STAGES = ("eligible", "decided", "delivered", "shown", "engaged", "chats", "answered",
          "converted", "orders")


def figures(row: dict[str, Any]) -> tuple[int, ...]:
    return tuple(row[k] for k in STAGES)


async def test_each_scenario_and_variant_has_its_funnel_and_revenue(
        traffic: Traffic, client: httpx.AsyncClient, alice: Tenant) -> None:
    body = await report(client, alice)
    rows = by_key(body)
    assert set(rows) == {("rescue", "a"), ("rescue", "b"), ("upsell", None)}
    #                                   elig dec del shown eng chats ans conv orders
    assert figures(rows["rescue", "a"]) == (3, 2, 2, 2, 1, 1, 1, 1, 1)
    assert rows["rescue", "a"]["revenue"] == {"EUR": 100.0}  # o-1 once; o-2 too late
    assert rows["rescue", "a"]["suppressed"] == {"min_gap": 1}
    assert rows["rescue", "a"]["conversion_rate"] == 0.5
    assert rows["rescue", "a"]["engagement_rate"] == 0.5
    # The phone's order counts for the desktop's invitation once the two are one person.
    assert figures(rows["rescue", "b"]) == (1, 1, 1, 1, 0, 1, 0, 1, 1)
    assert rows["rescue", "b"]["revenue"] == {"EUR": 50.0}
    assert figures(rows["upsell", None]) == (1, 1, 0, 0, 0, 0, 0, 1, 1)
    assert rows["upsell", None]["revenue"] == {"EUR": 100.0}
    # Per day: everything happened on day 0; the other days of the week are zeros.
    days = rows["rescue", "a"]["days"]
    assert len(days) == 7 and days[-1]["day"] == TODAY.date().isoformat()
    (busy,) = [d for d in days if d["eligible"]]
    assert busy["day"] == DAY0 and figures(busy) == figures(rows["rescue", "a"])


async def test_a_longer_window_and_a_period_change_the_figures(
        traffic: Traffic, client: httpx.AsyncClient, alice: Tenant) -> None:
    rows = by_key(await report(client, alice, window_hours=72))
    # v2's purchase 49 h after its invitation now counts.
    assert rows["rescue", "a"]["converted"] == 2
    assert rows["rescue", "a"]["revenue"] == {"EUR": 130.0}
    before = (T0 - timedelta(days=2)).date().isoformat()
    empty = await report(client, alice, since=before, until=before)
    assert empty["scenarios"] == []
    only = await report(client, alice, scenario="upsell")
    assert [s["scenario"] for s in only["scenarios"]] == ["upsell"]


async def test_csv_has_the_same_figures_as_the_table(
        traffic: Traffic, client: httpx.AsyncClient, alice: Tenant) -> None:
    body = await report(client, alice)
    r = await client.get("/api/reports/funnel", headers=alice.bearer(),
                         params={"format": "csv"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 3 * 7
    for s in body["scenarios"]:
        for d in s["days"]:
            (line,) = [x for x in rows if x["scenario"] == s["scenario"]
                       and x["variant"] == (s["variant"] or "") and x["day"] == d["day"]]
            assert tuple(int(line[k]) for k in STAGES) == figures(d)
            assert float(line["revenue_EUR"]) == d["revenue"].get("EUR", 0.0)


async def test_bad_periods_are_422_and_strangers_are_401(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    for params in ({"since": "yesterday"}, {"since": "2026-12-05", "until": "2026-12-01"},
                   {"since": "2020-01-01", "until": "2026-01-01"}, {"window_hours": 0},
                   {"window_hours": 10_000}):
        r = await client.get("/api/reports/funnel", headers=alice.bearer(), params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["error"]["code"] == "invalid_period"
    r = await client.get("/api/reports/funnel", params={"format": "xml"},
                         headers=alice.bearer())
    assert r.status_code == 422
    r = await client.get("/api/reports/funnel")
    assert r.status_code == 401


async def test_another_workspace_sees_none_of_it(
        traffic: Traffic, client: httpx.AsyncClient, charlie: Tenant) -> None:
    assert (await report(client, charlie))["scenarios"] == []


async def test_erasing_a_visitor_takes_their_purchases_out_of_the_report(
        traffic: Traffic, client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.delete("/api/visitors/anon-1", headers=alice.bearer())
    assert r.status_code in (200, 202, 204), r.text
    rows = by_key(await report(client, alice))
    assert "upsell" not in {k[0] for k in rows}  # d5 belonged to anon-1
    assert rows["rescue", "a"]["revenue"] == {}
    assert rows["rescue", "a"]["converted"] == 0


async def test_the_cli_prints_the_same_funnel(
        traffic: Traffic, database_url: str, client: httpx.AsyncClient,
        alice: Tenant) -> None:
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url, "COLUMNS": "200"}

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "floorwalker.cli", "report", "funnel",
                               "--workspace", "acme", *args], env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    shown = await asyncio.to_thread(cli)
    assert shown.returncode == 0, shown.stderr
    line = next(x for x in shown.stdout.splitlines() if "rescue" in x and " b " in x)
    assert "50.00 EUR" in line and "100.0%" in line
    as_csv = await asyncio.to_thread(cli, "--csv")
    api = await client.get("/api/reports/funnel", headers=alice.bearer(),
                           params={"format": "csv"})
    assert as_csv.stdout == api.text
    bad = await asyncio.to_thread(cli, "--since", "nope")
    assert bad.returncode == 1 and "invalid_period" in bad.stderr


async def test_the_workspace_sets_the_default_window(
        traffic: Traffic, client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"attribution_window_hours": 72})
    assert r.status_code == 200, r.text
    body = await report(client, alice)
    assert body["window_hours"] == 72
    assert by_key(body)["rescue", "a"]["converted"] == 2  # v2's order after 49 h counts
    assert (await report(client, alice, window_hours=48))["window_hours"] == 48
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"attribution_window_hours": 0})
    assert r.status_code == 422


async def test_refunds_come_off_the_revenue(traffic: Traffic, client: httpx.AsyncClient,
                                            alice: Tenant) -> None:
    await send(client, alice, call("track", "anon-1", event="refund", timestamp=iso(at(5)),
                                   properties={"transaction_id": "o-1", "value": 30}),
               server=True)
    rows = by_key(await report(client, alice))
    assert rows["rescue", "a"]["revenue"] == {"EUR": 70.0}
    assert rows["rescue", "a"]["converted"] == 1  # the order still happened
    # A refund without an amount takes back the rest; one naming no order changes nothing.
    await send(client, alice,
               call("track", "anon-1", event="refund", timestamp=iso(at(6)),
                    properties={"transaction_id": "o-1"}),
               call("track", "phone-3", event="refund", timestamp=iso(at(6)),
                    properties={"value": 50}), server=True)
    rows = by_key(await report(client, alice))
    assert rows["rescue", "a"]["revenue"] == {"EUR": 0.0}
    assert rows["rescue", "b"]["revenue"] == {"EUR": 50.0}
