"""Holdout groups: a sticky share of visitors is never shown a scenario, and the lift
report compares them with the visitors who were (hand-computed figures)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import httpx
import pytest
from sqlalchemy import insert

from floorwalker.config import Settings
from floorwalker.rules import decisions as decision_rows
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import conversions
from tests.conftest import Tenant
from tests.measure.test_funnel import T0
from tests.rules.helpers import decided, shown, track


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, timers_enabled=False)


async def create_scenario(client: httpx.AsyncClient, tenant: Tenant,
                          **extra: Any) -> httpx.Response:
    doc: dict[str, Any] = {"key": "nudge", "name": "Nudge", "trigger": {"event": "ping"},
                           "needs_agent": False, "caps": {"per_session": None},
                           "action": {"type": "popup", "text": {"en": "Hello"}}, **extra}
    return await client.post("/api/scenarios", headers=tenant.bearer(), json=doc)


async def test_held_out_visitors_see_nothing_and_stay_held_out(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await create_scenario(client, alice, holdout=0.3)
    assert r.status_code == 201, r.text
    await client.patch("/api/workspace/settings", headers=alice.bearer(),
                       json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
    held, exposed = [], []
    for i in range(40):
        anon = f"v{i}"
        await track(client, alice, anon, "ping")
        seen = await shown(client, alice, anon)
        outcomes = {d["outcome"] for d in await decided(client, alice, anon, "nudge")}
        if outcomes == {"held_out"}:
            assert seen == []  # nothing reaches the browser
            held.append(anon)
        else:
            assert outcomes == {"fired"} and [d["text"] for d in seen] == ["Hello"]
            exposed.append(anon)
    assert 4 <= len(held) <= 22  # about 30% of 40
    for anon in held[:3] + exposed[:3]:  # sticky: the second time, the same group
        await track(client, alice, anon, "ping")
        outcomes = {d["outcome"] for d in await decided(client, alice, anon, "nudge")}
        assert outcomes == ({"held_out"} if anon in held else {"fired"})


@pytest.mark.parametrize("share", [-0.1, 0.6])
async def test_a_holdout_is_a_share_up_to_half(client: httpx.AsyncClient, alice: Tenant,
                                               share: float) -> None:
    r = await create_scenario(client, alice, holdout=share)
    assert r.status_code == 422, r.text
    assert "$.holdout" in r.text


async def write_groups(database_url: str, workspace_id: str,
                       groups: dict[str, tuple[int, int]], variant: str | None = None) -> None:
    """Per group (``exposed``/``held_out``): visitors and how many bought 10 EUR."""
    engine = make_engine(database_url)
    start = T0.timestamp()
    rows, bought = [], []
    for grp, (n, converters) in groups.items():
        for i in range(n):
            vid = f"{grp}-{variant}-{i}"
            rows.append({"id": f"d-{vid}", "workspace_id": workspace_id, "visitor_id": vid,
                         "scenario_key": "nudge", "variant": variant,
                         "outcome": "fired" if grp == "exposed" else "held_out",
                         "created_at": start + i})
            if i < converters:
                bought.append({"workspace_id": workspace_id, "visitor_id": vid,
                               "name": "purchase", "transaction_id": f"o-{vid}",
                               "value": 10.0, "currency": "EUR", "ts": start + i + 3600})
    try:
        async with engine.begin() as conn:
            await decision_rows.record(conn, rows)  # as the engine records them
            if bought:
                await conn.execute(insert(conversions), bought)
    finally:
        await engine.dispose()


async def lift(client: httpx.AsyncClient, tenant: Tenant) -> list[dict[str, Any]]:
    r = await client.get("/api/reports/lift", headers=tenant.bearer())
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["scenarios"]
    return found


async def test_lift_with_its_interval(client: httpx.AsyncClient, alice: Tenant,
                                      database_url: str) -> None:
    await write_groups(database_url, alice.workspace_id,
                       {"exposed": (40, 20), "held_out": (40, 8)})
    [row] = await lift(client, alice)
    assert row["exposed"] == {"visitors": 40, "converted": 20, "conversion_rate": 0.5,
                              "revenue": 200.0, "revenue_per_visitor": 5.0}
    assert row["held_out"]["conversion_rate"] == 0.2
    # 0.5 - 0.2 = 0.3 +- 1.96 * sqrt(.25/40 + .16/40) = 0.3 +- 0.1984
    assert row["conversion_lift"] == {"difference": 0.3, "low": 0.1016, "high": 0.4984,
                                      "relative": 1.5}
    # 5 - 2 = 3 +- 1.96 * sqrt((1000/39)/40 + (640/39)/40) = 3 +- 2.01
    assert row["revenue_lift"] == {"difference": 3.0, "low": 0.99, "high": 5.01}
    assert row["verdict"] == "better"


async def test_a_small_or_even_sample_says_so(client: httpx.AsyncClient, alice: Tenant,
                                              database_url: str) -> None:
    await write_groups(database_url, alice.workspace_id,
                       {"exposed": (5, 3), "held_out": (5, 1)}, variant="a")
    await write_groups(database_url, alice.workspace_id,
                       {"exposed": (40, 10), "held_out": (40, 9)}, variant="b")
    await write_groups(database_url, alice.workspace_id, {"exposed": (40, 10)}, variant="c")
    rows = {r["variant"]: r for r in await lift(client, alice)}
    assert set(rows) == {"a", "b"}  # c has no holdout: nothing to compare
    assert rows["a"]["verdict"] == "too_small"
    assert rows["b"]["verdict"] == "no_difference"


async def test_the_cli_prints_the_lift(client: httpx.AsyncClient, alice: Tenant,
                                       database_url: str) -> None:
    await write_groups(database_url, alice.workspace_id,
                       {"exposed": (40, 20), "held_out": (40, 8)})
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url, "COLUMNS": "200"}
    done = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "floorwalker.cli", "report", "lift",
                         "--workspace", "acme"], env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "nudge" in x)
    assert "20/40" in line and "8/40" in line and "+30.0% [+10.2%, +49.8%]" in line
    assert "better" in line
