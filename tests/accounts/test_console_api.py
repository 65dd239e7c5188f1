"""The console uses the admin API with its session: admins manage, agents read."""

from __future__ import annotations

from tests.accounts.conftest import Person

SEGMENT = {"key": "vip", "name": "VIP", "priority": 90,
           "condition": {"path": "visitor.lifetime_revenue", "op": "gt", "value": 1000}}


async def test_an_admin_session_manages_rules(alice_admin: Person) -> None:
    browser = alice_admin.browser
    r = await browser.post("/api/segments", json=SEGMENT)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    r = await browser.post("/api/segments", json=SEGMENT, headers=alice_admin.csrf_header())
    assert r.status_code == 201, r.text
    assert [s["key"] for s in (await browser.get("/api/segments")).json()] == ["vip"]


async def test_an_agent_session_reads_but_does_not_manage(alice_admin: Person,
                                                          bob_agent: Person) -> None:
    await alice_admin.browser.post("/api/segments", json=SEGMENT,
                                   headers=alice_admin.csrf_header())
    browser = bob_agent.browser
    assert [s["key"] for s in (await browser.get("/api/segments")).json()] == ["vip"]
    r = await browser.delete("/api/segments/vip", headers=bob_agent.csrf_header())
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "admin_required"
    r = await browser.get("/api/sites")
    assert r.json()["error"]["code"] == "admin_required"


async def test_an_outsiders_session_sees_nothing_of_acme(alice_admin: Person,
                                                         charlie_admin: Person) -> None:
    await alice_admin.browser.post("/api/segments", json=SEGMENT,
                                   headers=alice_admin.csrf_header())
    assert (await charlie_admin.browser.get("/api/segments")).json() == []
    r = await charlie_admin.browser.get("/api/segments/vip")
    assert r.status_code == 404
