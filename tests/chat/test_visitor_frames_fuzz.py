"""No frame a browser can send over ``/ws/visitor`` breaks the socket or the server.

Property-based: arbitrary JSON, near-valid client frames, objects and arrays nested past
the depth limit, and raw text. After each frame a ping must still get its pong, and every
frame the server sent in between is a typed frame; errors carry a stable code.
"""

from __future__ import annotations

import asyncio
import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from tests.conftest import Tenant, make_tenant
from tests.test_fuzz_tracking import deep, deep_list, json_values, nasty_text

CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
KINDS = ["message", "resume", "typing", "read", "decision_response", "close", "ping",
         "status"]


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        yield client


nested = st.one_of(st.integers(90, 600).map(deep), st.integers(90, 600).map(deep_list))
field_values = st.one_of(json_values, nasty_text, nested, st.integers(), st.none())


@st.composite
def frames(draw: st.DrawFn) -> str:
    """A frame as text: near-valid most of the time, anything at all otherwise."""
    choice = draw(st.integers(0, 6))
    if choice == 6:
        # Built as text: nested far deeper than json.dumps (or a recursive decoder) can go.
        depth = draw(st.integers(90, 20_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"k":', "}")]))
        value = opener * depth + "1" + closer * depth
        field = draw(st.sampled_from(["form", "conversations", "text", "extra"]))
        return ('{"type": "message", "client_id": "deep", "text": "hi", '
                f'"{field}": {value}}}')
    if choice == 0:
        return json.dumps(draw(json_values))
    if choice == 1:
        return draw(st.text(max_size=200))
    doc: dict[str, Any] = {"type": draw(st.sampled_from(KINDS) | nasty_text)}
    for key in draw(st.lists(st.sampled_from(
            ["client_id", "text", "conversation_id", "decision_id", "form", "conversations",
             "on", "seq", "response", "status", "internal"]), max_size=5, unique=True)):
        doc[key] = draw(field_values)
    if doc["type"] == "message" and draw(st.booleans()):
        doc.update(client_id=draw(st.uuids()).hex, text=draw(nasty_text))
    return json.dumps(doc)


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(sent=st.lists(frames(), min_size=1, max_size=4))
def test_any_visitor_frame_gets_a_clean_answer(app: TestClient, tenant: Tenant,
                                               sent: list[str]) -> None:
    url = f"/ws/visitor?v=1&writeKey={tenant.write_key}&anonymousId=fuzz-ws"
    with app.websocket_connect(url) as ws:
        for text in sent:
            ws.send_text(text)
            ws.send_text('{"type": "ping"}')
            for _ in range(50):
                frame = ws.receive_json()
                assert isinstance(frame, dict) and isinstance(frame.get("type"), str), frame
                if frame["type"] == "error":
                    assert CODE.match(frame["code"]), frame
                    assert frame["message"].strip(), frame
                    event(frame["code"])
                if frame["type"] == "pong":
                    break
            else:
                raise AssertionError("no pong after a frame: the socket stopped answering")
