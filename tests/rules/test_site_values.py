"""A site's own engagement_score and user_type count when it sends them: the seed's loyalty
scenario works as its author wrote it (view_item, engagement_score > 50, user_type
prospect, item 792082), from the data layer or from identify traits."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.rules.helpers import decided, track

SEED_CONDITION = {"all": [
    {"path": "visitor.engagement_score", "op": "gt", "value": 50},
    {"path": "visitor.user_type", "op": "eq", "value": "prospect"},
    {"path": "event.item_id", "op": "eq", "value": 792082}]}


@pytest.fixture
async def seed_scenario(client: httpx.AsyncClient, alice: Tenant) -> None:
    r = await client.post("/api/scenarios", headers=alice.bearer(), json={
        "key": "loyalty", "name": "Loyalty", "trigger": {"event": "view_item"},
        "condition": SEED_CONDITION, "needs_agent": False, "caps": {"per_session": None},
        "action": {"type": "popup", "text": {"en": "Thanks for your loyalty!"}}})
    assert r.status_code == 201, r.text
    r = await client.patch("/api/workspace/settings", headers=alice.bearer(),
                           json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
    assert r.status_code == 200, r.text


async def fired(client: httpx.AsyncClient, alice: Tenant, anon: str) -> bool:
    return any(d["outcome"] == "fired" for d in await decided(client, alice, anon, "loyalty"))


@pytest.mark.parametrize(("props", "fires"), [
    ({"engagement_score": 72, "user_type": "prospect"}, True),
    ({"engagement_score": "72.5", "user_type": "Prospect"}, True),  # strings, any case
    ({"engagement_score": 30, "user_type": "prospect"}, False),   # the site says: low
    ({"engagement_score": 72, "user_type": "customer"}, False),
    ({"user_type": "prospect"}, False),  # no score from the site: ours (a new visitor, ~0)
    ({"engagement_score": True, "user_type": "prospect"}, False),  # not a number: ours
])
async def test_the_data_layers_values_come_first(
        client: httpx.AsyncClient, alice: Tenant, seed_scenario: None,
        props: dict[str, object], fires: bool) -> None:
    anon = f"dl-{abs(hash(repr(props)))}"
    await track(client, alice, anon, "view_item", item_id=792082, **props)
    assert await fired(client, alice, anon) is fires


async def test_identify_traits_count_for_later_events(
        client: httpx.AsyncClient, alice: Tenant, seed_scenario: None) -> None:
    r = await client.post("/v1/identify", headers=alice.server(), json={
        "anonymousId": "crm", "userId": "crm-1",
        "traits": {"engagement_score": 88, "user_type": "prospect"}})
    assert r.status_code == 200, r.text
    await track(client, alice, "crm", "view_item", item_id=792082)
    assert await fired(client, alice, "crm")
    await track(client, alice, "crm-other", "view_item", item_id=792082)
    assert not await fired(client, alice, "crm-other")
