"""The console's Reports page: funnel and per-day charts, the table with each scenario's
lift against its holdout, filters in the address and a CSV that matches the table."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import insert, select

from floorwalker.chat.service import record_past
from floorwalker.rules import decisions as decision_rows
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import (
    agents,
    conversions,
    workspaces,
)
from tests.browser.conftest import Live, login, shot

DAY = 86400.0


async def _write(url: str) -> None:
    """Two days ago: payment_failure shown to 40 visitors (20 bought 50 EUR) and held out
    from 40 (8 bought); big_cart shown 5 times and held back once by the gap."""
    engine = make_engine(url)
    at = time.time() - 2 * DAY
    try:
        async with engine.begin() as conn:
            ws = (await conn.execute(select(workspaces.c.id).where(
                workspaces.c.slug == "demo"))).scalar_one()
            rows: list[dict[str, Any]] = []
            bought: list[dict[str, Any]] = []

            def decision(n: int, scenario: str, outcome: str, response: str | None = None,
                         reason: str | None = None) -> str:
                vid = f"v-{scenario}-{outcome}-{n}"
                rows.append({"id": f"d-{vid}", "workspace_id": ws, "visitor_id": vid,
                             "scenario_key": scenario, "outcome": outcome, "reason": reason,
                             "created_at": at + n,
                             "delivered_at": at + n + 1 if outcome == "fired" else None,
                             "response": response,
                             # The first 15 of each group were returning visitors.
                             "segments": ",returning," if n < 15 else None})
                return vid

            for n in range(40):
                vid = decision(n, "payment_failure", "fired",
                               "accepted" if n < 10 else ("shown" if n < 30 else None))
                if n < 20:
                    bought.append({"workspace_id": ws, "visitor_id": vid, "name": "purchase",
                                   "transaction_id": f"o-{vid}", "value": 50.0,
                                   "currency": "EUR", "ts": at + n + 600})
                vid = decision(n, "payment_failure", "held_out")
                if n < 8:
                    bought.append({"workspace_id": ws, "visitor_id": vid, "name": "purchase",
                                   "transaction_id": f"o-{vid}", "value": 50.0,
                                   "currency": "EUR", "ts": at + n + 600})
            for n in range(5):
                decision(n, "big_cart", "fired", "shown")
            decision(9, "big_cart", "suppressed", reason="min_gap")
            await decision_rows.record(conn, rows)
            await conn.execute(insert(conversions), bought)
            # Sam chatted with the first payment_failure visitor before they bought.
            sam = (await conn.execute(select(agents.c.id).where(
                agents.c.workspace_id == ws, agents.c.email == "sam@demo.example"))).scalar_one()
            await record_past(conn, [{
                "id": "c-report", "workspace_id": ws, "visitor_id": "v-payment_failure-fired-0",
                "status": "closed", "department": "sales", "last_seq": 2,
                "started_at": at + 100, "updated_at": at + 200, "closed_at": at + 200,
                "rating": 5}], [
                {"id": "m-1", "conversation_id": "c-report", "workspace_id": ws, "seq": 1,
                 "author": "visitor", "author_id": None, "text": "Card refused?",
                 "internal": False,
                 "created_at": at + 100},
                {"id": "m-2", "conversation_id": "c-report", "workspace_id": ws, "seq": 2,
                 "author": "agent", "author_id": sam, "text": "Try again now.",
                 "internal": False, "created_at": at + 130}])
    finally:
        await engine.dispose()


@pytest.fixture
def site(live: Live, tmp_path: Path) -> Live:
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _write(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")).result()
    return live


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def open_reports(context: BrowserContext, live: Live, email: str) -> Any:
    page = login(context, live, email, "#/reports")
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    return page


def test_an_owner_sees_funnels_lift_and_a_csv_that_matches(site: Live,
                                                          context: BrowserContext) -> None:
    page = open_reports(context, site, "admin@demo.example")
    table = page.locator("[data-test=reports-table]")
    pay = table.locator("tr[data-scenario=payment_failure]")
    expect(pay.locator("[data-stage=decided]")).to_have_text("40")
    expect(pay.locator("[data-stage=engaged]")).to_have_text("10")
    expect(pay.locator("[data-stage=converted]")).to_have_text("20")
    expect(pay.locator("[data-test=rate]")).to_have_text("50.0%")
    expect(pay.locator("[data-test=revenue]")).to_contain_text("1,000.00")
    # 20/40 against 8/40: the interval is above zero.
    expect(pay.locator("[data-test=lift]")).to_have_attribute("data-verdict", "better")
    expect(pay.locator("[data-test=lift]")).to_contain_text("+30.0%")
    big = table.locator("tr[data-scenario=big_cart]")
    expect(big).to_contain_text("No holdout")
    expect(big).to_contain_text("held back: min_gap 1")
    # The funnel chart is drawn (a canvas with its figures for screen readers).
    funnel = page.locator("[data-test=funnel-chart]")
    expect(funnel.locator("canvas")).to_be_visible()
    expect(funnel.locator("[data-stage=decided]")).to_have_text("Decided: 45")
    expect(page.locator("[data-test=days-chart] canvas")).to_be_visible()
    # Sales per agent: Sam's chat preceded a 50 EUR order; answered in 30 s.
    sam = page.locator("[data-test=agents-table] tbody tr", has_text="Sam")
    expect(sam.locator("[data-col=chats]")).to_have_text("1")
    expect(sam.locator("[data-col=converted]")).to_have_text("1")
    expect(sam.locator("[data-col=revenue]")).to_contain_text("50.00")
    expect(sam).to_contain_text("30 s / 30 s")
    expect(page.locator("[data-test=agents-chart] canvas")).to_be_visible()
    expect(page.locator("[data-test=departments-table] tr[data-department=sales]")).to_contain_text(
        "1")
    shot(page, "reports-1280")
    page.locator("[data-test=agents-table]").scroll_into_view_if_needed()
    shot(page, "reports-agents-1280")

    # One scenario: the address, the chart and the table follow.
    page.locator("[data-test=reports-scenario]").select_option("big_cart")
    page.locator("[data-test=reports-apply]").click()
    expect(page).to_have_url(re.compile(r"#/reports\?.*scenario=big_cart"))
    expect(funnel.locator("[data-stage=decided]")).to_have_text("Decided: 5")
    expect(funnel.locator("[data-stage=eligible]")).to_have_text("Eligible: 6")
    expect(table.locator("tbody tr")).to_have_count(1)

    # The CSV link gives the table's figures, per day.
    href = page.locator("[data-test=reports-csv]").get_attribute("href")
    assert href and "scenario=big_cart" in href and "format=csv" in href
    response = page.request.get(site.base + href)
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert {r["scenario"] for r in rows} == {"big_cart"}
    assert sum(int(r["decided"]) for r in rows) == 5
    assert sum(int(r["eligible"]) for r in rows) == 6


def test_filters_by_segment_and_department_and_the_goal_in_settings(
        site: Live, context: BrowserContext) -> None:
    page = open_reports(context, site, "admin@demo.example")
    table = page.locator("[data-test=reports-table]")
    pay = table.locator("tr[data-scenario=payment_failure]")
    expect(pay.locator("[data-test=goal]")).to_have_text("goal: purchase within 48 h")
    # Sam's chatter bought 50 EUR, as did the buyers who did not chat that day.
    sam = page.locator("[data-test=agents-table] tbody tr", has_text="Sam")
    expect(sam.locator("[data-col=basket]")).to_contain_text("50.00 vs")
    expect(page.locator("[data-test=basket-total]")).to_contain_text("(1 order compared)")

    # Returning visitors only: 15 of the 40 shown, all 15 bought.
    page.locator("[data-test=reports-segment]").select_option("returning")
    page.locator("[data-test=reports-apply]").click()
    expect(page).to_have_url(re.compile(r"#/reports\?.*segment=returning"))
    expect(pay.locator("[data-stage=decided]")).to_have_text("15")
    expect(pay.locator("[data-stage=converted]")).to_have_text("15")
    expect(page.locator("[data-test=reports-segment]")).to_have_value("returning")
    href = page.locator("[data-test=reports-csv]").get_attribute("href")
    assert href and "segment=returning" in href

    # The sales department's scenarios: big_cart, not payment_failure (billing).
    page.goto(f"{site.base}/console/#/reports?department=sales")
    expect(table.locator("tr[data-scenario=big_cart]")).to_have_count(1)
    expect(table.locator("tr[data-scenario=payment_failure]")).to_have_count(0)
    expect(page.locator("[data-test=reports-department]")).to_have_value("sales")
    shot(page, "reports-filters-1280")

    # A workspace that counts sign-ups: the purchases are no longer its conversions.
    page.goto(f"{site.base}/console/#/admin/settings")
    page.locator("[data-test=conversion-event]").fill("sign_up")
    page.locator("[data-test=settings-form] [data-test=save]").click()
    expect(page.locator("[data-test=settings-form]")).to_contain_text("Settings saved.")
    page.goto(f"{site.base}/console/#/reports")
    expect(pay.locator("[data-test=goal]")).to_have_text("goal: sign_up within 48 h")
    expect(pay.locator("[data-stage=converted]")).to_have_text("0")


def test_an_agent_reads_reports_on_a_phone(site: Live, browser: Browser) -> None:
    ctx = browser.new_context(viewport={"width": 360, "height": 780})
    try:
        page = open_reports(ctx, site, "sam@demo.example")
        pay = page.locator("[data-test=reports-table] tr[data-scenario=payment_failure]")
        expect(pay.locator("[data-stage=converted]")).to_have_text("20")
        expect(page.locator("[data-test=funnel-chart] canvas")).to_be_visible()
        expect(page.locator("[data-test=agents-table]")).to_have_count(0)  # admins only
        # Nothing wider than the screen but the table, which scrolls in its own box.
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 360, wide
        shot(page, "reports-360")
    finally:
        ctx.close()


def test_a_bad_period_says_why(site: Live, context: BrowserContext) -> None:
    page = open_reports(context, site, "admin@demo.example")
    page.goto(f"{site.base}/console/#/reports?since=2026-12-05&until=2026-11-01")
    expect(page.locator("[data-test=reports-status]")).to_contain_text("since is after until")


def test_the_scenario_list_shows_each_scenario_s_week(site: Live,
                                                      context: BrowserContext) -> None:
    page = open_reports(context, site, "admin@demo.example")
    page.goto(f"{site.base}/console/#/admin/scenarios")
    pay = page.locator("[data-test=scenarios] tr[data-key=payment_failure] [data-test=week]")
    expect(pay).to_contain_text("30 shown · 10 engaged · 20 converted")
    expect(pay).to_contain_text("lift: better")
    big = page.locator("[data-test=scenarios] tr[data-key=big_cart] [data-test=week]")
    expect(big).to_have_text("5 shown · 0 engaged · 0 converted")
    quiet = page.locator("[data-test=scenarios] tr[data-key=welcome_back] [data-test=week]")
    expect(quiet).to_have_text("—")
    shot(page, "scenario-list-week-1280")
