"""Helpers for rules tests: install the playbook, staff departments, read decisions."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from tests.conftest import Server, Tenant

_agents = itertools.count(1)


async def install_playbook(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """The e-commerce playbook, as a new user installs it."""
    r = await client.post("/api/playbooks/ecommerce/install", headers=tenant.bearer())
    assert r.status_code == 200, r.text


async def staff(client: httpx.AsyncClient, tenant: Tenant, department: str,
                status: str = "online", max_chats: int = 2) -> str:
    """An agent of ``department`` with the given presence; returns the agent id."""
    n = next(_agents)
    r = await client.post("/api/agents", headers=tenant.bearer(), json={
        "email": f"agent{n}@{tenant.slug}.example", "name": f"Agent {n}",
        "departments": [department], "max_chats": max_chats})
    assert r.status_code == 201, r.text
    agent_id: str = r.json()["id"]
    r = await client.put(f"/api/agents/{agent_id}/presence", headers=tenant.bearer(),
                         json={"status": status})
    assert r.status_code == 200, r.text
    return agent_id


async def track(client: httpx.AsyncClient, tenant: Tenant, anon: str, event: str,
                server: bool = False, **props: Any) -> None:
    """One track call, now."""
    ctx = props.pop("context", {})
    headers = tenant.server() if server else tenant.basic()
    r = await client.post("/v1/track", headers=headers, json={
        "anonymousId": anon, "event": event, "properties": props, "context": ctx})
    assert r.status_code == 200, r.text


async def page(client: httpx.AsyncClient, tenant: Tenant, anon: str, url: str,
               referrer: str | None = None, server: bool = False,
               **ctx: Any) -> None:
    """One page call, now."""
    page_ctx: dict[str, Any] = {"url": url, "path": httpx.URL(url).path}
    if referrer:
        page_ctx["referrer"] = referrer
    headers = tenant.server() if server else tenant.basic()
    r = await client.post("/v1/page", headers=headers, json={
        "anonymousId": anon, "context": {"page": page_ctx, **ctx}})
    assert r.status_code == 200, r.text


async def shown(client: httpx.AsyncClient, tenant: Tenant, anon: str) -> list[dict[str, Any]]:
    """What the widget would show now (and marks it delivered)."""
    r = await client.get("/v1/decisions", params={"anonymousId": anon}, headers=tenant.basic())
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["decisions"]
    return found


async def decided(client: httpx.AsyncClient, tenant: Tenant, anon: str,
                  scenario: str | None = None) -> list[dict[str, Any]]:
    """Every decision recorded for the visitor (admin view), newest first."""
    params = {"visitor": anon}
    if scenario:
        params["scenario"] = scenario
    r = await client.get("/api/decisions", params=params, headers=tenant.bearer())
    if r.status_code == 404:
        return []
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()
    return found


async def fire_timers(server: Server, at: float | None = None) -> int:
    """Run the timer loop once, as the background task would."""
    fired: int = await server.app.state.timers.tick(at)
    return fired
