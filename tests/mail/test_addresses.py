"""Addresses that get no more e-mail: a bounce (a delivery status notification to the
e-mail's own Return-Path) or the one-click unsubscribe link stops every later e-mail to
that address from the workspace."""

from __future__ import annotations

import asyncio
from email import message_from_string, policy
from urllib.parse import urlsplit

import aiosmtplib
import pytest
from sqlalchemy import select

from floorwalker.mail.inbound import permanent_failure
from floorwalker.mail.tokens import bounce_address
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import emails, mail_addresses, mail_threads
from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox
from tests.mail.test_inbound import DOMAIN, app, emailed, inbound_port  # noqa: F401
from tests.mail.test_unread import (
    DELAY,
    agent_says,
    tenant,  # noqa: F401 (a fixture)
    tick,
)


def dsn(to: str, action: str = "failed", status: str = "5.1.1") -> str:
    return (f"From: MAILER-DAEMON@mx.example.com\r\nTo: {to}\r\n"
            "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
            "\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered."
            "\r\n\r\n--B\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.example.com\r\n\r\n"
            f"Final-Recipient: rfc822; ann@example.com\r\nAction: {action}\r\n"
            f"Status: {status}\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
            "\r\n--B--\r\n")


def send_raw(app_: object, to: str, raw: str) -> None:
    """As a mail server sends a bounce: from the null sender (MAIL FROM:<>)."""
    async def go() -> None:
        smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound_port(app_),  # type: ignore[arg-type]
                               start_tls=False, timeout=10)
        await smtp.connect()
        try:
            await smtp.sendmail("", [to], raw.encode())
        finally:
            await smtp.quit()
    asyncio.run(go())


async def rows(database_url: str) -> tuple[list[object], list[object], list[object]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return (list(await conn.execute(select(emails.c.status, emails.c.last_error))),
                    list(await conn.execute(select(mail_addresses))),
                    list(await conn.execute(select(mail_threads.c.outcome))))
    finally:
        await engine.dispose()


def test_a_delivery_status_notification_is_read() -> None:
    parsed = message_from_string(dsn("x@y.example"), policy=policy.default)
    assert permanent_failure(parsed) == "5.1.1 smtp; 550 5.1.1 User unknown"
    later = message_from_string(dsn("x@y.example", "delayed", "4.4.7"), policy=policy.default)
    assert permanent_failure(later) is None
    plain = message_from_string("Subject: hi\r\n\r\nnot a report", policy=policy.default)
    assert permanent_failure(plain) is None


def test_a_bounce_stops_every_later_email_to_that_address(
        app: object, tenant: Tenant, mailbox: ThreadedMailbox,  # noqa: F811
        database_url: str) -> None:
    conv, _original = emailed(app, tenant, mailbox)  # type: ignore[arg-type]
    [caught] = mailbox.caught
    # Its envelope sender names the e-mail: bounces come back to us, signed.
    assert caught.mail_from.startswith("bounce+") and caught.mail_from.endswith("@" + DOMAIN)
    # A delay notice changes nothing; a forged bounce address is refused.
    send_raw(app, caught.mail_from, dsn(caught.mail_from, "delayed", "4.4.7"))
    assert [r[0] for r in asyncio.run(rows(database_url))[0]] == ["sent"]
    forged = bounce_address("another-secret-of-16+", DOMAIN, "e_1234")
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        send_raw(app, forged, dsn(forged))
    # The permanent failure: the e-mail bounced, the address is done.
    send_raw(app, caught.mail_from, dsn(caught.mail_from))
    sent, marked, _ = asyncio.run(rows(database_url))
    assert [r[0] for r in sent] == ["bounced"] and "5.1.1" in str(sent[0][1])
    assert [(m.address, m.status) for m in marked] == [("ann@example.com", "bouncing")]  # type: ignore[attr-defined]
    agent_says(app, tenant, conv, "Did you get this?")  # type: ignore[arg-type]
    assert tick(app, DELAY + 1) == 0  # type: ignore[arg-type]
    assert [r[0] for r in asyncio.run(rows(database_url))[2]] == ["bouncing"]
    assert len(mailbox.caught) == 1


def test_one_click_unsubscribe(app: object, tenant: Tenant,  # noqa: F811
                               mailbox: ThreadedMailbox, database_url: str) -> None:
    conv, original = emailed(app, tenant, mailbox)  # type: ignore[arg-type]
    link = str(original["List-Unsubscribe"]).strip("<>")
    assert original["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [caught] = mailbox.caught
    assert link in (caught.part("plain") or "") and link.replace("&", "&amp;") in (
        caught.part("html") or "")
    path = urlsplit(link)
    target = f"{path.path}?{path.query}"
    client = app  # the TestClient
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = client.get(target, headers=html)  # type: ignore[attr-defined]
    assert page.status_code == 200 and "ann@example.com" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert client.get(target).json() == {  # type: ignore[attr-defined]
        "address": "ann@example.com", "unsubscribed": False}
    assert asyncio.run(rows(database_url))[1] == []  # opening the page changes nothing
    # A mail client's one-click POST (RFC 8058): no page needed.
    done = client.post(target, content="List-Unsubscribe=One-Click", headers={  # type: ignore[attr-defined]
        "Content-Type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200 and done.json()["unsubscribed"] is True
    marked = asyncio.run(rows(database_url))[1]
    assert [(m.address, m.status) for m in marked] == [("ann@example.com", "unsubscribed")]  # type: ignore[attr-defined]
    # The console's visitor card says so.
    card = client.get("/api/live/visitors/ann", headers=tenant.bearer())  # type: ignore[attr-defined]
    assert card.json()["email"] == {"address": "ann@example.com", "verified": True,
                                    "status": "unsubscribed"}
    agent_says(app, tenant, conv, "Anything else?")  # type: ignore[arg-type]
    assert tick(app, DELAY + 1) == 0  # type: ignore[arg-type]
    assert len(mailbox.caught) == 1
    # A link we did not sign, or changed, is refused with a page that says so.
    bad = client.post(target.replace("ann", "bob"), headers=html)  # type: ignore[attr-defined]
    assert bad.status_code == 400 and "not valid" in bad.text
    refused = client.get("/v1/email/unsubscribe?t=0123456789")  # type: ignore[attr-defined]
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_token"
