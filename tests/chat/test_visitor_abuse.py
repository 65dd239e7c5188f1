"""Security review, issue 9 §5: what one browser may do on ``/ws/visitor``.

Each test performs the attack the review reproduced and checks what the attacker (and the
real visitor) now see.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant

ANN = "ann@shop.example"


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """alice's workspace, created before the app starts."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    """The app in a test client, with a personalised pop-up scenario."""
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        r = client.post("/api/scenarios", headers=tenant.bearer(), json={
            "key": "vip", "name": "VIP", "trigger": {"event": "vip_moment"},
            "needs_agent": False, "caps": {"per_session": None},
            "action": {"type": "popup", "text": {"en": "{{ visitor.first_name }}, 15% off"}}})
        assert r.status_code == 201, r.text
        client.patch("/api/workspace/settings", headers=tenant.bearer(),
                     json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        yield client


def visitor_url(t: Tenant, anon: str) -> str:
    return f"/ws/visitor?v=1&writeKey={t.write_key}&anonymousId={quote(anon)}"


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of ``kind`` (frames of other kinds are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def test_a_user_id_as_anonymous_id_reaches_nothing_of_that_person(
        app: TestClient, tenant: Tenant) -> None:
    r = app.post("/v1/identify", headers=tenant.server(), json={
        "userId": ANN, "anonymousId": "ann-browser", "traits": {"name": "Ann Lee"}})
    assert r.status_code == 200, r.text
    app.post("/v1/track", headers=tenant.server(),
             json={"userId": ANN, "anonymousId": "ann-browser", "event": "vip_moment"})
    with app.websocket_connect(visitor_url(tenant, "ann-browser")) as ann:
        ann.receive_json()
        ann.send_json({"type": "message", "client_id": "a1", "text": "where is my order?"})
        ann_conv = until(ann, "ack")["conversation_id"]
    ann_id = app.get(f"/api/visitors/{ANN}", headers=tenant.bearer()).json()["visitor_id"]
    [offer] = app.get("/api/decisions", params={"visitor": ann_id},
                      headers=tenant.bearer()).json()
    for stolen in (ANN, ann_id):
        with app.websocket_connect(visitor_url(tenant, stolen)) as attacker:
            assert attacker.receive_json()["conversations"] == []
            attacker.send_json({"type": "decision_response", "decision_id": offer["id"],
                                "response": "dismissed"})
            attacker.send_json({"type": "ping"})  # so that a regression fails, not hangs
            assert attacker.receive_json()["code"] == "not_found"
            assert attacker.receive_json()["type"] == "pong"
            attacker.send_json({"type": "resume", "conversations": {ann_conv: 0}})
            assert until(attacker, "error")["code"] == "not_found"
            attacker.send_json({"type": "message", "client_id": "x", "text": "hi"})
            own = until(attacker, "ack")["conversation_id"]
            assert own != ann_conv
        conv = app.get(f"/api/conversations/{own}", headers=tenant.bearer()).json()
        assert conv["conversation"]["visitor_id"] != ann_id
    [still] = app.get("/api/decisions", params={"visitor": ann_id},
                      headers=tenant.bearer()).json()
    assert still["response"] is None
    # Ann's browser still gets her offer.
    r = app.get("/v1/decisions", params={"anonymousId": "ann-browser"}, headers=tenant.basic())
    assert [d["text"] for d in r.json()["decisions"]] == ["Ann, 15% off"]
