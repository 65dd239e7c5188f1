"""The pre-chat form on a customer's page: a required e-mail checked in the browser with
accessible errors, the question as the first message, the answers in the conversation's
context for agents and on the visitor's profile; in the visitor's language."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Live, widget
from tests.browser.test_snippet import anonymous_id, serve, site, site_page

TIMEOUT = 10_000
FIELDS = 'data-prechat="name,email*,question,order_number:Order number"'


@dataclass
class Language:
    locale: str
    labels: list[str]  # name, e-mail, question, order number, as shown
    required: str
    bad_email: str
    start: str


ENGLISH = Language("en-US", ["Name", "E-mail", "Your question", "Order number"],
                   "Please fill in this field.", "Please enter a valid e-mail address.",
                   "Start chat")
FRENCH = Language("fr-FR", ["Nom", "E-mail", "Votre question", "Order number"],
                  "Veuillez remplir ce champ.", "Veuillez saisir une adresse e-mail valide.",
                  "Démarrer la discussion")


def conversation_ids(live: Live) -> list[str]:
    with live.api() as api:
        return [c["id"] for c in api.get("/api/conversations").json()["conversations"]]


def event_names(live: Live, anon: str) -> list[str]:
    with live.api() as api:
        r = api.get(f"/api/visitors/{anon}/events", params={"limit": 200})
        return [] if r.status_code == 404 else [e["name"] for e in r.json()["events"]]


def attributes(live: Live, anon: str, wanted: str) -> dict[str, Any]:
    """The visitor's attributes once ``wanted`` is among them (bounded wait)."""
    got: dict[str, Any] = {}
    for _ in range(40):
        with live.api() as api:
            r = api.get(f"/api/visitors/{anon}")
        got = r.json().get("attributes", {}) if r.status_code == 200 else {}
        if wanted in got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"{wanted} never reached the profile: {got}")


@pytest.mark.parametrize("lang", [ENGLISH, FRENCH], ids=["en", "fr"])
def test_prechat_form_checks_then_starts_the_chat(live: Live, browser: Browser,
                                                 lang: Language) -> None:
    ctx = browser.new_context(locale=lang.locale)
    ctx.set_default_timeout(TIMEOUT)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        serve(page, live, site_page(live, "<h1>Shop</h1>", FIELDS))
        page.goto(f"{site(live)}/help")
        page.wait_for_function("window.floorwalker && window.floorwalker.debug")
        before = conversation_ids(live)
        widget(page, "launcher").click()
        # The form replaces the message box; built-in labels in the visitor's language,
        # the site's own label as given; only the e-mail is required.
        expect(widget(page, "prechat-name")).to_be_focused()
        expect(widget(page, "input")).to_be_hidden()
        for key, text in zip(["name", "email", "question", "order_number"], lang.labels,
                             strict=True):
            expect(widget(page, f"prechat-{key}")).to_have_accessible_name(text)
        expect(widget(page, "prechat-email")).to_have_attribute("required", "")
        expect(widget(page, "prechat-name")).not_to_have_attribute("required", "")
        expect(widget(page, "prechat-submit")).to_have_text(lang.start)

        email = widget(page, "prechat-email")
        widget(page, "prechat-name").fill("Ann Smith")
        widget(page, "prechat-question").fill("Do you ship to Belgium?")
        widget(page, "prechat-order_number").fill("A-1001")
        widget(page, "prechat-submit").click()
        expect(email).to_have_attribute("aria-invalid", "true")
        expect(email).to_have_accessible_description(lang.required)
        expect(email).to_be_focused()
        email.fill("ann@example")
        widget(page, "prechat-submit").click()
        expect(widget(page, "prechat-email-error")).to_have_text(lang.bad_email)
        expect(email).to_have_accessible_description(lang.bad_email)
        expect(widget(page, "prechat-name")).not_to_have_attribute("aria-invalid", "true")
        # Nothing was sent: no message, no conversation, no answers.
        page.wait_for_timeout(1500)  # longer than the tracking batch interval
        anon = anonymous_id(page)
        assert "prechat_submitted" not in event_names(live, anon)
        assert conversation_ids(live) == before
        expect(widget(page, "message")).to_have_count(0)

        email.fill("ann@example.com")
        email.press("Enter")
        # The question is the first message; the form gives way to the message box.
        first = widget(page, "message").first
        expect(first).to_contain_text("Do you ship to Belgium?")
        expect(first).to_have_attribute("data-author", "visitor")
        expect(first).to_have_attribute("data-state", re.compile("sent|read"))
        expect(widget(page, "prechat-email")).to_have_count(0)
        expect(widget(page, "input")).to_be_focused()
        conv_id: str = page.evaluate("floorwalker.debug.state().active")
        assert conv_id and conversation_ids(live) == [conv_id, *before]
        with live.api() as api:
            got = api.get(f"/api/conversations/{conv_id}").json()
        assert got["conversation"]["context"]["prechat"] == {
            "name": "Ann Smith", "email": "ann@example.com",
            "question": "Do you ship to Belgium?", "order_number": "A-1001"}
        said = [m["text"] for m in got["messages"] if m["author"] == "visitor"]
        assert said == ["Do you ship to Belgium?"]
        # The answers are attributes segments can use (the question is the message).
        attrs = attributes(live, anon, "order_number")
        assert {k: attrs.get(k) for k in ("name", "email", "order_number", "question")} == {
            "name": "Ann Smith", "email": "ann@example.com", "order_number": "A-1001",
            "question": None}
        # The next page does not ask again.
        page.reload()
        page.wait_for_function("window.floorwalker && window.floorwalker.debug")
        if not widget(page, "panel").is_visible():
            widget(page, "launcher").click()
        expect(widget(page, "input")).to_be_visible()
        expect(widget(page, "prechat-name")).to_have_count(0)
        assert errors == []
    finally:
        ctx.close()
