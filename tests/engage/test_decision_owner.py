"""Security review, issue 9 §5.1: a browser route resolves only the browser's own anonymous
id. Someone who knows a customer's user id (or visitor id) and the public write key must
neither read that customer's personalised invitations nor use them up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from floorwalker.config import Settings
from floorwalker.tenancy.keys import user_hash
from tests.conftest import Tenant

ANN = "ann@shop.example"  # a user id: often an e-mail address anyone may know


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Timers are off: the invitation fires from the event only."""
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, timers_enabled=False)


async def _ann_has_an_offer(client: httpx.AsyncClient, alice: Tenant) -> str:
    """Ann, identified by the shop's server, gets a personalised pop-up; her visitor id."""
    r = await client.post("/api/scenarios", headers=alice.bearer(), json={
        "key": "vip", "name": "VIP", "trigger": {"event": "vip_moment"}, "needs_agent": False,
        "action": {"type": "popup",
                   "text": {"en": "{{ visitor.first_name }}, 15% off your {{ cart.value }}"}}})
    assert r.status_code == 201, r.text
    r = await client.post("/v1/identify", headers=alice.server(), json={
        "userId": ANN, "anonymousId": "ann-browser", "traits": {"name": "Ann Lee"}})
    assert r.status_code == 200, r.text
    r = await client.post("/v1/track", headers=alice.server(), json={
        "userId": ANN, "anonymousId": "ann-browser", "event": "vip_moment"})
    assert r.status_code == 200, r.text
    r = await client.get(f"/api/visitors/{ANN}", headers=alice.bearer())
    visitor_id: str = r.json()["visitor_id"]
    return visitor_id


async def _poll(client: httpx.AsyncClient, alice: Tenant, **params: str) -> httpx.Response:
    return await client.get("/v1/decisions", params=params, headers=alice.basic())


async def test_a_user_id_or_visitor_id_does_not_reach_someone_elses_invitations(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    visitor_id = await _ann_has_an_offer(client, alice)
    # The attacker polls with ann's user id, then her visitor id, as the anonymous id.
    for stolen in (ANN, visitor_id):
        r = await _poll(client, alice, anonymousId=stolen)
        assert r.status_code == 200, r.text
        assert r.json() == {"withdrawn": [], "decisions": []}
        assert "Ann" not in r.text
    # A user id without its hash is refused, with the one error shape.
    r = await _poll(client, alice, anonymousId="attacker", userId=ANN)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "invalid_user_hash"
    r = await _poll(client, alice, anonymousId="attacker", userId=ANN, userHash="00" * 32)
    assert r.status_code == 403
    # Nothing was used up: ann's own browser still gets her offer, once.
    r = await _poll(client, alice, anonymousId="ann-browser")
    [offer] = r.json()["decisions"]
    assert offer["text"].startswith("Ann, 15% off")
    assert (await _poll(client, alice, anonymousId="ann-browser")).json()["decisions"] == []


async def test_a_user_id_does_not_answer_someone_elses_invitation(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    visitor_id = await _ann_has_an_offer(client, alice)
    r = await _poll(client, alice, anonymousId="ann-browser")
    [offer] = r.json()["decisions"]
    for body in ({"anonymousId": ANN}, {"anonymousId": visitor_id},
                 {"anonymousId": "attacker", "userId": ANN, "userHash": "00" * 32}):
        r = await client.post(f"/v1/decisions/{offer['id']}/response", headers=alice.basic(),
                              json={**body, "response": "dismissed"})
        assert r.status_code in (403, 404), r.text
        assert r.json()["error"]["code"] in ("invalid_user_hash", "not_found")
    decisions: list[dict[str, Any]] = (await client.get(
        "/api/decisions", params={"visitor": visitor_id}, headers=alice.bearer())).json()
    assert [d.get("response") for d in decisions] == [None]
    # Ann herself, on her browser or with her user hash, may answer.
    r = await client.post(f"/v1/decisions/{offer['id']}/response", headers=alice.basic(),
                          json={"anonymousId": "new-tab", "userId": ANN,
                                "userHash": user_hash(alice.identity_secret, ANN),
                                "response": "shown"})
    assert r.status_code == 200, r.text
    r = await client.post(f"/v1/decisions/{offer['id']}/response", headers=alice.basic(),
                          json={"anonymousId": "ann-browser", "response": "accepted"})
    assert r.status_code == 200, r.text


async def test_an_identified_visitor_polls_with_a_valid_user_hash(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await _ann_has_an_offer(client, alice)
    r = await _poll(client, alice, anonymousId="ann-phone", userId=ANN,
                    userHash=user_hash(alice.identity_secret, ANN))
    assert r.status_code == 200, r.text
    assert [d["text"][:4] for d in r.json()["decisions"]] == ["Ann,"]
