"""Security review, issue 9 §5.4, in Chromium: a visitor who reports a ``javascript:`` page
URL gets no link into the agent's console (the server drops the URL; the console renders
any non-http(s) link target as plain text)."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.browser.conftest import Live
from tests.browser.test_console import SAM, TIMEOUT, console

EVIL = "javascript:alert(document.cookie)"


def test_a_javascript_page_url_is_no_link_in_the_console(live: Live, browser: Browser) -> None:
    r = httpx.post(f"{live.base}/v1/page", headers=live.basic(), json={
        "anonymousId": "mallory", "properties": {"url": EVIL},
        "context": {"page": {"url": EVIL, "path": "/evil", "title": "Evil page"}}})
    assert r.status_code == 200, r.text
    assert {w["code"] for w in r.json()["warnings"]} == {"unsafe_url"}
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT)
    try:
        sam = console(ctx, live, SAM)
        row = sam.locator("[data-test=visitor-row]").filter(has_text="Evil page")
        expect(row).to_have_count(1)
        row.locator("[data-test=open-visitor]").click()
        card = sam.locator("[data-test=visitor-card]")
        expect(card).to_contain_text("Evil page")  # the page is shown, as text
        expect(card.locator("[data-test=card-timeline]")).to_contain_text("page_view")
        assert sam.locator("a[href]").count() > 0
        hrefs = sam.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)")
        assert not [h for h in hrefs if not h.startswith(("http:", "https:"))], hrefs
        # Links made from data stored before the fix are refused by the console itself.
        made = sam.evaluate("""() => [' JavaScript:alert(1)', 'java\\tscript:alert(1)',
                'data:text/html,x', 'https://acme.example/a', '#/chats'].map((u) =>
                window.fwCore.h('a', {href: u}).getAttribute('href'))""")
        assert made == [None, None, None, "https://acme.example/a", "#/chats"]
        assert sam.errors == []  # type: ignore[attr-defined]
    finally:
        ctx.close()
