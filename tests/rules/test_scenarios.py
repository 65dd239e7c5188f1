"""Scenario guards: caps, gaps, snooze, chats, staffing, throttling, variants, webhooks."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
import time_machine

from floorwalker.config import Settings
from tests.conftest import Tenant
from tests.rules.helpers import decided, shown, staff, track


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Timers are driven by the tests."""
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, timers_enabled=False)


def scenario(key: str, event: str = "ping", **extra: Any) -> dict[str, Any]:
    """A scenario answering ``event`` with a pop-up saying its key."""
    doc: dict[str, Any] = {"key": key, "name": key, "trigger": {"event": event},
                           "needs_agent": False,
                           "action": {"type": "popup", "text": {"en": f"hello from {key}"}}}
    doc.update(extra)
    return doc


async def create(client: httpx.AsyncClient, tenant: Tenant, kind: str,
                 doc: dict[str, Any]) -> dict[str, Any]:
    r = await client.post(f"/api/{kind}", headers=tenant.bearer(), json=doc)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


async def texts(client: httpx.AsyncClient, tenant: Tenant, anon: str) -> list[str]:
    return [d.get("text", "") for d in await shown(client, tenant, anon)]


async def test_higher_priority_wins_and_the_other_is_logged(client: httpx.AsyncClient,
                                                            alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario("low", priority=1))
    await create(client, alice, "scenarios", scenario("high", priority=9))
    await track(client, alice, "v", "ping")
    assert await texts(client, alice, "v") == ["hello from high"]
    [low] = await decided(client, alice, "v", "low")
    assert (low["outcome"], low["reason"]) == ("suppressed", "lower_priority")


async def test_global_cap_and_minimum_gap(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"max_proactive_per_session": 2, "min_gap_seconds": 60})
    assert r.status_code == 200
    for key in ("a", "b", "c"):
        await create(client, alice, "scenarios", scenario(key, event=f"go_{key}"))
    now = datetime.now(UTC)
    await track(client, alice, "v", "go_a")
    assert await texts(client, alice, "v") == ["hello from a"]
    await track(client, alice, "v", "go_b")
    assert await texts(client, alice, "v") == []
    assert (await decided(client, alice, "v", "b"))[0]["reason"] == "min_gap"
    with time_machine.travel(now + timedelta(seconds=90), tick=True):
        await track(client, alice, "v", "go_b")
        assert await texts(client, alice, "v") == ["hello from b"]
    with time_machine.travel(now + timedelta(seconds=200), tick=True):
        await track(client, alice, "v", "go_c")
        assert await texts(client, alice, "v") == []
        assert (await decided(client, alice, "v", "c"))[0]["reason"] == "cap_global"


async def test_a_higher_priority_rescue_replaces_an_unanswered_message(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    # The default settings: one minute between two messages, two per visit.
    await create(client, alice, "scenarios", scenario("cross_sell", event="add", priority=30))
    await create(client, alice, "scenarios", scenario("payment", event="fail", priority=100))
    await create(client, alice, "scenarios", scenario("nudge", event="view", priority=10))
    await track(client, alice, "v", "add")
    assert await texts(client, alice, "v") == ["hello from cross_sell"]
    await track(client, alice, "v", "fail")  # seconds later: the gap does not stop it
    assert await texts(client, alice, "v") == ["hello from payment"]
    [old] = await decided(client, alice, "v", "cross_sell")
    assert (old["outcome"], old["reason"]) == ("withdrawn", "replaced_by:payment")
    [new] = await decided(client, alice, "v", "payment")
    assert new["outcome"] == "fired"
    # A lower-priority message still waits for the gap, and replaces nothing.
    await track(client, alice, "v", "view")
    assert await texts(client, alice, "v") == []
    assert (await decided(client, alice, "v", "nudge"))[0]["reason"] == "min_gap"
    assert (await decided(client, alice, "v", "payment"))[0]["outcome"] == "fired"


async def test_a_dismissed_message_stays_dismissed_when_a_rescue_follows(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario("cross_sell", event="add", priority=30))
    await create(client, alice, "scenarios", scenario("coupon", event="fail", priority=90))
    await track(client, alice, "v", "add")
    [first] = await shown(client, alice, "v")
    r = await client.post(f"/v1/decisions/{first['id']}/response", headers=alice.basic(),
                          json={"anonymousId": "v", "response": "dismissed"})
    assert r.status_code == 200, r.text
    await track(client, alice, "v", "fail")
    assert await texts(client, alice, "v") == ["hello from coupon"]
    [old] = await decided(client, alice, "v", "cross_sell")
    assert (old["outcome"], old["response"]) == ("fired", "dismissed")


async def test_an_expired_message_is_not_replaced(client: httpx.AsyncClient,
                                                  alice: Tenant) -> None:
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"max_proactive_per_session": 1, "min_gap_seconds": 600,
                                 "invitation_ttl_seconds": 60})
    assert r.status_code == 200, r.text
    await create(client, alice, "scenarios", scenario("cross_sell", event="add", priority=30))
    await create(client, alice, "scenarios", scenario("payment", event="fail", priority=100))
    now = datetime.now(UTC)
    await track(client, alice, "v", "add")
    assert await texts(client, alice, "v") == ["hello from cross_sell"]
    with time_machine.travel(now + timedelta(seconds=120), tick=True):
        await track(client, alice, "v", "fail")
        assert await texts(client, alice, "v") == []
        assert (await decided(client, alice, "v", "payment"))[0]["reason"] == "cap_global"


async def test_per_visitor_and_per_days_caps(client: httpx.AsyncClient, alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario(
        "weekly", caps={"per_session": None, "per_days": 7}))
    now = datetime.now(UTC)
    await track(client, alice, "v", "ping")
    assert len(await texts(client, alice, "v")) == 1
    with time_machine.travel(now + timedelta(days=3), tick=True):
        await track(client, alice, "v", "ping")
        assert await texts(client, alice, "v") == []
    with time_machine.travel(now + timedelta(days=8), tick=True):
        await track(client, alice, "v", "ping")
        assert len(await texts(client, alice, "v")) == 1


async def test_dismissal_snoozes(client: httpx.AsyncClient, alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario(
        "nudge", caps={"per_session": None, "snooze_after_dismiss": "1h"}))
    await client.patch("/api/workspace/settings", headers=alice.bearer(),
                       json={"min_gap_seconds": 0, "max_proactive_per_session": 10})
    now = datetime.now(UTC)
    await track(client, alice, "v", "ping")
    [shown_one] = await shown(client, alice, "v")
    r = await client.post(f"/v1/decisions/{shown_one['id']}/response", headers=alice.basic(),
                          json={"anonymousId": "v", "response": "dismissed"})
    assert r.status_code == 200, r.text
    await track(client, alice, "v", "ping")
    assert await texts(client, alice, "v") == []
    assert (await decided(client, alice, "v", "nudge"))[0]["reason"] == "snoozed"
    with time_machine.travel(now + timedelta(minutes=61), tick=True):
        await track(client, alice, "v", "ping")
        assert await texts(client, alice, "v") == ["hello from nudge"]


async def test_response_to_someone_elses_decision_is_404(client: httpx.AsyncClient,
                                                         alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario("x"))
    await track(client, alice, "v", "ping")
    [one] = await shown(client, alice, "v")
    r = await client.post(f"/v1/decisions/{one['id']}/response", headers=alice.basic(),
                          json={"anonymousId": "intruder", "response": "dismissed"})
    assert r.status_code == 404


async def test_live_scenario_needs_a_free_agent_and_throttles(client: httpx.AsyncClient,
                                                              alice: Tenant) -> None:
    await create(client, alice, "departments", {"key": "sales", "name": "Sales"})
    await create(client, alice, "scenarios", {
        "key": "invite", "name": "Invite", "trigger": {"event": "ping"},
        "department": "sales",
        "action": {"type": "chat_invitation", "text": {"en": "Can we help?"}}})
    await track(client, alice, "nobody-home", "ping")
    assert await texts(client, alice, "nobody-home") == []
    assert (await decided(client, alice, "nobody-home"))[0]["reason"] == "no_agent"
    # One agent with two free slots: two invitations out, the third waits.
    await staff(client, alice, "sales", max_chats=2)
    for v in ("v1", "v2", "v3"):
        await track(client, alice, v, "ping")
    assert await texts(client, alice, "v1") == ["Can we help?"]
    assert await texts(client, alice, "v2") == ["Can we help?"]
    assert await texts(client, alice, "v3") == []
    assert (await decided(client, alice, "v3"))[0]["reason"] == "throttled"
    presence = (await client.get("/api/presence", headers=alice.bearer())).json()
    [sales] = presence["departments"]
    assert (sales["free_slots"], sales["outstanding_invitations"]) == (2, 2)


async def test_business_hours_closed(client: httpx.AsyncClient, alice: Tenant) -> None:
    await create(client, alice, "departments", {
        "key": "sales", "name": "Sales",
        "business_hours": {"time_zone": "Europe/Paris",
                           "weekly": {"mon": [["09:00", "18:00"]]}}})
    await staff(client, alice, "sales")
    await create(client, alice, "scenarios", {
        "key": "invite", "name": "Invite", "trigger": {"event": "ping"}, "department": "sales",
        "action": {"type": "chat_invitation", "text": {"en": "Hi"}},
        "fallback": {"type": "email_capture", "text": {"en": "Leave your e-mail"}}})
    sunday_noon = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    monday_ten = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # 10:00 in Paris
    with time_machine.travel(sunday_noon, tick=True):
        await track(client, alice, "v1", "ping")
        assert await texts(client, alice, "v1") == ["Leave your e-mail"]
    with time_machine.travel(monday_ten, tick=True):
        await track(client, alice, "v2", "ping")
        assert await texts(client, alice, "v2") == ["Hi"]


async def test_variants_are_sticky_and_weighted(client: httpx.AsyncClient,
                                                alice: Tenant) -> None:
    await create(client, alice, "scenarios", {
        "key": "ab", "name": "AB", "trigger": {"event": "ping"}, "needs_agent": False,
        "caps": {"per_session": None},
        "variants": [
            {"key": "A", "weight": 1, "action": {"type": "popup", "text": {"en": "A"}}},
            {"key": "B", "weight": 1, "action": {"type": "popup", "text": {"en": "B"}}}]})
    await client.patch("/api/workspace/settings", headers=alice.bearer(),
                       json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
    seen: dict[str, set[str]] = {}
    for i in range(40):
        for _ in range(2):
            await track(client, alice, f"v{i}", "ping")
            for t in await texts(client, alice, f"v{i}"):
                seen.setdefault(f"v{i}", set()).add(t)
    assert all(len(v) == 1 for v in seen.values())  # sticky
    counts = [sum(1 for v in seen.values() if v == {x}) for x in ("A", "B")]
    assert min(counts) >= 8  # both variants get traffic
    variants = {d["variant"] for d in await decided(client, alice, "v0")}
    assert variants <= {"A", "B"} and len(variants) == 1


async def test_in_chat_visitors_are_left_alone(client: httpx.AsyncClient, alice: Tenant,
                                               server: Any) -> None:
    await create(client, alice, "scenarios", scenario("x"))
    await track(client, alice, "v", "hello")

    async def mark(conn: Any, store: Any) -> None:
        from floorwalker.profiles.unit import UnitOfWork
        unit = UnitOfWork(store, conn, 0)
        vid = (await client.get("/api/visitors/v", headers=alice.bearer())).json()["visitor_id"]
        await unit.load({vid})
        unit.profile(vid).engagement["in_chat"] = True
        await unit.flush()
        unit.commit_to_cache()

    await server.services.pipeline.run_exclusive(mark)
    await track(client, alice, "v", "ping")
    assert await texts(client, alice, "v") == []
    assert (await decided(client, alice, "v", "x"))[0]["reason"] == "in_chat"


async def test_page_targeting(client: httpx.AsyncClient, alice: Tenant) -> None:
    await create(client, alice, "scenarios", scenario(
        "x", pages={"include": ["*/shop/*"], "exclude": ["*/shop/confirmation*"]}))
    for anon, url in (("v1", "https://a.example/shop/boots"),
                      ("v2", "https://a.example/shop/confirmation?order=1"),
                      ("v3", "https://a.example/blog")):
        await track(client, alice, anon, "ping", context={"page": {"url": url}})
    assert await texts(client, alice, "v1") == ["hello from x"]
    assert await texts(client, alice, "v2") == []
    assert await texts(client, alice, "v3") == []


class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        _Receiver.got.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 collecting webhook calls."""
    _Receiver.got = []
    httpd = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


async def test_webhook_is_signed_and_sent_after_commit(client: httpx.AsyncClient,
                                                       alice: Tenant, receiver: str) -> None:
    await create(client, alice, "scenarios", {
        "key": "crm", "name": "CRM", "trigger": {"event": "signup"},
        "action": {"type": "webhook", "url": receiver, "secret": "s3cret"}})
    await track(client, alice, "v", "signup", plan="pro")
    for _ in range(100):
        if _Receiver.got:
            break
        await asyncio.sleep(0.05)
    [(headers, body)] = _Receiver.got
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["x-floorwalker-signature"] == expected
    doc = json.loads(body)
    assert doc["scenario"] == "crm"
    assert doc["event"] == {"name": "signup", "properties": {"plan": "pro"}}
    # Server-side actions never reach the browser.
    assert await shown(client, alice, "v") == []


async def test_idle_on_checkout_fires_from_a_timer(server: Any, client: httpx.AsyncClient,
                                                   alice: Tenant) -> None:
    import time as _time

    await create(client, alice, "scenarios", {
        "key": "stuck", "name": "Stuck at checkout", "trigger": {"idle": "30s"},
        "pages": {"include": ["*/checkout*"]}, "needs_agent": False,
        "action": {"type": "popup", "text": {"en": "Need help paying?"}}})
    start = _time.time()
    await track(client, alice, "v1", "page_view",
                context={"page": {"url": "https://a.example/checkout", "path": "/checkout"}})
    await track(client, alice, "v2", "page_view",
                context={"page": {"url": "https://a.example/checkout", "path": "/checkout"}})
    await track(client, alice, "v3", "page_view",
                context={"page": {"url": "https://a.example/blog", "path": "/blog"}})
    with time_machine.travel(datetime.fromtimestamp(start + 20, UTC), tick=False):
        await track(client, alice, "v2", "add_payment_info",
                    context={"page": {"url": "https://a.example/checkout",
                                      "path": "/checkout"}})
    with time_machine.travel(datetime.fromtimestamp(start + 31, UTC), tick=False):
        assert await server.app.state.timers.tick() == 1
        assert await texts(client, alice, "v1") == ["Need help paying?"]
        assert await texts(client, alice, "v2") == []  # active 11 s ago
        assert await texts(client, alice, "v3") == []  # not on a checkout page
    with time_machine.travel(datetime.fromtimestamp(start + 51, UTC), tick=False):
        assert await server.app.state.timers.tick() == 1
        assert await texts(client, alice, "v2") == ["Need help paying?"]


async def test_notify_agents_is_recorded_but_never_shown(client: httpx.AsyncClient,
                                                         alice: Tenant) -> None:
    await create(client, alice, "segments", {
        "key": "vip", "name": "VIP", "priority": 100,
        "condition": {"path": "visitor.lifetime_revenue", "op": "gt", "value": 1000}})
    await create(client, alice, "scenarios", {
        "key": "vip_online", "name": "VIP online", "trigger": {"segment_entered": "vip"},
        "action": {"type": "notify_agents", "agents": ["sam@acme.example"],
                   "text": {"en": "VIP {{ visitor.name | default('visitor') }} is on the site"}}})
    await track(client, alice, "v", "purchase", transaction_id="t1", value=1500)
    assert await shown(client, alice, "v") == []
    [alert] = await decided(client, alice, "v", "vip_online")
    assert alert["outcome"] == "fired"
    assert alert["payload"]["agents"] == ["sam@acme.example"]
    assert alert["payload"]["text"] == "VIP visitor is on the site"


async def test_a_polling_browser_hears_that_a_message_was_withdrawn(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    # A browser without a socket polls GET /v1/decisions: the cross-sell it shows is
    # replaced by the payment rescue, so the poll says to take it down, then the rescue.
    await create(client, alice, "scenarios", scenario("cross_sell", event="add", priority=30))
    await create(client, alice, "scenarios", scenario("payment", event="fail", priority=100))
    await track(client, alice, "v", "add")
    [cross] = await shown(client, alice, "v")
    await track(client, alice, "v", "fail")
    r = await client.get("/v1/decisions", params={"anonymousId": "v"}, headers=alice.basic())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["withdrawn"] == [cross["id"]]
    assert [d["text"] for d in body["decisions"]] == ["hello from payment"]
    # Said again on the next poll while the message could still be on screen (harmless to
    # a page that took it down), and never about a message the browser never got.
    again = (await client.get("/v1/decisions", params={"anonymousId": "v"},
                              headers=alice.basic())).json()
    assert again == {"withdrawn": [cross["id"]], "decisions": []}
    other = (await client.get("/v1/decisions", params={"anonymousId": "someone-else"},
                              headers=alice.basic())).json()
    assert other == {"withdrawn": [], "decisions": []}
