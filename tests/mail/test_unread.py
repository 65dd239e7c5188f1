"""An agent's replies a visitor left unread reach them by e-mail, through the app: the
chat on sockets, the e-mail through a real SMTP server (docs/email.md)."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from sqlalchemy import select, update

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.mail.tokens import conversation_of
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import mail_threads, visitors
from floorwalker.tenancy.keys import user_hash
from tests.conftest import Tenant, make_tenant
from tests.mail.conftest import ThreadedMailbox

SECRET = "a-secret-of-twenty-chars"
DELAY = 120.0


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant, mailbox: ThreadedMailbox) -> Iterator[TestClient]:
    """The app sending through the test mailbox; its unread-replies loop is driven by
    the tests (``tick``) rather than by the clock."""
    with TestClient(create_app(settings.with_overrides(
            timers_enabled=False, smtp_url=mailbox.url, mail_from="shop@acme.example",
            mail_inbound_domain="mail.acme.example", mail_secret=SECRET))) as client:
        yield client


def tick(app: TestClient, after: float) -> int:
    """Run the unread-replies scan ``after`` seconds from now; then let the sender go."""
    unread = app.app.state.unread_replies  # type: ignore[attr-defined]
    at = time.time() + after
    queued: int = app.portal.call(unread.tick, at)  # type: ignore[union-attr]
    app.portal.call(app.app.state.services.mail.tick, at)  # type: ignore[attr-defined,union-attr]
    return queued


def identify(app: TestClient, t: Tenant, anon: str, user: str, locale: str = "fr-FR",
             **traits: Any) -> None:
    r = app.post("/v1/identify", headers=t.server(), json={
        "anonymousId": anon, "userId": user, "traits": traits,
        "context": {"locale": locale}})
    assert r.status_code == 200, r.text


def visitor_url(t: Tenant, anon: str, user: str | None = None) -> str:
    url = f"/ws/visitor?v=1&writeKey={t.write_key}&anonymousId={anon}"
    if user:
        url += f"&userId={user}&userHash={user_hash(t.identity_secret, user)}"
    return url


def until(ws: Any, kind: str, limit: int = 30) -> dict[str, Any]:
    for _ in range(limit):
        frame: dict[str, Any] = ws.receive_json()
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def agent_says(app: TestClient, t: Tenant, conv: str, text: str) -> int:
    r = app.post(f"/api/conversations/{conv}/messages", headers=t.bearer(), json={"text": text})
    assert r.status_code == 201, r.text
    return int(r.json()["seq"])


def start_chat(app: TestClient, t: Tenant, anon: str, user: str | None = None,
               form: dict[str, str] | None = None) -> str:
    """The visitor writes, then leaves the page; returns the conversation."""
    with app.websocket_connect(visitor_url(t, anon, user)) as ws:
        ws.receive_json()
        frame: dict[str, Any] = {"type": "message", "client_id": "m1",
                                 "text": "Do you ship to Belgium?"}
        if form:
            frame["form"] = form
        ws.send_json(frame)
        conv: str = until(ws, "ack")["conversation_id"]
    return conv


def settings_patch(app: TestClient, t: Tenant, **body: Any) -> None:
    r = app.patch("/api/workspace/settings", headers=t.bearer(), json=body)
    assert r.status_code == 200, r.text


def test_unread_replies_go_out_after_the_delay_threaded_and_in_the_visitors_language(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:
    identify(app, tenant, "ann-laptop", "ann", email="ann@example.com", first_name="Ann")
    conv = start_chat(app, tenant, "ann-laptop", "ann")
    agent_says(app, tenant, conv, "Yes, in 2 days.")
    agent_says(app, tenant, conv, "Shipping is free from €50.")
    assert tick(app, DELAY - 30) == 0  # not yet
    assert tick(app, DELAY + 1) == 1
    [mail] = mailbox.wait_for(1)
    m = mail.message
    assert mail.rcpt_to == ["ann@example.com"] and m["To"] == "ann@example.com"
    assert m["Subject"].startswith("Nouvelle réponse de") and "(Acme)" in m["Subject"]
    assert m["Content-Language"] == "fr"
    text = mail.part("plain") or ""
    assert text.startswith("Bonjour Ann,")
    assert text.index("Yes, in 2 days.") < text.index("Shipping is free from €50.")
    assert "Do you ship to Belgium?" not in text  # the visitor's own words are not news
    assert "Shipping is free from €50." in (mail.part("html") or "")
    local, _, domain = m["Reply-To"].partition("@")
    assert domain == "mail.acme.example" and local.startswith("reply+")
    assert conversation_of(SECRET, local.removeprefix("reply+")) == conv
    assert conversation_of(SECRET, local.removeprefix("reply+").replace(conv, "c_other")) is None
    # Nothing new: nothing more. A later reply comes as the next e-mail of the thread.
    assert tick(app, DELAY + 1) == 0
    agent_says(app, tenant, conv, "Anything else?")
    assert tick(app, DELAY + 1) == 1
    first, second = mailbox.wait_for(2)
    assert second.message["In-Reply-To"] == first.message["Message-ID"]
    assert second.message["References"] == first.message["Message-ID"]
    assert "Anything else?" in (second.part("plain") or "")
    assert "Yes, in 2 days." not in (second.part("plain") or "")


def test_a_visitor_who_reads_in_time_or_is_still_here_gets_no_email(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:
    identify(app, tenant, "ann-laptop", "ann", locale="en-GB", email="ann@example.com")
    conv = start_chat(app, tenant, "ann-laptop", "ann")
    seq = agent_says(app, tenant, conv, "Yes, in 2 days.")
    with app.websocket_connect(visitor_url(tenant, "ann-laptop", "ann")) as ws:
        ws.receive_json()
        assert tick(app, DELAY + 1) == 0  # still on the site: the widget shows it
        ws.send_json({"type": "read", "conversation_id": conv, "seq": seq})
        ws.send_json({"type": "ping"})
        until(ws, "pong")
    assert tick(app, DELAY + 1) == 0  # read: nothing to send
    seq = agent_says(app, tenant, conv, "One more thing.")
    with app.websocket_connect(visitor_url(tenant, "ann-laptop", "ann")) as ws:
        ws.receive_json()
        assert tick(app, DELAY + 1) == 0
    assert tick(app, DELAY + 1) == 1  # gone, unread: it goes
    [mail] = mailbox.wait_for(1)
    assert mail.message["Subject"].startswith("New reply from")
    assert "One more thing." in (mail.part("plain") or "")


def test_the_address_comes_from_the_prechat_form_or_a_verified_identity_only(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox, database_url: str) -> None:
    # An anonymous visitor who claims an e-mail trait: not theirs to claim.
    r = app.post("/v1/identify", headers=tenant.basic(), json={
        "anonymousId": "bob", "traits": {"email": "victim@example.com"}})
    assert r.status_code == 200, r.text
    anonymous = start_chat(app, tenant, "bob")
    agent_says(app, tenant, anonymous, "Hello Bob")
    # The one who typed an address in the pre-chat form.
    typed = start_chat(app, tenant, "cleo", form={"name": "Cleo", "email": "cleo@example.com"})
    agent_says(app, tenant, typed, "Hello Cleo")
    assert tick(app, DELAY + 1) == 1
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_to == ["cleo@example.com"]
    time.sleep(0.2)
    assert len(mailbox.caught) == 1
    outcomes = {r.conversation_id: r.outcome for r in asyncio.run(_threads(database_url))}
    assert outcomes == {anonymous: "no_address", typed: "sent"}


async def _threads(database_url: str) -> list[Any]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.execute(select(mail_threads)))
    finally:
        await engine.dispose()


def test_the_workspace_sets_the_delay_or_turns_it_off(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:
    identify(app, tenant, "ann-laptop", "ann", email="ann@example.com")
    settings_patch(app, tenant, email_unread_delay_seconds=600)
    conv = start_chat(app, tenant, "ann-laptop", "ann")
    agent_says(app, tenant, conv, "Let me check.")
    assert tick(app, DELAY + 1) == 0
    assert tick(app, 601) == 1
    mailbox.wait_for(1)
    settings_patch(app, tenant, email_unread_replies=False)
    agent_says(app, tenant, conv, "Found it.")
    assert tick(app, 601) == 0
    settings_patch(app, tenant, email_unread_replies=True)
    agent_says(app, tenant, conv, "Still there?")
    assert tick(app, 601) == 1  # only what came after it was turned back on
    _first, second = mailbox.wait_for(2)
    assert "Still there?" in (second.part("plain") or "")
    assert "Found it." not in (second.part("plain") or "")
    r = app.patch("/api/workspace/settings", headers=tenant.bearer(),
                  json={"email_unread_delay_seconds": 1})
    assert r.status_code == 422


def test_a_visitor_who_left_long_ago_gets_the_answer_at_once(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox, database_url: str) -> None:
    identify(app, tenant, "ann-laptop", "ann", email="ann@example.com")
    conv = start_chat(app, tenant, "ann-laptop", "ann")
    asyncio.run(_left(database_url, hours=3))  # she left three hours ago
    agent_says(app, tenant, conv, "Sorry for the wait: yes, we do.")
    assert tick(app, 10) == 1  # no two minutes to wait: she is not coming back to the page
    [mail] = mailbox.wait_for(1)
    assert "Sorry for the wait" in (mail.part("plain") or "")


async def _left(database_url: str, hours: float) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(visitors).values(last_seen=time.time() - hours * 3600))
    finally:
        await engine.dispose()


def test_an_address_typed_in_the_widgets_email_card_is_used(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:
    # What the widget's email_capture card sends when the visitor leaves their address.
    r = app.post("/v1/track", headers=tenant.basic(), json={
        "anonymousId": "dora", "event": "email_captured",
        "properties": {"$set": {"email": "dora@example.com",
                                "captured_email": "dora@example.com"}}})
    assert r.status_code == 200, r.text
    conv = start_chat(app, tenant, "dora")
    agent_says(app, tenant, conv, "Here is the answer.")
    assert tick(app, DELAY + 1) == 1
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_to == ["dora@example.com"]


def test_the_workspace_sends_under_its_own_name_and_address(
        app: TestClient, tenant: Tenant, mailbox: ThreadedMailbox) -> None:
    settings_patch(app, tenant, email_from_name="Acme Boots",
                   email_from_address="help@acme-boots.example")
    identify(app, tenant, "ann-laptop", "ann", locale="en-GB", email="ann@example.com")
    conv = start_chat(app, tenant, "ann-laptop", "ann")
    agent_says(app, tenant, conv, "Yes.")
    assert tick(app, DELAY + 1) == 1
    [mail] = mailbox.wait_for(1)
    [sender] = mail.message["From"].addresses
    assert sender.addr_spec == "help@acme-boots.example"
    assert sender.display_name.endswith("(Acme Boots)")
    assert "(Acme Boots)" in mail.message["Subject"]
    for bad in ({"email_from_address": "help@acme.example\r\nBcc: x@y.example"},
                {"email_from_address": "Acme <help@acme.example>"},
                {"email_from_name": "Acme\nBcc: x"}):
        r = app.patch("/api/workspace/settings", headers=tenant.bearer(), json=bad)
        assert r.status_code == 422, bad
    settings_patch(app, tenant, email_from_name=None, email_from_address=None)
    agent_says(app, tenant, conv, "Anything else?")
    assert tick(app, DELAY + 1) == 1
    _first, second = mailbox.wait_for(2)
    assert second.message["From"].addresses[0].addr_spec == "shop@acme.example"
