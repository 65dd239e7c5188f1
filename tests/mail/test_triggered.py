"""A scenario's ``email`` action: queued with its decision for a verified visitor who
agreed, rendered in their language with its coupon and link, with one-click unsubscribe;
caps hold; no consent, an unsubscribed address, or a missing subject stop it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from floorwalker.mail.outbox import quiet_until
from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox, unsubscribed
from tests.mail.test_inbound import app  # noqa: F401 (a fixture)
from tests.mail.test_unread import tenant  # noqa: F401 (a fixture)

REMINDER = {
    "key": "cart_reminder", "name": "Cart reminder", "trigger": {"event": "cart_idle"},
    "caps": {"per_session": None, "per_visitor": 1},
    "action": {"type": "email",
               "title": {"en": "Your {{ cart.item_count }} boots are waiting, "
                               "{{ visitor.first_name }}",
                         "nl": "Je laarzen wachten op je, {{ visitor.first_name }}"},
               "text": {"en": "Still thinking it over?\n\nHere is 10% off until Sunday.",
                        "nl": "Twijfel je nog?\n\nHier is 10% korting tot zondag."},
               "button": {"en": "Back to my cart", "nl": "Terug naar mijn winkelwagen"},
               "coupon": "CART10", "url": "https://acme.example/cart"}}


def person(client: Any, t: Tenant, user: str, locale: str = "en-GB", **traits: Any) -> None:
    r = client.post("/v1/batch", headers=t.server(), json={"batch": [
        {"type": "identify", "anonymousId": f"{user}-laptop", "userId": user,
         "traits": traits, "context": {"locale": locale}},
        {"type": "track", "userId": user, "event": "add_to_cart",
         "properties": {"item_id": "boot", "price": 120, "quantity": 2, "currency": "EUR"}}]})
    assert r.status_code == 200, r.text


def trigger(client: Any, t: Tenant, user: str) -> None:
    r = client.post("/v1/track", headers=t.server(), json={"userId": user, "event": "cart_idle"})
    assert r.status_code == 200, r.text


def decisions(client: Any, t: Tenant, user: str) -> list[dict[str, Any]]:
    r = client.get("/api/decisions", headers=t.bearer(), params={"visitor": user})
    assert r.status_code == 200, r.text
    return list(r.json())


def test_the_reminder_goes_to_a_visitor_who_agreed_once(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    r = app.post("/api/scenarios", headers=tenant.bearer(), json=REMINDER)
    assert r.status_code == 201, r.text
    person(app, tenant, "ann", locale="nl-NL", email="ann@example.com", first_name="Ann",
           email_consent=True)
    trigger(app, tenant, "ann")
    [mail] = mailbox.wait_for(1)
    m = mail.message
    assert mail.rcpt_to == ["ann@example.com"]
    assert m["Subject"] == "Je laarzen wachten op je, Ann"
    assert m["Content-Language"] == "nl"
    text = mail.part("plain") or ""
    assert text.startswith("Twijfel je nog?\n\nHier is 10% korting tot zondag.")
    assert "CART10" in text and "Terug naar mijn winkelwagen: https://acme.example/cart" in text
    html = mail.part("html") or ""
    assert 'href="https://acme.example/cart"' in html and "CART10" in html
    assert m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [decided] = decisions(app, tenant, "ann")
    assert (decided["outcome"], decided["action_type"]) == ("fired", "email")
    # Its cap: once per visitor.
    trigger(app, tenant, "ann")
    time.sleep(0.3)
    assert len(mailbox.caught) == 1
    assert decisions(app, tenant, "ann")[0]["outcome"] == "suppressed"


def test_no_consent_no_verified_identity_or_unsubscribed_no_email(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox,  # noqa: F811
        database_url: str) -> None:
    r = app.post("/api/scenarios", headers=tenant.bearer(), json=REMINDER)
    assert r.status_code == 201, r.text
    person(app, tenant, "bob", email="bob@example.com")  # never agreed
    trigger(app, tenant, "bob")
    [bob] = decisions(app, tenant, "bob")
    assert (bob["outcome"], bob["reason"]) == ("suppressed", "no_email_consent")
    # An anonymous browser that claims consent and an address: not verified.
    r = app.post("/v1/batch", headers=tenant.basic(), json={"batch": [
        {"type": "identify", "anonymousId": "eve", "traits": {
            "email": "victim@example.com", "email_consent": True}},
        {"type": "track", "anonymousId": "eve", "event": "cart_idle"}]})
    assert r.status_code == 200, r.text
    [eve] = decisions(app, tenant, "eve")
    assert eve["reason"] == "no_email_consent"
    # One who agreed, then unsubscribed.
    person(app, tenant, "cleo", email="cleo@example.com", email_consent=True)
    unsubscribed(database_url, tenant.workspace_id, "cleo@example.com")
    trigger(app, tenant, "cleo")
    time.sleep(0.5)
    assert mailbox.caught == []


def test_an_email_action_needs_a_subject_and_a_text(app: Any, tenant: Tenant) -> None:  # noqa: F811
    bad = {**REMINDER, "action": {"type": "email", "text": {"en": "Hi"},
                                  "url": "javascript:alert(1)"}}
    r = app.post("/api/scenarios", headers=tenant.bearer(), json=bad)
    assert r.status_code == 422
    paths = {d["path"] for d in r.json()["error"]["details"]}
    assert {"$.action.title", "$.action.url"} <= paths



def test_quiet_hours_hold_a_scenarios_email_until_they_end(
        app: Any, tenant: Tenant, mailbox: ThreadedMailbox) -> None:  # noqa: F811
    now = datetime.now(UTC)
    start, end = now - timedelta(hours=1), now + timedelta(hours=1)
    r = app.patch("/api/workspace/settings", headers=tenant.bearer(), json={
        "email_quiet_start": start.strftime("%H:%M"), "email_quiet_end": end.strftime("%H:%M"),
        "email_timezone": "UTC"})
    assert r.status_code == 200, r.text
    assert app.post("/api/scenarios", headers=tenant.bearer(), json=REMINDER).status_code == 201
    person(app, tenant, "ann", email="ann@example.com", email_consent=True)
    trigger(app, tenant, "ann")
    sender = app.app.state.services.mail
    app.portal.call(sender.tick)
    time.sleep(0.3)
    assert mailbox.caught == []  # quiet: held
    [held] = app.get("/api/emails", headers=tenant.bearer()).json()["emails"]
    ends = end.replace(second=0, microsecond=0).timestamp()
    assert (held["status"], held["attempts"]) == ("queued", 0)
    assert held["next_attempt_at"] == pytest.approx(ends)
    app.portal.call(sender.tick, ends + 1)
    [mail] = mailbox.wait_for(1)
    assert mail.rcpt_to == ["ann@example.com"]
    for bad in ({"email_quiet_start": "25:00", "email_quiet_end": "08:00"},
                {"email_quiet_start": "21:00"}, {"email_timezone": "Mars/Olympus"}):
        assert app.patch("/api/workspace/settings", headers=tenant.bearer(),
                         json=bad).status_code == 422, bad


def test_quiet_hours_span_midnight_in_the_workspaces_zone() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    at = datetime(2026, 12, 5, 23, 30, tzinfo=zone).timestamp()
    assert quiet_until(at, "21:00", "08:00", "Europe/Amsterdam") == datetime(
        2026, 12, 6, 8, 0, tzinfo=zone).timestamp()
    early = datetime(2026, 12, 6, 7, 15, tzinfo=zone).timestamp()
    assert quiet_until(early, "21:00", "08:00", "Europe/Amsterdam") == datetime(
        2026, 12, 6, 8, 0, tzinfo=zone).timestamp()
    noon = datetime(2026, 12, 6, 12, 0, tzinfo=zone).timestamp()
    assert quiet_until(noon, "21:00", "08:00", "Europe/Amsterdam") is None
    assert quiet_until(noon, None, None, "UTC") is None
