"""Sensitive attributes (docs/identity.md): only the server key writes them, also after a
restart; admins and integrations read them on one visitor; agents never see them."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.accounts.conftest import invite_directly
from tests.conftest import make_tenant
from tests.console.conftest import PASSWORD, Desk, Person, until

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRET = "margin-secret-42"


def login(client: TestClient, link: str) -> Person:
    """Set the invited account's password and keep its session."""
    r = client.post("/api/auth/accept", json={"token": link.split("token=")[1],
                                              "password": PASSWORD})
    assert r.status_code == 200, r.text
    cookie = client.cookies.get("fw_session")
    client.cookies.clear()
    assert cookie
    return Person(client, cookie, r.json()["csrf_token"], r.json()["account"])


def attributes(person: Person, ref: str) -> dict[str, Any]:
    """The attributes on the visitor's card, as the console shows them to ``person``."""
    r = person.get(f"/api/live/visitors/{ref}")
    assert r.status_code == 200, r.text
    return r.json()["profile"]["attributes"]  # type: ignore[no-any-return]


def test_after_a_restart_a_browser_still_cannot_set_a_sensitive_attribute(
        settings: Settings, database_url: str) -> None:
    acme = asyncio.run(make_tenant(database_url, "acme"))
    link = asyncio.run(invite_directly(database_url, acme, "sam@acme.example", "Sam", "agent"))
    quick = settings.with_overrides(timers_enabled=False)
    with TestClient(create_app(quick)) as client:
        r = client.patch("/api/workspace/settings", headers=acme.bearer(),
                         json={"sensitive_attributes": ["margin"]})
        assert r.status_code == 200, r.text
    # A restart: a new process on the same database, nothing cached.
    with TestClient(create_app(quick)) as client:
        r = client.post("/v1/identify", headers=acme.basic(), json={
            "anonymousId": "v1", "traits": {"first_name": "Ann", "margin": SECRET}})
        assert r.status_code == 200, r.text
        r = client.post("/v1/identify", headers=acme.basic(), json={  # RudderStack's shape
            "anonymousId": "v1", "context": {"traits": {"margin": SECRET}}})
        assert r.status_code == 200, r.text
        sam = login(client, link)
        assert attributes(sam, "v1") == {"first_name": "Ann"}
        # Dropped, not merely hidden: the admin's view has no margin either.
        r = client.get("/api/visitors/v1", headers=acme.bearer())
        assert r.json()["attributes"] == {"first_name": "Ann"}
        # The server key still writes it.
        r = client.post("/v1/identify", headers=acme.server(), json={
            "anonymousId": "v1", "traits": {"margin": SECRET}})
        assert r.status_code == 200, r.text
        r = client.get("/api/visitors/v1", headers=acme.bearer())
        assert r.json()["attributes"] == {"first_name": "Ann", "margin": SECRET}
        assert attributes(sam, "v1") == {"first_name": "Ann"}


def test_agents_never_see_sensitive_values_admins_and_integrations_do(desk: Desk) -> None:
    r = desk.client.patch("/api/workspace/settings", headers=desk.alice.headers(),
                          json={"sensitive_attributes": ["margin"]})
    assert r.status_code == 200, r.text
    with desk.sam.socket() as sam:
        assert sam.receive_json()["type"] == "welcome"
        desk.identify("v1", first_name="Ann", margin=SECRET)
        frame = until(sam, "visitors")
        # Written by the shop's server: in an event's properties, its $set and its traits.
        r = desk.client.post("/v1/track", headers=desk.acme.server(), json={
            "anonymousId": "v1", "event": "quote_requested",
            "properties": {"product": "boots", "margin": SECRET, "$set": {"margin": SECRET}},
            "context": {"traits": {"margin": SECRET, "plan": "pro"}}})
        assert r.status_code == 200, r.text
        frame = until(sam, "visitors")
        assert SECRET not in str(frame)
    agent_reads = {path: desk.sam.get(path) for path in (
        "/api/visitors/v1", "/api/visitors", "/api/visitors/v1/events",
        "/api/live/visitors/v1", "/api/live/visitors")}
    for path, r in agent_reads.items():
        assert r.status_code == 200, (path, r.text)
        assert SECRET not in r.text, path
    assert agent_reads["/api/visitors/v1"].json()["attributes"] == {"first_name": "Ann"}
    [quote] = [e for e in agent_reads["/api/visitors/v1/events"].json()["events"]
               if e["name"] == "quote_requested"]
    assert quote["properties"] == {"product": "boots", "$set": {}}
    assert quote["context"]["traits"] == {"plan": "pro"}
    # One visitor's profile: the admin's console, the admin token and the server key (the
    # integration that wrote it) read it.
    for headers in (desk.alice.headers(), desk.acme.bearer(),
                    {"Authorization": f"Bearer {desk.acme.server_key}"}):
        r = desk.client.get("/api/visitors/v1", headers=headers)
        assert r.json()["attributes"]["margin"] == SECRET
        events = desk.client.get("/api/visitors/v1/events", headers=headers).json()["events"]
        assert any(e["properties"].get("margin") == SECRET for e in events)
    assert attributes(desk.alice, "v1")["margin"] == SECRET
    # The live list goes to every console: never there, not even for the admin.
    assert SECRET not in desk.alice.get("/api/live/visitors").text


def test_the_event_that_started_a_chat_keeps_sensitive_values_out_of_its_context(
        desk: Desk) -> None:
    """A conversation shows agents the event that triggered its invitation; when the
    shop's server sent that event with a sensitive property, the property is not shown."""
    r = desk.client.patch("/api/workspace/settings", headers=desk.alice.headers(),
                          json={"sensitive_attributes": ["margin"]})
    assert r.status_code == 200, r.text
    ws = desk.visitor("v1")
    assert ws.receive_json()["type"] == "welcome"
    r = desk.client.post("/v1/track", headers=desk.acme.server(), json={
        "anonymousId": "v1", "event": "need_help",
        "properties": {"topic": "sizes", "margin": SECRET}})
    assert r.status_code == 200, r.text
    decision = until(ws, "decision")["decision"]
    ws.send_json({"type": "message", "client_id": "m1", "text": "hello",
                  "decision_id": decision["id"]})
    conv_id = until(ws, "ack")["conversation_id"]
    for person in (desk.sam, desk.alice):
        for path in (f"/api/conversations/{conv_id}", "/api/conversations"):
            r = person.get(path)
            assert r.status_code == 200, r.text
            assert SECRET not in r.text, path
    conv = desk.sam.get(f"/api/conversations/{conv_id}").json()["conversation"]
    assert conv["context"]["event"] == {"name": "need_help", "properties": {"topic": "sizes"}}
