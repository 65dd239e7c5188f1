"""The six seed scenarios walked in the demo shop, in Chromium, through the real widget."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import Live, shot, widget

TIMEOUT = 10_000


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh visitor (new storage, so a new anonymousId)."""
    ctx = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 800})
    ctx.set_default_timeout(TIMEOUT)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


SHOWN = ("#floorwalker-widget [data-fw='invitation-text'], "
         "#floorwalker-widget [data-fw='popup-text'], "
         "#floorwalker-widget [data-fw='card-text'], "
         "#floorwalker-widget [data-fw='message']")


def expect_shown(page: Page, text: str) -> None:
    """The widget shows ``text`` in an invitation, pop-up, card or chat message."""
    expect(page.locator(SHOWN).filter(has_text=text).first).to_be_visible()


def nothing_shown(page: Page, wait_ms: int = 2500) -> None:
    """Give the server time to decide, then check the widget shows no invitation."""
    page.wait_for_timeout(wait_ms)
    for hook in ("invitation", "popup", "card"):
        expect(widget(page, hook)).to_have_count(0)


def add_to_cart(page: Page, live: Live, item: str) -> None:
    page.goto(f"{live.base}/demo/product.html?id={item}")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_timeout(300)


def test_search_with_few_results(live: Live, page: Page) -> None:
    page.goto(f"{live.base}/demo/")
    nothing_shown(page)
    page.goto(f"{live.base}/demo/search.html?q=xyz")
    expect_shown(page, 'Only 0 results for "xyz"')


def test_payment_failure_with_paypal(live: Live, page: Page) -> None:
    add_to_cart(page, live, "coat-wool")
    page.goto(f"{live.base}/demo/checkout.html")
    page.get_by_label("PayPal").check()
    page.get_by_role("button", name="Pay").click()
    expect_shown(page, "Your paypal payment did not go through")


def test_payment_by_transfer_gets_no_payment_help(live: Live, page: Page) -> None:
    add_to_cart(page, live, "coat-wool")
    page.goto(f"{live.base}/demo/checkout.html")
    page.get_by_label("Bank transfer").check()
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url("**/checkout/confirmation.html*")
    page.wait_for_timeout(2500)
    expect(page.locator(SHOWN).filter(has_text="did not go through")).to_have_count(0)


def test_cart_over_500(live: Live, page: Page) -> None:
    add_to_cart(page, live, "coat-wool")  # 420: a near miss
    page.goto(f"{live.base}/demo/cart.html")
    page.wait_for_timeout(2000)
    expect(page.get_by_text("That's a great selection")).to_have_count(0)
    add_to_cart(page, live, "spray")  # 429: still under
    add_to_cart(page, live, "boot-red")  # 618
    expect_shown(page, "That's a great selection (€618.00)")


def test_coupon_failure(live: Live, page: Page) -> None:
    add_to_cart(page, live, "sock-wool")
    page.goto(f"{live.base}/demo/cart.html")
    page.get_by_label("Coupon").fill("SPRING")
    page.get_by_role("button", name="Apply").click()
    expect_shown(page, 'The code "SPRING" is not valid any more. Use SORRY10')


def test_valid_coupon_gets_no_coupon_chat(live: Live, page: Page) -> None:
    add_to_cart(page, live, "sock-wool")
    page.goto(f"{live.base}/demo/cart.html")
    page.get_by_label("Coupon").fill("WELCOME10")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_timeout(2500)
    expect(page.locator(SHOWN).filter(has_text="is not valid any more")).to_have_count(0)


def test_important_faq(live: Live, page: Page) -> None:
    page.goto(f"{live.base}/demo/faq.html")
    page.locator("summary", has_text="About us").click()
    nothing_shown(page)
    page.locator("summary", has_text="Returns and refunds").click()
    expect_shown(page, 'Questions about "Returns and refunds"?')


def test_loyal_customer_coupon(live: Live, page: Page) -> None:
    page.goto(f"{live.base}/demo/login.html")
    page.get_by_label("E-mail").fill("ann@example.com")
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_timeout(1500)
    page.goto(f"{live.base}/demo/product.html?id=boot-red")
    expect_shown(page, "Thanks for your loyalty, Ann! Take 20% off this item.")
    expect(widget(page, "coupon").first).to_contain_text("LOYAL20")


def test_prospect_viewing_an_item_gets_no_loyalty_coupon(live: Live, page: Page) -> None:
    page.goto(f"{live.base}/demo/product.html?id=boot-red")
    page.wait_for_timeout(2500)
    expect(page.get_by_text("Thanks for your loyalty")).to_have_count(0)


# The demo guide in its own timing: the workspace's default gap and cap (the `live`
# fixture lifts them for the other tests), one step straight after the other.
@pytest.fixture
def guide_timing(live: Live) -> Live:
    with live.api() as api:
        r = api.patch("/api/workspace/settings",
                      json={"min_gap_seconds": 60, "max_proactive_per_session": 2})
        assert r.status_code == 200, r.text
    return live


CROSS_SELL = "Popular choice! Customers who bought it also took waterproof spray."


def test_guide_boots_then_paypal_failure(guide_timing: Live, page: Page) -> None:
    live = guide_timing
    add_to_cart(page, live, "boot-red")
    expect_shown(page, CROSS_SELL)
    page.goto(f"{live.base}/demo/checkout.html")
    page.get_by_label("PayPal").check()
    page.get_by_role("button", name="Pay").click()
    expect_shown(page, "Your paypal payment did not go through")
    expect(page.locator(SHOWN).filter(has_text="Popular choice")).to_have_count(0)
    shot(page, "widget-guide-paypal-1100")


def test_guide_boots_then_coupon_spring(guide_timing: Live, page: Page) -> None:
    live = guide_timing
    add_to_cart(page, live, "boot-red")
    expect_shown(page, CROSS_SELL)
    page.goto(f"{live.base}/demo/cart.html")
    page.get_by_label("Coupon").fill("SPRING")
    page.get_by_role("button", name="Apply").click()
    expect_shown(page, 'The code "SPRING" is not valid any more. Use SORRY10')


def test_a_rescue_replaces_the_message_on_screen(guide_timing: Live, page: Page) -> None:
    live = guide_timing
    # The search help opens the chat panel and waits for the visitor's first words ...
    page.goto(f"{live.base}/demo/search.html?q=xyz")
    expect_shown(page, 'Only 0 results for "xyz"')
    # ... when, on the same page, a coupon fails (priority 90 over 60): the search help
    # is withdrawn from the panel and the coupon help takes its place.
    page.evaluate("window.dataLayer.push({event: 'coupon_failure', coupon: 'SPRING'})")
    expect_shown(page, 'The code "SPRING" is not valid any more')
    expect(page.locator(SHOWN).filter(has_text="Only 0 results")).to_have_count(0)
    expect(widget(page, "message")).to_have_count(1)
    shot(page, "widget-rescue-replaces-1100")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "widget-rescue-replaces-360")
    # The visitor answers the message they see: the chat starts from the coupon help.
    widget(page, "input").fill("Thanks, SORRY10 works")
    widget(page, "send").click()
    expect(widget(page, "message").filter(has_text="SORRY10 works")).not_to_have_attribute(
        "data-state", re.compile("sending|failed"))
    with live.api() as api:
        visitor = page.evaluate("window.floorwalker._fw.ids().anonymousId")
        found = api.get("/api/decisions", params={"visitor": visitor}).json()
    outcomes = {d["scenario"]: (d["outcome"], d["reason"]) for d in found}
    assert outcomes["search_few_results"] == ("withdrawn", "replaced_by:coupon_failure")
    assert outcomes["coupon_failure"] == ("fired", None)
