"""The rule builder warns about values that can never match what a field holds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Tenant


async def check(client: httpx.AsyncClient, tenant: Tenant, condition: Any) -> dict[str, Any]:
    r = await client.post("/api/conditions/validate", headers=tenant.bearer(),
                          json={"condition": condition})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.mark.parametrize(("leaf", "warning"), [
    ({"path": "geo.country", "op": "eq", "value": "Netherlands"}, 'use "NL"'),
    ({"path": "geo.country", "op": "eq", "value": "nl"}, 'use "NL"'),
    ({"path": "geo.country", "op": "in", "value": ["FR", "Deutschland"]},
     "not a country code"),
    ({"path": "visitor.language", "op": "eq", "value": "Dutch"}, 'use "nl"'),
    ({"path": "visitor.language", "op": "eq", "value": "fr-FR"}, 'use "fr"'),
    ({"path": "device.device_type", "op": "eq", "value": "phone"}, "never matches"),
    ({"path": "context.weekday", "op": "in", "value": ["monday"]}, "never matches"),
    ({"path": "visitor.segments", "op": "contains", "value": "no_such_segment"},
     'No segment "no_such_segment"'),
])
async def test_a_value_that_can_never_match_is_a_warning(
        client: httpx.AsyncClient, alice: Tenant, leaf: dict[str, Any], warning: str) -> None:
    result = await check(client, alice, {"all": [{"path": "visitor.customer", "op": "eq",
                                                  "value": True}, leaf]})
    assert result["valid"] is True  # a warning, not an error: it may still be saved
    assert [w["path"].split(".value")[0] for w in result["warnings"]] == [
        "$.condition.all[1]"]
    assert warning in result["warnings"][0]["problem"]


@pytest.mark.parametrize("leaf", [
    {"path": "geo.country", "op": "eq", "value": "NL"},
    {"path": "geo.country", "op": "eq", "value": "nl", "case_insensitive": True},
    {"path": "geo.country", "op": "in", "value": ["FR", "BE"]},
    {"path": "visitor.language", "op": "eq", "value": "nl"},
    {"path": "device.device_type", "op": "ne", "value": "mobile"},
    {"path": "context.weekday", "op": "not_in", "value": ["sat", "sun"]},
    {"path": "visitor.attributes.country", "op": "eq", "value": "Netherlands"},  # the site's
])
async def test_values_that_can_match_are_quiet(client: httpx.AsyncClient, alice: Tenant,
                                               leaf: dict[str, Any]) -> None:
    result = await check(client, alice, leaf)
    assert result == {"valid": True, "problems": [], "warnings": []}


async def test_known_segments_are_quiet(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/api/segments", headers=alice.bearer(), json={
        "key": "vip", "name": "VIP",
        "condition": {"path": "visitor.lifetime_revenue", "op": "gt", "value": 1000}})
    assert r.status_code == 201, r.text
    result = await check(client, alice, {"path": "visitor.segments", "op": "contains",
                                         "value": "vip"})
    assert result["warnings"] == []
