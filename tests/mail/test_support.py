"""The support address: an e-mail to support+<workspace>@<inbound domain> starts a
conversation; it joins the history of a visitor only when that visitor is identified
with a verified user id and has the address; the agent's answer goes back by e-mail and
the sender's reply continues the conversation."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest

from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox
from tests.mail.test_inbound import DOMAIN, app, inbound_port, messages_of, reply_to  # noqa: F401
from tests.mail.test_unread import (
    DELAY,
    agent_says,
    identify,
    tenant,  # noqa: F401 (a fixture)
    tick,
)


def write_to_support(client: Any, sender: str, subject: str, text: str,
                     to: str = f"support+acme@{DOMAIN}") -> None:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="example.com")
    mail.set_content(text)
    asyncio.run(aiosmtplib.send(mail, hostname="127.0.0.1", port=inbound_port(client),
                                start_tls=False, timeout=10))


def email_conversations(client: Any, t: Tenant) -> list[dict[str, Any]]:
    r = client.get("/api/conversations", headers=t.bearer(), params={"channel": "email"})
    assert r.status_code == 200, r.text
    return list(r.json()["conversations"])


def test_an_email_to_support_starts_a_conversation_that_goes_on_by_email(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    write_to_support(app, "Bob Baker <bob@example.com>", "Order 1001 is late",
                     "Hello, where is my order?\n\n-- \nBob")
    [conv] = email_conversations(app, tenant)
    [first] = [m for m in messages_of(app, tenant, conv["id"]) if m["author"] == "visitor"]
    assert first["text"] == "Order 1001 is late\n\nHello, where is my order?"
    assert (first["author"], first["channel"], first["name"]) == ("visitor", "email",
                                                                  "Bob Baker")
    agent_says(app, tenant, conv["id"], "It leaves our warehouse today.")
    assert tick(app, DELAY + 1) == 1
    [answer] = mailbox.wait_for(1)
    assert answer.rcpt_to == ["bob@example.com"]
    assert "It leaves our warehouse today." in (answer.part("plain") or "")
    reply_to(app, answer.message, "Thank you!", sender="bob@example.com")
    texts = [m["text"] for m in messages_of(app, tenant, conv["id"])]
    assert texts[-1] == "Thank you!"
    assert len(email_conversations(app, tenant)) == 1


def test_it_joins_a_history_only_for_a_verified_address(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    identify(app, tenant, "ann-laptop", "ann", email="ann@example.com")
    ann = app.get("/api/visitors/ann", headers=tenant.bearer()).json()["visitor_id"]
    # Carol only claimed her address in a browser: not verified.
    r = app.post("/v1/identify", headers=tenant.basic(), json={
        "anonymousId": "carol-browser", "traits": {"email": "carol@example.com"}})
    assert r.status_code == 200
    carol_browser = app.get("/api/visitors/carol-browser",
                            headers=tenant.bearer()).json()["visitor_id"]
    write_to_support(app, "ann@example.com", "Sizes", "Do the boots run small?")
    write_to_support(app, "carol@example.com", "Returns", "How do I return these?")
    by_text = {next(m for m in messages_of(app, tenant, c["id"])
                    if m["author"] == "visitor")["text"].split("\n")[0]: c
               for c in email_conversations(app, tenant)}
    assert by_text["Sizes"]["visitor_id"] == ann
    assert by_text["Returns"]["visitor_id"] != carol_browser


def test_unknown_support_addresses_are_refused(app: Any) -> None:  # noqa: F811
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        write_to_support(app, "bob@example.com", "Hi", "Hello",
                         to=f"support+nobody@{DOMAIN}")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        write_to_support(app, "bob@example.com", "Hi", "Hello", to=f"support@{DOMAIN}")


def test_an_answer_sent_to_support_goes_on_in_its_conversation(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    write_to_support(app, "bob@example.com", "Order 1001 is late", "Where is it?")
    [conv] = email_conversations(app, tenant)
    agent_says(app, tenant, conv["id"], "It leaves today.")
    assert tick(app, DELAY + 1) == 1
    [answer] = mailbox.wait_for(1)
    # Bob's mail client answers to the support address, threading on our Message-ID.
    reply_to(app, answer.message, "Great, thanks!", sender="bob@example.com",
             to=f"support+acme@{DOMAIN}")
    assert [c["id"] for c in email_conversations(app, tenant)] == [conv["id"]]
    assert messages_of(app, tenant, conv["id"])[-1]["text"] == "Great, thanks!"
    # Someone else quoting the same Message-ID starts a conversation of their own.
    reply_to(app, answer.message, "Me too", sender="eve@example.com",
             to=f"support+acme@{DOMAIN}")
    assert len(email_conversations(app, tenant)) == 2
