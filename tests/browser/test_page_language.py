"""A French page in an English browser: the widget speaks French, and so do the messages
the rules send (the page's language comes first when the widget speaks it)."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.browser.conftest import Live, shot, widget
from tests.browser.test_snippet import anonymous_id, serve, site, site_page


def test_a_french_page_in_an_english_browser_speaks_french(live: Live,
                                                           browser: Browser) -> None:
    with live.api() as api:
        r = api.post("/api/scenarios", json={
            "key": "bonjour", "name": "Bonjour", "trigger": {"event": "need_help"},
            "department": "sales",
            "caps": {"per_session": None},
            "action": {"type": "chat_invitation", "agent_name": "Sam",
                       "text": {"en": "Hello, can I help?", "fr": "Bonjour, puis-je aider ?"}}})
        assert r.status_code == 201, r.text
    for width, height in ((1280, 800), (360, 740)):
        context = browser.new_context(locale="en-US", viewport={"width": width,
                                                                "height": height})
        context.set_default_timeout(10_000)
        page = context.new_page()
        html = site_page(live, "<h1>Bottes</h1>").replace("<html>", '<html lang="fr">', 1)
        serve(page, live, html)
        page.goto(f"{site(live)}/bottes")
        assert page.evaluate("navigator.language") == "en-US"
        expect(widget(page, "launcher")).to_be_visible()
        expect(widget(page, "launcher")).to_have_attribute("aria-label", "Discuter avec nous")
        anon = anonymous_id(page)
        page.evaluate("floorwalker('track', 'need_help')")
        expect(page.locator("#floorwalker-widget").get_by_text(
            "Bonjour, puis-je aider ?")).to_be_visible()
        shot(page, f"page-language-fr-{width}")
        with live.api() as api:
            assert api.get(f"/api/visitors/{anon}").json()["language"] == "fr"
        context.close()
