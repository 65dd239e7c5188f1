"""The site snippet on a page of a customer's site: dataLayer, SPA page views, consent,
and the opt-in capture of typed fields (never passwords)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route

from tests.browser.conftest import Live


def site(live: Live) -> str:
    """A customer's site: another origin (localhost, not 127.0.0.1) served by the test."""
    return live.base.replace("127.0.0.1", "localhost") + "/customer-site"


def site_page(live: Live, body: str, attrs: str = "") -> str:
    """A customer's page that installs the snippet with one tag."""
    return f"""<!doctype html><html><head><title>Shop</title>
<script>window.dataLayer = window.dataLayer || [];
dataLayer.push({{event: 'gtm.js'}});
dataLayer.push({{event: 'view_item_list', ecommerce: {{items: [{{item_id: 'a'}}]}}}});
window.floorwalker = window.floorwalker
  || function(){{(floorwalker.q = floorwalker.q || []).push(arguments)}};
</script></head><body>{body}
<script async src="{live.base}/widget/floorwalker.js"
  data-write-key="{live.write_key}" {attrs}></script>
</body></html>"""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context()
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


def serve(page: Page, live: Live, html: str) -> None:
    """Answer every page of the customer site with ``html``."""
    def handler(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)
    page.route(f"{site(live)}/**", handler)


def names(live: Live, anon: str) -> list[str]:
    with live.api() as api:
        r = api.get(f"/api/visitors/{anon}/events", params={"limit": 200})
        if r.status_code == 404:
            return []
        return [e["name"] for e in reversed(r.json()["events"])]


def anonymous_id(page: Page) -> str:
    value: str = page.evaluate("localStorage.getItem('fw_aid') || ''")
    return value.strip('"')


def wait_for(page: Page, live: Live, anon: str, wanted: str, timeout_ms: int = 8000) -> list[str]:
    for _ in range(timeout_ms // 250):
        got = names(live, anon)
        if wanted in got:
            return got
        page.wait_for_timeout(250)
    raise AssertionError(f"{wanted} never arrived: {names(live, anon)}")


def test_datalayer_before_and_after_load_spa_and_block_list(live: Live,
                                                            context: BrowserContext) -> None:
    page = context.new_page()
    serve(page, live, site_page(live, "<h1>Shop</h1>", 'data-block-events="secret_event"'))
    page.goto(f"{site(live)}/catalogue")
    page.wait_for_function("window.floorwalker && window.floorwalker.debug")
    anon = anonymous_id(page)
    page.evaluate("""dataLayer.push({ecommerce: null});
        dataLayer.push({event: 'secret_event'});
        dataLayer.push({event: 'add_to_cart', ecommerce: {currency: 'EUR',
            items: [{item_id: 'boot', price: 600, quantity: 1}]}});
        history.pushState({}, '', location.pathname.replace('catalogue', 'product-boot'));""")
    got = wait_for(page, live, anon, "add_to_cart")
    wait_for(page, live, anon, "page_view")
    got = names(live, anon)
    assert "view_item_list" in got  # pushed before the snippet loaded
    assert "gtm.js" not in got and "secret_event" not in got
    assert got.count("page_view") >= 2  # the load and the SPA navigation
    with live.api() as api:
        profile = api.get(f"/api/visitors/{anon}").json()
    assert profile["cart"]["value"] == 600
    assert profile["session"]["current_page"]["path"].endswith("/product-boot")


def test_nothing_is_stored_or_sent_before_consent(live: Live, context: BrowserContext) -> None:
    page = context.new_page()
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/v1/" in r.url else None)
    serve(page, live, site_page(live, "<h1>Shop</h1>", 'data-consent-required="true"'))
    page.goto(f"{site(live)}/")
    page.wait_for_timeout(2500)
    assert sent == []
    stored: Any = page.evaluate("Object.keys(localStorage).length + document.cookie.length")
    assert stored == 0
    page.evaluate("floorwalker('consent', true)")
    page.wait_for_timeout(2500)
    anon = anonymous_id(page)
    assert anon
    assert "page_view" in wait_for(page, live, anon, "page_view")


def test_marked_fields_are_captured_never_passwords(live: Live,
                                                    context: BrowserContext) -> None:
    form = """<form id="signup">
      <input type="email" name="email" data-floorwalker-capture>
      <input type="tel" name="phone">
      <input type="password" name="password" data-floorwalker-capture>
    </form>"""
    page = context.new_page()
    serve(page, live, site_page(live, form, 'data-forms="true"'))
    page.goto(f"{site(live)}/signup")
    page.wait_for_function("window.floorwalker && window.floorwalker.debug")
    page.fill("input[name=email]", "ann@example.com")
    page.fill("input[name=phone]", "+33 1 23 45 67 89")
    page.fill("input[name=password]", "hunter2-secret")
    page.locator("input[name=phone]").click()
    page.locator("body").click()
    anon = anonymous_id(page)
    wait_for(page, live, anon, "form_field_captured")
    with live.api() as api:
        export = api.get(f"/api/visitors/{anon}/export").text
        profile = api.get(f"/api/visitors/{anon}").json()
    assert profile["attributes"]["email"] == "ann@example.com"
    assert "hunter2-secret" not in export
    assert "23 45 67 89" not in export  # not marked for capture
