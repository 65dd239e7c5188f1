"""Ids with a NUL character in visitor frames: a clean ``invalid_frame``, the socket lives.

Found by the visitor-frame fuzz test on PostgreSQL, which cannot store or compare NUL:
each of these closed the socket with 1011 after a database error.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.chat.test_visitor_frames_fuzz import app, tenant  # noqa: F401
from tests.conftest import Tenant

FRAMES: list[dict[str, Any]] = [
    {"type": "typing", "conversation_id": "c\x00", "on": True},
    {"type": "read", "conversation_id": "c\x00", "seq": 1},
    {"type": "decision_response", "decision_id": "d\x00", "response": "shown"},
    {"type": "close", "conversation_id": "c\x00"},
    {"type": "resume", "conversations": {"c\x00": 1}},
    {"type": "message", "client_id": "m\x00", "text": "hi"},
    {"type": "message", "client_id": "m1", "text": "hi", "decision_id": "d\x00"},
    {"type": "message", "client_id": "m2", "text": "hi", "conversation_id": "c\x00"},
]


@pytest.mark.parametrize("sent", FRAMES, ids=[f"{f['type']}-{i}" for i, f in enumerate(FRAMES)])
def test_a_nul_in_an_id_is_an_invalid_frame(app: Any, tenant: Tenant,  # noqa: F811
                                            sent: dict[str, Any]) -> None:
    url = f"/ws/visitor?writeKey={tenant.write_key}&anonymousId=nul-visitor"
    with app.websocket_connect(url) as ws:
        assert ws.receive_json()["type"] == "welcome"
        ws.send_text(json.dumps(sent))
        error = ws.receive_json()
        assert error["type"] == "error" and error["code"] == "invalid_frame", error
        ws.send_text('{"type": "ping"}')
        assert ws.receive_json()["type"] == "pong"
