"""Addresses that get no more e-mail, in Chromium: Ann logs in on the demo shop and the
console's card for her shows her address as verified; the unread answer e-mailed to her
links to the unsubscribe page; she unsubscribes there; the card then says so, in red. On
the way, her phone's widget shows her message's state in the small meta line
(docs/email.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import Live, shot, widget
from tests.browser.test_email_walk import (
    ANN,
    DELAY,
    chat_message,
    console,
    open_chat,
    shop_login,
    wait_for_mail,
)

SAM = "sam@demo.example"
QUESTION = "Can I still change my delivery address?"
ANSWER = "Yes, until the parcel leaves; send us the new one here."
LINK = re.compile(r"https?://\S+/v1/email/unsubscribe\?t=[^\s\"<>]+")
GREEN = "rgb(22, 101, 52)"  # .email-verified
RED = "rgb(153, 27, 27)"  # .email-unsubscribed
LONG_ADDRESS = "firstname.middlename.lastname.department@subdomain.long-company-name.example"


def shot_of(part: Locator, name: str) -> None:
    """With FLOORWALKER_SCREENSHOTS=<folder>, keep what ``part`` shows now as <name>.png.

    It scrolls ``part`` into view. The console draws the card again whenever the
    visitor's row changes (and once more when its socket connects): an element replaced
    while it is taken is taken again."""
    folder = os.environ.get("FLOORWALKER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for attempt in range(3):
            try:
                part.screenshot(path=str(Path(folder) / f"{name}.png"))
                return
            except PlaywrightError as exc:
                if "not attached" not in str(exc) or attempt == 2:
                    raise


def email_fact(page: Page) -> Locator:
    """The card's "E-mail" fact (the <dd> after its <dt>)."""
    return page.locator("[data-test=visitor-card] dl.facts").locator(
        "xpath=./dt[normalize-space(.)='E-mail']/following-sibling::dd[1]")


def card_says(page: Page, status: str, colour: str, name: str) -> None:
    """The card's E-mail fact shows Ann's address with the ``status`` chip in ``colour``;
    screenshots of the fact and the page at 1280 and 360 px (left at 360)."""
    fact = email_fact(page)
    chip = fact.locator("[data-test=email-status]")
    expect(fact).to_contain_text(ANN)
    expect(chip).to_have_text(status)
    expect(chip).to_have_class(re.compile(rf"\bemail-{status}\b"))
    expect(chip).to_have_css("color", colour)
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 900 if width > 360 else 740})
        if width == 360:
            no_overflow(page, 360)
        shot_of(fact, f"{name}-card-email-{status}-{width}")
        shot(page, f"{name}-card-{status}-{width}")


def no_overflow(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def both_widths(page: Page, name: str, small: int = 360) -> None:
    """Screenshots at 1280 and ``small`` px; nothing wider than the small screen."""
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, f"{name}-1280")
    page.set_viewport_size({"width": small, "height": 740})
    no_overflow(page, small)
    shot(page, f"{name}-{small}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_card_shows_a_verified_address_until_its_owner_unsubscribes(
        live: Live, contexts: Any) -> None:
    with live.api() as api:
        r = api.patch("/api/workspace/settings", json={
            "email_unread_replies": True, "email_unread_delay_seconds": DELAY})
        assert r.status_code == 200, r.text

    # 1. On her phone Ann logs in (a verified identity with her e-mail) and asks.
    phone = shop_login(contexts(360, 740, is_mobile=True, has_touch=True), live)
    open_chat(phone)
    widget(phone, "input").fill(QUESTION)
    widget(phone, "send").click()
    asked = widget(phone, "message").filter(has_text=QUESTION)
    expect(asked).to_have_attribute("data-state", "sent")
    # The state label takes the meta line's small size, not the widget's 14 px.
    state = asked.locator(".meta > :first-child")
    expect(state).to_have_text("Sent")
    expect(state).to_have_css("font-size", "11px")
    expect(asked.locator(".meta")).to_have_css("font-size", "11px")
    box = state.bounding_box()
    assert box is not None and 10 <= box["height"] <= 18, box
    no_overflow(phone, 360)
    shot(phone, "addr-1-widget-sent-360")

    # 2. Sam opens her card: the address, verified (green).
    sam = console(contexts(1280, 900), live, SAM)
    sam.locator("nav a[data-route='visitors']").click()
    row = sam.locator("[data-test=visitor-row]").filter(has_text="Ann Archer")
    expect(row).to_have_count(1)
    visitor_id = row.get_attribute("data-visitor")
    assert visitor_id
    row.locator("[data-test=open-visitor]").click()
    card_says(sam, "verified", GREEN, "addr-2")
    sam.set_viewport_size({"width": 1280, "height": 900})

    # 3. Ann leaves; Sam answers; unread after the delay, it goes to her by e-mail,
    # with a link to stop such e-mails on this server's own address.
    phone.close()
    sam.locator("nav a[data-route='chats']").click()
    sam.locator("[data-test=tab-all]").click()
    item = sam.locator("[data-test=conv-item]").filter(has_text=QUESTION)
    expect(item).to_have_count(1)
    item.click()
    compose = sam.locator("[data-test=compose]")
    compose.fill(ANSWER)
    compose.press("Enter")
    expect(chat_message(sam, ANSWER)).to_have_attribute("data-state", "sent")
    mail = wait_for_mail(live, ANN)
    assert ANSWER in (mail["text"] or "")
    links = LINK.findall(mail["text"] or "")
    assert len(links) == 1, mail["text"]
    link = links[0]
    assert link.startswith(live.base + "/v1/email/unsubscribe?t="), link
    assert link.replace("&", "&amp;") in (mail["html"] or "")

    # 4. She opens the link: it asks first, and changes nothing until she confirms.
    inbox = contexts(1280, 900)
    page = inbox.new_page()
    opened = page.goto(link)
    assert opened is not None and opened.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(f"No more e-mails to {ANN}?")
    button = page.locator("[data-test=unsubscribe]")
    expect(button).to_have_text("Unsubscribe")
    both_widths(page, "addr-3-unsubscribe-ask")
    # A long address wraps on a phone rather than widening the page.
    page.set_viewport_size({"width": 360, "height": 740})
    page.get_by_role("heading", level=1).evaluate(
        "(e, a) => { e.textContent = 'No more e-mails to ' + a + '?'; }", LONG_ADDRESS)
    no_overflow(page, 360)
    page.set_viewport_size({"width": 1280, "height": 900})
    with live.api() as api:
        card = api.get(f"/api/live/visitors/{visitor_id}").json()
        assert card["email"]["status"] == "ok"
    with page.expect_navigation():
        button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Done")
    expect(page.locator("main")).to_contain_text(f"No more e-mails will go to {ANN}.")
    both_widths(page, "addr-4-unsubscribe-done")

    # A link we did not sign says it is not valid.
    forged = urlsplit(link)._replace(query="t=0123456789abcdef").geturl()
    refused = page.goto(forged)
    assert refused is not None and refused.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link is not valid")
    both_widths(page, "addr-5-unsubscribe-invalid")

    # 5. Sam's card, loaded again: unsubscribed, in red.
    sam.goto(f"{live.base}/console/#/visitors?v={visitor_id}")
    sam.reload()
    card_says(sam, "unsubscribed", RED, "addr-6")
    assert sam.errors == []  # type: ignore[attr-defined]
