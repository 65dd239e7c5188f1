"""Small helpers for building Segment calls in tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Tenant

_ids = itertools.count(1)


def iso(dt: datetime) -> str:
    """ISO 8601 with a Z, as analytics.js writes it."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ago(**kwargs: float) -> str:
    """An ISO timestamp ``kwargs`` before now."""
    return iso(datetime.now(UTC) - timedelta(**kwargs))


def call(kind: str, anon: str | None = "anon-1", **fields: Any) -> dict[str, Any]:
    """A batch item with a fresh messageId."""
    doc: dict[str, Any] = {"type": kind, "messageId": f"msg-{next(_ids)}"}
    if anon is not None:
        doc["anonymousId"] = anon
    doc.update(fields)
    return doc


async def send(client: httpx.AsyncClient, tenant: Tenant, *calls: dict[str, Any],
               server: bool = False, expect: int = 200) -> dict[str, Any]:
    """POST calls as one batch; assert the status."""
    headers = tenant.server() if server else tenant.basic()
    r = await client.post("/v1/batch", headers=headers, json={"batch": list(calls)})
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


async def profile(client: httpx.AsyncClient, tenant: Tenant, ref: str,
                  expect: int = 200) -> dict[str, Any]:
    """GET the profile of ``ref``."""
    r = await client.get(f"/api/visitors/{ref}", headers=tenant.bearer())
    assert r.status_code == expect, r.text
    body: dict[str, Any] = r.json()
    return body


async def timeline(client: httpx.AsyncClient, tenant: Tenant, ref: str) -> list[dict[str, Any]]:
    """All events of ``ref``, oldest first."""
    r = await client.get(f"/api/visitors/{ref}/events", headers=tenant.bearer(),
                         params={"limit": 1000})
    assert r.status_code == 200, r.text
    return list(reversed(r.json()["events"]))
