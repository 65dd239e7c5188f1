"""The pre-chat form on the socket: kept in the context of the conversation it starts, where
agents see it, and refused whole (``invalid_form``) when it breaks the rules."""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant

FORM = {"name": "Ann Smith", "email": "ann@example.com",
        "question": "Do you ship to Belgium?", "order_number": "A-1001"}


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    """alice's workspace, created before the app starts."""
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    """The app in a test client, with an invitation scenario and a free agent."""
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        auth = tenant.bearer()
        assert client.post("/api/departments", headers=auth,
                           json={"key": "sales", "name": "Sales"}).status_code == 201
        agent = client.post("/api/agents", headers=auth, json={
            "email": "sam@acme.example", "name": "Sam", "departments": ["sales"]}).json()
        client.put(f"/api/agents/{agent['id']}/presence", headers=auth,
                   json={"status": "online"})
        r = client.post("/api/scenarios", headers=auth, json={
            "key": "help", "name": "Help", "trigger": {"event": "need_help"},
            "department": "sales", "caps": {"per_session": None},
            "action": {"type": "chat_invitation", "text": {"en": "Can I help?"}}})
        assert r.status_code == 201, r.text
        client.patch("/api/workspace/settings", headers=auth,
                     json={"min_gap_seconds": 0, "max_proactive_per_session": 100})
        yield client


def visitor_url(t: Tenant, anon: str) -> str:
    return f"/ws/visitor?v=1&writeKey={t.write_key}&anonymousId={anon}"


def until(ws: Any, kind: str, limit: int = 20) -> dict[str, Any]:
    """The next frame of ``kind`` (frames of other kinds are skipped)."""
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def as_agent(app: TestClient, tenant: Tenant, conversation_id: str) -> dict[str, Any]:
    """What an agent gets from ``GET /api/conversations/{id}``."""
    r = app.get(f"/api/conversations/{conversation_id}", headers=tenant.bearer())
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_the_form_is_kept_on_the_conversation_it_starts(app: TestClient,
                                                        tenant: Tenant) -> None:
    with app.websocket_connect(visitor_url(tenant, "ann")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "message", "client_id": "c1", "text": FORM["question"],
                           "form": FORM})
        conv_id = until(visitor, "ack")["conversation_id"]
        # A later message of the same conversation does not replace it.
        visitor.send_json({"type": "message", "client_id": "c2", "text": "Also to France?",
                           "conversation_id": conv_id, "form": {"name": "Someone else"}})
        until(visitor, "ack")
    got = as_agent(app, tenant, conv_id)
    assert got["conversation"]["context"] == {"prechat": FORM}
    assert [m["text"] for m in got["messages"] if m["author"] == "visitor"] == [
        "Do you ship to Belgium?", "Also to France?"]


def track(app: TestClient, tenant: Tenant, anon: str, event: str) -> None:
    r = app.post("/v1/track", headers=tenant.basic(), json={"anonymousId": anon, "event": event})
    assert r.status_code == 200, r.text


def test_the_form_joins_the_invitation_context(app: TestClient, tenant: Tenant) -> None:
    track(app, tenant, "bea", "page_view")
    with app.websocket_connect(visitor_url(tenant, "bea")) as visitor:
        visitor.receive_json()
        track(app, tenant, "bea", "need_help")
        decision = until(visitor, "decision")["decision"]
        visitor.send_json({"type": "message", "client_id": "c1", "text": "Yes please",
                           "decision_id": decision["id"], "form": {"name": "Bea"}})
        conv_id = until(visitor, "ack")["conversation_id"]
    context = as_agent(app, tenant, conv_id)["conversation"]["context"]
    assert context["text"] == "Can I help?" and context["trigger"] == "event:need_help"
    assert context["prechat"] == {"name": "Bea"}


def test_the_limits_themselves_are_accepted(app: TestClient, tenant: Tenant) -> None:
    form = {f"field_{i}": "x" * 200 for i in range(19)}
    form["q" + "_" * 39] = "y" * 2000  # a 40-character key, a 2000-character value
    with app.websocket_connect(visitor_url(tenant, "max")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "message", "client_id": "c1", "text": "hi", "form": form})
        conv_id = until(visitor, "ack")["conversation_id"]
    assert as_agent(app, tenant, conv_id)["conversation"]["context"]["prechat"] == form


BAD_FORMS = {
    "too many answers": {f"f{i}": "x" for i in range(21)},
    "capitals in a key": {"Name": "Ann"},
    "a dash in a key": {"order-number": "1"},
    "a key starting with a digit": {"1st": "x"},
    "an empty key": {"": "x"},
    "a 41-character key": {"q" * 41: "x"},
    "a value over 2000 characters": {"question": "x" * 2001},
    "a number": {"order_number": 1001},
    "a null": {"email": None},
    "a nested object": {"name": {"first": "Ann"}},
    "a NUL character": {"name": "Ann\x00"},
}


@pytest.mark.parametrize("form", BAD_FORMS.values(), ids=BAD_FORMS.keys())
def test_invalid_forms_are_refused_and_nothing_is_stored(app: TestClient, tenant: Tenant,
                                                         form: dict[str, Any]) -> None:
    with app.websocket_connect(visitor_url(tenant, "eve")) as visitor:
        visitor.receive_json()
        visitor.send_json({"type": "message", "client_id": "bad", "text": "hello",
                           "form": form})
        error = until(visitor, "error")
        assert (error["code"], error["client_id"]) == ("invalid_form", "bad")
        assert "at most 20" in error["message"]
        # Refused before anything was written: no visitor, no chat on a timeline.
        assert app.get("/api/visitors/eve", headers=tenant.bearer()).status_code == 404
        # The socket goes on: the same message without the form is taken.
        visitor.send_json({"type": "message", "client_id": "good", "text": "hello again"})
        conv_id = until(visitor, "ack")["conversation_id"]
    got = as_agent(app, tenant, conv_id)
    assert got["conversation"]["context"] is None
    assert [m["text"] for m in got["messages"] if m["author"] == "visitor"] == ["hello again"]
    r = app.get("/api/conversations", headers=tenant.bearer())
    assert [c["id"] for c in r.json()["conversations"]] == [conv_id]
