"""The transcript by e-mail a visitor asks for in the widget: the conversation's messages
(not agents' notes) to the address they typed, in their language; refused for someone
else's conversation, a bad or unsubscribed address, and past 3 an hour."""

from __future__ import annotations

import time
from typing import Any

from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox, unsubscribed
from tests.mail.test_inbound import app  # noqa: F401 (a fixture)
from tests.mail.test_unread import (
    agent_says,
    identify,
    tenant,  # noqa: F401 (a fixture)
    until,
    visitor_url,
)


def ask(ws: Any, conv: str, email: str) -> dict[str, Any]:
    ws.send_json({"type": "transcript", "conversation_id": conv, "email": email})
    while True:
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] in ("transcript", "error"):
            return frame


def test_the_visitor_gets_the_conversation_by_email(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    identify(app, tenant, "ann-laptop", "ann", locale="de-DE", first_name="Ann")
    with app.websocket_connect(visitor_url(tenant, "ann-laptop", "ann")) as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "m1", "text": "Liefern Sie nach Wien?"})
        conv = until(ws, "ack")["conversation_id"]
        agent_says(app, tenant, conv, "Ja, in 3 Tagen.")
        r = app.post(f"/api/conversations/{conv}/messages", headers=tenant.bearer(),
                     json={"text": "Kundin fragt nach Wien", "internal": True})
        assert r.status_code == 201
        done = ask(ws, conv, "ann.private@example.com")
        assert done == {"type": "transcript", "conversation_id": conv,
                        "email": "ann.private@example.com"}
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_to == ["ann.private@example.com"]
    assert mail.message["Subject"] == "Ihr Gespräch mit Acme"
    text = mail.part("plain") or ""
    assert text.startswith("Hallo Ann,")
    assert text.index("Sie · ") < text.index("Liefern Sie nach Wien?")
    assert text.index("Liefern Sie nach Wien?") < text.index("Ja, in 3 Tagen.")
    assert "Kundin fragt" not in text and "Kundin fragt" not in (mail.part("html") or "")
    assert str(mail.message["Reply-To"]).startswith("reply+")
    assert mail.message["List-Unsubscribe"] is not None


def test_refusals(app: Any, tenant: Tenant, mailbox: ThreadedMailbox,  # noqa: F811
                  database_url: str) -> None:
    with app.websocket_connect(visitor_url(tenant, "bob")) as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "m1", "text": "Hello"})
        conv = until(ws, "ack")["conversation_id"]
        assert ask(ws, conv, "not an address")["code"] == "invalid_address"
        assert ask(ws, conv, "bob@example.com\r\nBcc: x@example.com")["code"] == \
            "invalid_address"
        unsubscribed(database_url, tenant.workspace_id, "gone@example.com")
        assert ask(ws, conv, "gone@example.com")["code"] == "address_unsubscribed"
        for n in range(3):
            assert ask(ws, conv, f"bob{n}@example.com")["type"] == "transcript"
        assert ask(ws, conv, "bob@example.com")["code"] == "too_many_transcripts"
    # Someone else's conversation is not theirs to ask for.
    with app.websocket_connect(visitor_url(tenant, "mallory")) as other:
        other.receive_json()
        refused = ask(other, conv, "mallory@example.com")
        assert refused["type"] == "error" and refused["code"] == "not_found"
    mailbox.wait_for(3)
    time.sleep(0.3)
    assert sorted(m.rcpt_to[0] for m in mailbox.caught) == [
        "bob0@example.com", "bob1@example.com", "bob2@example.com"]

