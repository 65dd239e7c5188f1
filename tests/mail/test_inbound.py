"""Replies by e-mail through the app's own SMTP server: stored in the conversation as the
visitor's message (channel ``email``) before the 250, live in the console and on the
visitor's other devices; forged tokens, strangers, automatic replies and a second
delivery of the same e-mail change nothing."""

from __future__ import annotations

import asyncio
import socket
import time
import warnings
from collections.abc import Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.mail.tokens import reply_address
from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox
from tests.mail.test_unread import (
    DELAY,
    SECRET,
    agent_says,
    identify,
    start_chat,
    tenant,  # noqa: F401 (a fixture)
    tick,
    until,
    visitor_url,
)

DOMAIN = "mail.acme.example"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def app(settings: Settings, tenant: Tenant,  # noqa: F811
        mailbox: ThreadedMailbox) -> Iterator[TestClient]:
    with TestClient(create_app(settings.with_overrides(
            timers_enabled=False, smtp_url=mailbox.url, mail_from="shop@acme.example",
            mail_inbound_domain=DOMAIN, mail_secret=SECRET,
            mail_inbound_port=free_port()))) as client:
        yield client


def inbound_port(app: TestClient) -> int:
    return int(app.app.state.services.inbound.port)  # type: ignore[attr-defined]


def reply_to(app: TestClient, original: EmailMessage, text: str, *,
             sender: str = "ann@example.com", to: str | None = None,
             message_id: str | None = None, **headers: str) -> EmailMessage:
    """Answer ``original`` as a mail client would, over SMTP to the app."""
    mail = EmailMessage()
    mail["From"] = f"Ann Archer <{sender}>"
    mail["To"] = to or str(original["Reply-To"])
    mail["Subject"] = "Re: " + str(original["Subject"])
    mail["Message-ID"] = message_id or make_msgid(domain="example.com")
    mail["In-Reply-To"] = str(original["Message-ID"])
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    quoted = "\n".join("> " + line for line in str(
        original.get_body(preferencelist=("plain",)).get_content()).splitlines())  # type: ignore[union-attr]
    mail.set_content(f"{text}\n\nOn Sat, Dec 5, 2026 at 10:00 AM Sam wrote:\n{quoted}\n")
    asyncio.run(aiosmtplib.send(mail, hostname="127.0.0.1", port=inbound_port(app),
                                start_tls=False, timeout=10))
    return mail


def messages_of(app: TestClient, t: Tenant, conv: str) -> list[dict[str, Any]]:
    r = app.get(f"/api/conversations/{conv}", headers=t.bearer())
    assert r.status_code == 200, r.text
    return list(r.json()["messages"])


def emailed(app: TestClient, t: Tenant, mailbox: ThreadedMailbox) -> tuple[str, Any]:
    """Ann chats, leaves, Sam answers: the answer goes out by e-mail."""
    identify(app, t, "ann-laptop", "ann", locale="en-GB", email="ann@example.com")
    conv = start_chat(app, t, "ann-laptop", "ann")
    agent_says(app, t, conv, "Yes, in 2 days.")
    assert tick(app, DELAY + 1) == 1
    [mail] = mailbox.wait_for(1)
    return conv, mail.message


def test_a_reply_becomes_the_visitors_message_live_everywhere(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    conv, original = emailed(app, tenant, mailbox)
    with app.websocket_connect("/ws/agent?v=1", headers=tenant.bearer()) as agent, \
            app.websocket_connect(visitor_url(tenant, "ann-phone", "ann")) as phone:
        agent.receive_json()
        phone.receive_json()
        reply_to(app, original, "Great, can you gift-wrap it?")
        # Stored before the 250: the console and the visitor's phone hear of it.
        seen = until(agent, "message")
        assert seen["conversation_id"] == conv
        assert seen["message"]["channel"] == "email"
        assert seen["message"]["text"] == "Great, can you gift-wrap it?"
        assert seen["message"]["author"] == "visitor" and seen["message"]["name"] == "Ann Archer"
        on_phone = until(phone, "message")
        assert on_phone["message"]["text"] == "Great, can you gift-wrap it?"
    stored = messages_of(app, tenant, conv)
    assert [m.get("channel") for m in stored if m["author"] == "visitor"] == [None, "email"]
    # Answering the e-mail read what it carried: nothing more goes out for it.
    assert tick(app, DELAY + 1) == 0
    # History finds it among conversations the visitor continued by e-mail.
    listed = app.get("/api/conversations", headers=tenant.bearer(), params={"channel": "email"})
    assert [c["id"] for c in listed.json()["conversations"]] == [conv]
    chat_only = app.get("/api/conversations", headers=tenant.bearer(),
                        params={"channel": "chat"})
    assert conv not in [c["id"] for c in chat_only.json()["conversations"]]


def test_the_same_email_twice_is_stored_once(app: TestClient, tenant: Tenant,  # noqa: F811
                                             mailbox: ThreadedMailbox) -> None:
    conv, original = emailed(app, tenant, mailbox)
    again = make_msgid(domain="example.com")
    reply_to(app, original, "Is it in stock?", message_id=again)
    reply_to(app, original, "Is it in stock?", message_id=again)  # an SMTP retry
    texts = [m["text"] for m in messages_of(app, tenant, conv) if m["author"] == "visitor"]
    assert texts == ["Do you ship to Belgium?", "Is it in stock?"]


def test_a_closed_conversation_reopens(app: TestClient, tenant: Tenant,  # noqa: F811
                                       mailbox: ThreadedMailbox) -> None:
    conv, original = emailed(app, tenant, mailbox)
    assert app.post(f"/api/conversations/{conv}/close",
                    headers=tenant.bearer()).status_code == 200
    reply_to(app, original, "One more question.")
    r = app.get(f"/api/conversations/{conv}", headers=tenant.bearer())
    assert r.json()["conversation"]["status"] != "closed"


def test_forged_strangers_and_machines_reach_no_conversation(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    conv, original = emailed(app, tenant, mailbox)
    before = messages_of(app, tenant, conv)
    for forged in (reply_address("not-the-secret-at-all", DOMAIN, conv),
                   f"reply+{conv}@{DOMAIN}", "support@elsewhere.example",
                   reply_address(SECRET, DOMAIN, conv, now=0.0)):  # signed, long expired
        with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
            reply_to(app, original, "Let me in", to=forged)
        assert refused.value.recipients[0].code == 550
    # A genuine address, but from someone the conversation was never e-mailed to.
    with pytest.raises(aiosmtplib.SMTPDataError) as stranger:
        reply_to(app, original, "I am not Ann", sender="mallory@example.com")
    assert stranger.value.code == 550
    # An out-of-office answer is taken (no bounce loop) and dropped.
    reply_to(app, original, "I am away until Monday.", Auto_Submitted="auto-replied")
    assert messages_of(app, tenant, conv) == before


def test_an_attachment_is_named_not_kept(app: TestClient, tenant: Tenant,  # noqa: F811
                                         mailbox: ThreadedMailbox) -> None:
    conv, original = emailed(app, tenant, mailbox)
    mail = EmailMessage()
    mail["From"] = "ann@example.com"
    mail["To"] = str(original["Reply-To"])
    mail["Subject"] = "Re: photo"
    mail.set_content("Here is the photo.")
    mail.add_attachment(b"\x89PNG\r\n", maintype="image", subtype="png", filename="boot.png")
    mail["Message-ID"] = make_msgid(domain="example.com")
    asyncio.run(aiosmtplib.send(mail, hostname="127.0.0.1", port=inbound_port(app),
                                start_tls=False, timeout=10))
    last = messages_of(app, tenant, conv)[-1]
    assert last["text"] == "Here is the photo.\n\n[attachment not kept: boot.png]"
    # The sender is told, in their language, threaded on their e-mail, once an hour.
    _original, note = mailbox.wait_for(2)
    assert note.rcpt_to == ["ann@example.com"] and note.message["Subject"] == "Re: photo"
    assert note.message["In-Reply-To"] == mail["Message-ID"]
    assert "not the files attached to it (boot.png)" in (note.part("plain") or "")
    mail.replace_header("Message-ID", make_msgid(domain="example.com"))
    asyncio.run(aiosmtplib.send(mail, hostname="127.0.0.1", port=inbound_port(app),
                                start_tls=False, timeout=10))
    assert messages_of(app, tenant, conv)[-1]["id"] != last["id"]
    time.sleep(0.3)
    assert len(mailbox.caught) == 2
