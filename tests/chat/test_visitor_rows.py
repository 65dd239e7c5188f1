"""Conversations follow the person: a merge takes them along, erasure deletes them."""

from __future__ import annotations

import warnings

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.tenancy.keys import user_hash
from tests.chat.test_websocket import app, tenant, until, visitor_url  # noqa: F401
from tests.conftest import Tenant


def identify(client: TestClient, t: Tenant, anon: str, user: str) -> None:
    r = client.post("/v1/identify", headers=t.basic(), json={
        "anonymousId": anon, "userId": user,
        "context": {"user_hash": user_hash(t.identity_secret, user)}})
    assert r.status_code == 200, r.text


def test_a_chat_started_anonymously_follows_the_visitor_into_their_account(
        app: TestClient, tenant: Tenant) -> None:  # noqa: F811
    identify(app, tenant, "laptop", "ann")  # ann is known from her laptop
    with app.websocket_connect(visitor_url(tenant, "tablet")) as tablet:
        tablet.receive_json()
        tablet.send_json({"type": "message", "client_id": "t1", "text": "before logging in"})
        conv_id = until(tablet, "ack")["conversation_id"]
    identify(app, tenant, "tablet", "ann")  # the tablet's visitor merges into ann's
    with app.websocket_connect(visitor_url(tenant, "phone", "ann")) as phone:
        assert [c["id"] for c in phone.receive_json()["conversations"]] == [conv_id]
    found = app.get(f"/api/conversations/{conv_id}", headers=tenant.bearer())
    assert found.status_code == 200, found.text
    ann = app.get("/api/visitors/ann", headers=tenant.bearer()).json()
    assert found.json()["conversation"]["visitor_id"] == ann["visitor_id"]


def test_erasing_a_visitor_deletes_their_conversations_and_messages(
        app: TestClient, tenant: Tenant) -> None:  # noqa: F811
    with app.websocket_connect(visitor_url(tenant, "erase-me")) as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "e1", "text": "my address is ..."})
        conv_id = until(ws, "ack")["conversation_id"]
    with app.websocket_connect(visitor_url(tenant, "stays")) as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "s1", "text": "hello"})
        kept = until(ws, "ack")["conversation_id"]
    r = app.delete("/api/visitors/erase-me", headers=tenant.bearer())
    assert r.status_code == 200, r.text
    assert app.get(f"/api/conversations/{conv_id}",
                   headers=tenant.bearer()).status_code == 404
    assert app.get(f"/api/conversations/{kept}", headers=tenant.bearer()).status_code == 200
    listed = app.get("/api/conversations", params={"q": "address"},
                     headers=tenant.bearer()).json()
    assert listed["conversations"] == []
