"""The demo's mailbox page (/demo/mailbox) in Chromium: what the app's sender delivered to
the demo's own SMTP mailbox, with its subject, recipient and plain text, the HTML body in
a sandboxed frame where its scripts do not run, the empty state, and a 360 px phone."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from floorwalker.mail import outbox, texts
from floorwalker.mail.sink import Mailbox
from floorwalker.store.engine import make_engine
from floorwalker.store.transaction import atomic
from tests.browser.conftest import Live, shot

# A script in an e-mail's HTML: it would mark the frame's body if it ran.
SCRIPT = "<script>document.body.setAttribute('data-ran', 'yes')</script>"
# No break opportunity: it must wrap on a phone rather than widen the page.
LONG = "a-very-long-recipient-address-without-any-break-opportunity"


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    yield ctx
    ctx.close()


def services(live: Live) -> Any:
    app: Any = live.server.config.app
    return app.state.services


def mailbox(live: Live) -> Mailbox:
    box = services(live).mailbox
    assert isinstance(box, Mailbox), "the demo runs its own mailbox"
    return box


def queue(live: Live, *drafts: outbox.Draft) -> list[str]:
    """Queue e-mails in the app's outbox, as an action would (its own engine, in another
    thread: Playwright's sync API keeps an event loop in this one)."""
    svc = services(live)

    async def run() -> list[str]:
        engine = make_engine(svc.settings.database_url)
        try:
            async with atomic(engine) as tx:
                return [await outbox.enqueue(tx.conn, d, now=time.time(),
                                             mail_from=svc.settings.mail_from) for d in drafts]
        finally:
            await engine.dispose()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def sent(live: Live, count: int, seconds: float = 15.0) -> None:
    """Wait until the app's sender has delivered ``count`` e-mails to the mailbox."""
    box = mailbox(live)
    deadline = time.time() + seconds
    while len(box.caught) < count:
        assert time.time() < deadline, f"{len(box.caught)} of {count} e-mails arrived"
        time.sleep(0.1)


def drafts(live: Live) -> tuple[outbox.Draft, outbox.Draft]:
    """An unread-replies e-mail as the product writes it, and one with a script in its
    HTML and an address a phone cannot break."""
    with live.api() as api:
        ws = api.get("/api/workspace").json()
    subject, text, html = texts.unread_replies(
        "en", workspace=ws["name"], agent="Sam (Sales)", visitor_name="Ann",
        messages=[{"name": "Sam (Sales)", "created_at": time.time() - 60,
                   "text": "Your boots ship tomorrow.\nAnything else?"}],
        link=None, can_reply=False)
    unread = outbox.Draft(workspace_id=ws["id"], kind="unread_replies",
                          to_address="ann@example.com", subject=subject, body_text=text,
                          body_html=html, from_name="Sam (Sales)", language="en")
    hostile = outbox.Draft(workspace_id=ws["id"], kind="unread_replies",
                           to_address=f"{LONG}@example.com",
                           subject="Re: <b>your order</b> " + "x" * 80, body_text="Plain only",
                           body_html="<p data-test='inner'>Hello from HTML</p>" + SCRIPT)
    return unread, hostile


def open_mailbox(page: Page, live: Live) -> None:
    page.goto(f"{live.base}/demo/mailbox")
    expect(page.get_by_role("heading", name="Demo mailbox")).to_be_visible()


def test_the_mailbox_is_empty_until_the_app_sends_something(live: Live,
                                                            context: BrowserContext) -> None:
    page = context.new_page()
    open_mailbox(page, live)
    expect(page.locator("[data-test=mailbox-empty]")).to_contain_text("No e-mail yet")
    expect(page.locator("[data-test=mail]")).to_have_count(0)
    expect(page.locator("header")).to_contain_text(f"127.0.0.1:{mailbox(live).port}")
    shot(page, "mailbox-empty-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    shot(page, "mailbox-empty-360")


def test_an_email_the_app_sent_is_shown_with_its_html_sandboxed(
        live: Live, context: BrowserContext) -> None:
    unread, hostile = drafts(live)
    [first] = queue(live, unread)
    sent(live, 1)
    [second] = queue(live, hostile)
    sent(live, 2)
    page = context.new_page()
    open_mailbox(page, live)
    expect(page.locator("[data-test=mailbox-empty]")).to_have_count(0)
    mails = page.locator("[data-test=mail]")
    expect(mails).to_have_count(2)
    # Newest first: the hostile one, then the unread replies.
    last, mail = mails.nth(0), mails.nth(1)
    expect(mail.locator("[data-test=mail-subject]")).to_have_text(unread.subject)
    expect(mail.locator("[data-test=mail-to]")).to_have_text("ann@example.com")
    expect(mail).to_contain_text(first)  # its Message-ID, fixed when it was queued
    expect(mail).to_contain_text("Sam (Sales)")
    # With an HTML body the plain text is folded away; it opens.
    text = mail.locator("[data-test=mail-text]")
    expect(text).to_be_hidden()
    mail.get_by_text("Plain text").click()
    expect(text).to_contain_text("Your boots ship tomorrow.\nAnything else?")
    frame = mail.locator("iframe")
    expect(frame).to_have_attribute("sandbox", "")
    expect(frame).to_have_attribute("title", unread.subject)
    expect(mail.frame_locator("iframe").locator("body")).to_contain_text(
        "Your boots ship tomorrow.")

    # Markup in a header is text; a script in the HTML does not run in its frame.
    expect(last.locator("[data-test=mail-subject]")).to_have_text(hostile.subject)
    expect(last.locator("[data-test=mail-subject] b")).to_have_count(0)
    expect(last).to_contain_text(second)
    inner = last.frame_locator("iframe[sandbox]")
    expect(inner.locator("[data-test=inner]")).to_have_text("Hello from HTML")
    page.wait_for_timeout(300)
    expect(inner.locator("body")).not_to_have_attribute("data-ran", "yes")
    assert page.evaluate("document.body.hasAttribute('data-ran')") is False
    last.scroll_into_view_if_needed()
    shot(page, "mailbox-1280")
    mail.scroll_into_view_if_needed()
    shot(page, "mailbox-unread-1280")

    # On a phone: nothing wider than the screen, the frame within it.
    page.set_viewport_size({"width": 360, "height": 740})
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    for i in range(2):
        box = mails.nth(i).locator("iframe").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    shot(page, "mailbox-360")
    mail.scroll_into_view_if_needed()
    shot(page, "mailbox-unread-360")
    # The JSON says the same.
    with live.api() as api:
        listed = api.get("/demo/mailbox.json").json()["emails"]
    assert [m["message_id"] for m in listed] == [second, first]
    assert listed[0]["text"] == "Plain only\n"
