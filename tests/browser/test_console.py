"""The agent console's live pages in Chromium: visitors, chats, history, notifications.

Agents log in through the console's form, in their own browser contexts, while visitors
walk the demo shop in others: what the tests check is what each person sees.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from floorwalker.demo import DEMO_PASSWORD
from tests.browser.conftest import Live, shot, widget

TIMEOUT = 10_000
SAM, BEA, ADMIN = "sam@demo.example", "bea@demo.example", "admin@demo.example"

# Lets a test hold the console's socket down after dropping it (as a network would).
SOCKET_SWITCH = """
(() => {
  const Real = window.WebSocket;
  window.__fw = {blocked: false};
  window.WebSocket = function (url, protocols) {
    // Blocked: a same-origin address that refuses the handshake (the console's CSP
    // forbids connecting anywhere else).
    const target = window.__fw.blocked ? 'ws://' + location.host + '/ws/blocked' : url;
    return new Real(target, protocols);
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""

Contexts = Callable[..., BrowserContext]


@pytest.fixture
def contexts(browser: Browser) -> Iterator[Contexts]:
    """Make fresh browser contexts (one per person); all closed at the end."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        ctx = browser.new_context(**{"locale": "en-US",
                                     "viewport": {"width": 1280, "height": 900}, **options})
        ctx.set_default_timeout(TIMEOUT)
        ctx.add_init_script(SOCKET_SWITCH)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


def console(ctx: BrowserContext, live: Live, email: str, workspace: str = "demo",
            password: str = DEMO_PASSWORD) -> Page:
    """Log in through the console's form; wait until the live socket is up."""
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{live.base}/console/")
    page.get_by_label("Workspace").fill(workspace)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-test=whoami]")).to_contain_text(workspace)
    connected(page)
    return page


def connected(page: Page) -> None:
    """Wait for the console's socket (after a load or a reconnect)."""
    page.wait_for_function("""() => {
        if (!window.fwCore) import('/console/static/core.js').then((m) => { window.fwCore = m; });
        return window.fwCore && window.fwCore.socket.connected; }""")


def go(page: Page, name: str) -> None:
    """Open a page from the nav, as a user would (the document stays)."""
    if page.locator(".menu-toggle").is_visible():
        page.locator(".menu-toggle").click()
    page.locator(f"nav a[data-route='{name}']").click()
    expect(page.locator(f"nav a[data-route='{name}']")).to_have_attribute("aria-current", "")


def alerts(page: Page, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        "(kind) => window.fwAlerts.filter((a) => a.kind === kind)", kind)
    return found


def wait_alert(page: Page, kind: str, text: str) -> None:
    """An alert of ``kind`` mentioning ``text`` was raised, with its sound played."""
    page.wait_for_function(
        "([kind, text]) => window.fwAlerts.some((a) => a.kind === kind && a.text.includes(text)"
        " && a.sound)", arg=[kind, text])


def add_to_cart(page: Page, live: Live, item: str) -> None:
    page.goto(f"{live.base}/demo/product.html?id={item}")
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_timeout(300)


def big_cart_visitor(ctx: BrowserContext, live: Live) -> Page:
    """A visitor whose cart passes 500: the high-value-cart segment and an invitation."""
    page = ctx.new_page()
    add_to_cart(page, live, "coat-wool")
    add_to_cart(page, live, "boot-red")
    expect(page.locator("#floorwalker-widget [data-fw='invitation-text']")).to_contain_text(
        "That's a great selection")
    return page


def answer_invitation(visitor: Page, text: str) -> None:
    inline = widget(visitor, "inline-reply")
    inline.fill(text)
    inline.press("Enter")
    expect(widget(visitor, "message").filter(has_text=text)).to_be_visible()


def faq_chat(ctx: BrowserContext, live: Live, text: str) -> Page:
    """A visitor who asks the support team about returns (from the FAQ invitation)."""
    page = ctx.new_page()
    page.goto(f"{live.base}/demo/faq.html")
    page.locator("summary", has_text="Returns and refunds").click()
    expect(widget(page, "invitation")).to_be_visible()
    answer_invitation(page, text)
    return page


def launcher_chat(ctx: BrowserContext, live: Live, text: str) -> Page:
    """A visitor who opens the chat from the launcher and writes (no invitation)."""
    page = ctx.new_page()
    page.goto(f"{live.base}/demo/")
    widget(page, "launcher").click()
    widget(page, "input").fill(text)
    widget(page, "send").click()
    expect(widget(page, "message").filter(has_text=text)).to_be_visible()
    return page


def conv_items(page: Page, count: int) -> Any:
    """The conversations of the list shown, once there are ``count``."""
    items = page.locator("[data-test=conv-item]")
    expect(items).to_have_count(count)
    return items


def chat_message(page: Page, text: str) -> Any:
    return page.locator("[data-test=chat-log] [data-test=message]").filter(has_text=text)


def test_agents_see_no_admin_pages_and_get_403_from_admin_routes(live: Live,
                                                                contexts: Contexts) -> None:
    sam = console(contexts(), live, SAM)
    nav = sam.locator("header nav")
    for name in ("Visitors", "Chats", "History", "Notifications"):
        expect(nav.get_by_role("link", name=re.compile(name))).to_be_visible()
    expect(sam.locator("nav a[data-route='admin']")).to_have_count(0)
    expect(sam.locator("[data-test=whoami]")).to_contain_text("agent")
    # Typing an admin page's address shows the visitors page instead.
    sam.evaluate("location.hash = '#/admin'")
    expect(sam.locator("#view h1")).to_have_text("Visitors on the site")
    # The API refuses what the nav hides.
    status = sam.evaluate("""async () => {
        const csrf = (await (await fetch('/api/auth/me')).json()).csrf_token;
        const a = await fetch('/api/auth/accounts');
        const b = await fetch('/api/segments', {method: 'POST', headers: {
            'Content-Type': 'application/json', 'X-CSRF-Token': csrf}, body: '{}'});
        return [a.status, (await a.json()).error.code, b.status]; }""")
    assert status == [403, "admin_required", 403]
    admin = console(contexts(), live, ADMIN)
    expect(admin.locator("nav a[data-route='admin']")).to_be_visible()
    expect(admin.locator("[data-test=whoami]")).to_contain_text("admin")
    assert sam.errors == [] and admin.errors == []  # type: ignore[attr-defined]


def test_watched_segment_chat_transfer_and_history(live: Live, contexts: Contexts) -> None:
    with live.api() as api:
        r = api.post("/api/canned-replies", json={
            "shortcut": "ship", "title": "Shipping times",
            "text": "Hi {{ visitor.first_name or 'there' }}, we ship within 24 h."})
        assert r.status_code == 201, r.text
    sam = console(contexts(), live, SAM)
    bea = console(contexts(), live, BEA)
    # Sam watches high-value carts.
    go(sam, "notifications")
    sam.locator("[data-test='watch-high_value_cart']").check()
    sam.locator("[data-test=save-prefs]").click()
    expect(sam.locator(".toast")).to_contain_text("saved")
    go(sam, "visitors")

    visitor = big_cart_visitor(contexts(), live)
    # Sam's list shows the visitor with the segment's chip, named on hover; the alert rang.
    row = sam.locator("[data-test=visitor-row]").filter(
        has=sam.locator("[data-segment='high_value_cart']"))
    expect(row).to_have_count(1)
    expect(row.locator("[data-segment='high_value_cart']")).to_have_attribute(
        "title", "High-value cart")
    expect(row.locator("[data-test=cart-value]")).to_contain_text("609")
    expect(row.locator("[data-test=current-page]")).not_to_be_empty()
    wait_alert(sam, "watched_segment", "High-value cart")
    expect(sam.locator("[data-test=alert-badge]")).to_be_visible()
    expect(sam.locator(".toast-alert").filter(has_text="High-value cart").first).to_be_visible()
    assert alerts(bea, "watched_segment") == []  # Bea watches nothing
    # The chart counts the visitor in the segment.
    expect(sam.locator("[data-test=chart-bar][data-segment='high_value_cart']")).to_contain_text("1")
    # Filtering by another segment hides them; by theirs shows them.
    sam.locator("[data-test=filter-segment]").select_option("vip")
    expect(sam.locator("[data-test=visitor-row]")).to_have_count(0)
    sam.locator("[data-test=filter-segment]").select_option("high_value_cart")
    expect(row).to_have_count(1)
    # The card: cart, segments, and the scenario that fired.
    row.locator("[data-test=open-visitor]").click()
    card = sam.locator("[data-test=visitor-card]")
    expect(card.locator("[data-test=card-cart]")).to_contain_text("Red leather boots")
    expect(card.locator("[data-test=card-segments] [data-segment='high_value_cart']")
           ).to_be_visible()
    expect(card.locator("[data-test=card-decisions]")).to_contain_text("big_cart")
    expect(card.locator("[data-test=card-timeline]")).to_contain_text("add_to_cart")

    # The visitor answers the invitation: Sales (Sam) gets the chat.
    answer_invitation(visitor, "Do these boots run small?")
    wait_alert(sam, "new_chat", "")
    go(sam, "chats")
    item = sam.locator("[data-test=conv-item]")
    expect(item).to_have_count(1)
    expect(item.locator("[data-test=unread]")).to_have_text("1")
    expect(sam.locator("[data-test=chats-badge]")).to_have_text("1")
    item.click()
    expect(sam.locator("[data-test=chats-badge]")).to_be_hidden()
    expect(item.locator("[data-test=unread]")).to_have_count(0)
    expect(sam.locator("[data-test=chat-context]")).to_contain_text("Cart over 500")
    expect(chat_message(sam, "Do these boots run small?")).to_be_visible()
    # A canned reply by its shortcut, then Enter sends it.
    box = sam.locator("[data-test=compose]")
    box.fill("/ship")
    box.press("Tab")
    expect(box).to_have_value("Hi there, we ship within 24 h.")
    box.press("Enter")
    expect(widget(visitor, "message").filter(has_text="we ship within 24 h")).to_be_visible()
    expect(chat_message(sam, "we ship within 24 h")).to_have_attribute("data-state", "read")
    # Typing shows on both sides.
    widget(visitor, "input").press_sequentially("They do")
    expect(sam.locator("[data-test=visitor-typing]")).to_be_visible()
    box.press_sequentially("Let me check")
    expect(widget(visitor, "typing")).to_be_visible()
    box.fill("")
    # An internal note: agents see it marked, the visitor never does.
    sam.locator("[data-test=internal]").check()
    box.fill("Big cart, be quick")
    box.press("Enter")
    note = chat_message(sam, "Big cart, be quick")
    expect(note).to_have_attribute("data-internal", "true")
    # Sam hands it to Billing with a note; Bea (the only Billing agent) gets it.
    sam.locator("[data-test=transfer]").click()
    sam.locator("[data-test=transfer-department]").select_option("billing")
    sam.locator("[data-test=transfer-note]").fill("Wants to pay by invoice")
    sam.locator("[data-test=transfer-submit]").click()
    wait_alert(bea, "new_chat", "")
    go(bea, "chats")
    item = bea.locator("[data-test=conv-item]")
    expect(item).to_have_count(1)
    item.click()
    expect(chat_message(bea, "Wants to pay by invoice")).to_have_attribute("data-internal", "true")
    expect(chat_message(bea, "Big cart, be quick")).to_be_visible()
    bea_box = bea.locator("[data-test=compose]")
    bea_box.fill("Bea from Billing here: an invoice is fine.")
    bea.locator("[data-test=send]").click()
    expect(widget(visitor, "message").filter(has_text="Bea from Billing here")).to_be_visible()
    expect(widget(visitor, "message").filter(has_text="Big cart")).to_have_count(0)
    expect(widget(visitor, "message").filter(has_text="invoice is fine")).to_have_count(1)
    # It left Sam's list of his own chats.
    sam.locator("[data-test=tab-mine]").click()
    expect(sam.locator("[data-test=no-conversations]")).to_be_visible()

    # History: found by segment (and not by another), transcript with the notes marked.
    go(bea, "history")
    bea.locator("[data-test=history-segment]").select_option("vip")
    bea.locator("[data-test=history-search]").click()
    expect(bea.locator("[data-test=history-empty]")).to_be_visible()
    bea.locator("[data-test=history-segment]").select_option("high_value_cart")
    bea.locator("[data-test=history-search]").click()
    rows = bea.locator("[data-test=history-row]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("[data-segment='high_value_cart']")).to_have_attribute(
        "title", "High-value cart")
    rows.first.locator("[data-test=history-open]").click()
    transcript = bea.locator("[data-test=transcript]")
    expect(transcript.locator("[data-test=transcript-message][data-internal=true]")
           .filter(has_text="Wants to pay by invoice")).to_be_visible()
    text = bea.request.get(live.base + transcript.locator("[data-test=export-txt]")
                           .get_attribute("href")).text()
    assert "Do these boots run small?" in text and "invoice is fine" in text
    csv = bea.request.get(live.base + bea.locator("[data-test=export-csv]").get_attribute("href"))
    assert csv.ok and "Do these boots run small?" in csv.text()
    expect(bea.locator("[data-test=day-bar]").last).to_have_attribute("data-chats", "1")
    assert sam.errors == [] and bea.errors == []  # type: ignore[attr-defined]


def _outsider(live: Live, tmp_path: Path) -> str:
    """A workspace "rival" with an admin account; returns its password."""
    from floorwalker.accounts import actions
    from floorwalker.store.engine import make_engine
    from tests.conftest import make_tenant

    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"

    async def setup() -> str:
        tenant = await make_tenant(url, "rival")
        engine = make_engine(url)
        try:
            async with engine.begin() as conn:
                _account, link = await actions.invite(conn, tenant.workspace_id,
                                                      "carla@rival.example", "Carla", "admin")
        finally:
            await engine.dispose()
        return link

    with ThreadPoolExecutor(1) as pool:
        link = pool.submit(asyncio.run, setup()).result()
    password = "rival-long-secret"
    r = httpx.post(live.base + "/api/auth/accept", json={
        "token": link.split("token=", 1)[1], "password": password})
    assert r.status_code == 200, r.text
    return password


def test_an_outsider_sees_nothing_of_the_demo(live: Live, contexts: Contexts,
                                              tmp_path: Path) -> None:
    bea = console(contexts(), live, BEA)
    faq_chat(contexts(), live, "Can I return worn boots?")
    go(bea, "chats")
    item = conv_items(bea, 1)
    conversation_id = item.get_attribute("data-conversation")
    go(bea, "visitors")
    expect(bea.locator("[data-test=visitor-row]")).not_to_have_count(0)

    password = _outsider(live, tmp_path)
    carla = console(contexts(), live, "carla@rival.example", "rival", password)
    expect(carla.locator("[data-test=no-visitors]")).to_be_visible()
    expect(carla.locator("[data-test=visitor-count]")).to_have_text("0 visitors on the site now")
    go(carla, "chats")
    for tab in ("mine", "queue", "all"):
        carla.locator(f"[data-test=tab-{tab}]").click()
        expect(carla.locator("[data-test=no-conversations]")).to_be_visible()
    go(carla, "history")
    expect(carla.locator("[data-test=history-empty]")).to_be_visible()
    # Opening the demo's conversation by its address: not found, for the page and the API.
    carla.evaluate(f"location.hash = '#/chats?c={conversation_id}'")
    expect(carla.locator("[data-test=chat-error]")).to_contain_text("not_found")
    status = carla.evaluate(
        "async (id) => (await fetch('/api/conversations/' + id)).status", conversation_id)
    assert status == 404
    # A visitor writing to the demo meanwhile reaches none of Carla's lists or alerts.
    faq_chat(contexts(), live, "Second question about returns")
    go(carla, "chats")
    carla.locator("[data-test=tab-all]").click()
    carla.wait_for_timeout(1500)
    expect(carla.locator("[data-test=conv-item]")).to_have_count(0)
    assert carla.evaluate("window.fwAlerts.length") == 0


def snapshot(page: Page) -> dict[str, Any]:
    """What the chats page shows: each list, the open chat and its state."""
    out: dict[str, Any] = {}
    for tab in ("mine", "queue", "all"):
        page.locator(f"[data-test=tab-{tab}]").click()
        out[tab] = page.locator("[data-test=conv-item]").all_inner_texts()
        out[tab + "-tab"] = page.locator(f"[data-test=tab-{tab}]").inner_text()
    page.locator("[data-test=tab-mine]").click()
    out["status"] = page.locator("[data-test=chat-status]").inner_text()
    out["messages"] = [(m.get_attribute("data-author"), m.get_attribute("data-state"),
                        m.get_attribute("data-internal"), m.locator(".msg-text").inner_text())
                       for m in page.locator("[data-test=chat-log] [data-test=message]").all()]
    return out


def test_after_a_reconnect_the_console_equals_a_fresh_load(live: Live,
                                                           contexts: Contexts) -> None:
    ctx = contexts()
    bea = console(ctx, live, BEA)
    first = faq_chat(contexts(), live, "Where is my refund?")
    go(bea, "chats")
    conv_items(bea, 1).click()
    expect(chat_message(bea, "Where is my refund?")).to_be_visible()
    bea.locator("[data-test=compose]").fill("Let me look.")
    bea.locator("[data-test=compose]").press("Enter")
    expect(widget(first, "message").filter(has_text="Let me look.")).to_be_visible()

    # The connection drops and stays down while the world moves on.
    bea.evaluate("window.__fw.blocked = true; window.fwCore.socket.drop()")
    expect(bea.locator("body.offline")).to_have_count(1)
    widget(first, "input").fill("It was 40 euros")
    widget(first, "send").click()
    launcher_chat(contexts(), live, "Do you refund shipping?")
    bea.locator("[data-test=compose]").fill("Written while offline")
    bea.locator("[data-test=compose]").press("Enter")
    bea.wait_for_timeout(1000)
    expect(chat_message(bea, "It was 40 euros")).to_have_count(0)

    bea.evaluate("window.__fw.blocked = false")
    expect(bea.locator("body.offline")).to_have_count(0, timeout=30_000)
    expect(chat_message(bea, "It was 40 euros")).to_have_count(1)
    expect(chat_message(bea, "Written while offline")).to_have_attribute(
        "data-state", re.compile("sent|read"))
    expect(widget(first, "message").filter(has_text="Written while offline")).to_have_count(1)
    bea.locator("[data-test=tab-all]").click()
    conv_items(bea, 2)
    bea.wait_for_timeout(1000)
    after = snapshot(bea)

    fresh = ctx.new_page()
    fresh.goto(bea.url)
    connected(fresh)
    expect(chat_message(fresh, "Written while offline")).to_be_visible()
    # The list's preview is the last thing said: the agent's resent message.
    expect(fresh.locator("[data-test=conv-item]").filter(has_text="Written while offline")
           ).to_have_count(1)
    fresh.wait_for_timeout(1000)
    assert snapshot(fresh) == after
    assert len(after["messages"]) >= 4 and any(m[3] == "It was 40 euros" for m in after["messages"])


def test_a_phone_sized_console(live: Live, contexts: Contexts) -> None:
    phone = contexts(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    bea = console(phone, live, BEA)
    faq_chat(contexts(), live, "Small screen question")

    def fits() -> None:
        width = bea.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width} px wide"

    expect(bea.locator("[data-test=visitor-row]")).not_to_have_count(0)
    fits()
    expect(bea.locator("nav a[data-route='chats']")).to_be_hidden()  # behind the menu
    go(bea, "chats")
    conv_items(bea, 1).click()
    chat = bea.locator("[data-test=chat]")
    expect(chat).to_be_visible()
    expect(bea.locator("[data-test=conv-list]")).to_be_hidden()
    box = chat.bounding_box()
    assert box is not None and box["width"] >= 320
    fits()
    # Keyboard: type and press Enter.
    bea.locator("[data-test=compose]").fill("Answered from a phone")
    bea.locator("[data-test=compose]").press("Enter")
    expect(chat_message(bea, "Answered from a phone")).to_be_visible()
    bea.locator("[data-test=chat-back]").click()
    expect(bea.locator("[data-test=conv-list]")).to_be_visible()
    expect(chat).to_be_hidden()
    go(bea, "history")
    expect(bea.locator("[data-test=history-row]")).not_to_have_count(0)
    fits()
    go(bea, "notifications")
    expect(bea.get_by_label("Play a sound")).to_be_visible()
    fits()


def test_an_agent_invites_a_visitor_and_mutes_new_chat_alerts(live: Live,
                                                              contexts: Contexts) -> None:
    bea = console(contexts(), live, BEA)
    go(bea, "notifications")
    bea.locator("[data-test='show-new_chat']").uncheck()
    bea.locator("[data-test=save-prefs]").click()
    expect(bea.locator(".toast")).to_contain_text("saved")
    go(bea, "visitors")
    visitor = contexts().new_page()
    visitor.goto(f"{live.base}/demo/")
    row = bea.locator("[data-test=visitor-row]")
    expect(row).to_have_count(1)
    expect(row.locator("[data-test=current-page]")).to_contain_text("Floorwalker Boots")
    row.locator("[data-test=open-visitor]").click()
    bea.locator("[data-test=start-chat]").click()
    bea.locator("[data-test=invite-text]").fill("Hi, Bea here. Can I help with sizes?")
    bea.locator("[data-test=send-invite]").click()
    expect(bea.locator(".toast").filter(has_text="Invitation sent")).to_be_visible()
    expect(widget(visitor, "invitation-text")).to_contain_text("Can I help with sizes?")
    answer_invitation(visitor, "Yes, I am between two sizes")
    # The chat is Bea's (she invited); new-chat alerts are muted, so none rang.
    expect(bea.locator("[data-test=chats-badge]")).to_have_text("1")
    bea.wait_for_timeout(500)
    assert alerts(bea, "new_chat") == []
    # Desktop notifications on (the browser allows them), and the console's tab hidden.
    bea.context.grant_permissions(["notifications"], origin=live.base)
    go(bea, "notifications")
    bea.locator("[data-test=pref-desktop]").check()
    expect(bea.locator("[data-test=permission]")).to_have_text(" (allowed)")
    bea.locator("[data-test=save-prefs]").click()
    expect(bea.locator(".toast").filter(has_text="saved")).to_be_visible()
    go(bea, "visitors")
    bea.evaluate("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true})")
    # A later message still alerts (that kind is not muted), with its sound and a desktop
    # notification.
    widget(visitor, "input").fill("Size 38 or 39?")
    widget(visitor, "send").click()
    wait_alert(bea, "new_message", "Size 38 or 39?")
    assert [a["desktop"] for a in alerts(bea, "new_message")] == [True]
    bea.evaluate("delete document.hidden")
    expect(bea.locator("[data-test=alert-badge]")).to_have_text("1")
    go(bea, "chats")
    item = conv_items(bea, 1)
    expect(item.locator("[data-test=unread]")).to_have_text("2")
    item.click()
    expect(chat_message(bea, "Size 38 or 39?")).to_be_visible()
    expect(item.locator("[data-test=unread]")).to_have_count(0)
    assert bea.errors == []  # type: ignore[attr-defined]


def test_a_disabled_agent_s_open_console_is_logged_out(live: Live, contexts: Contexts) -> None:
    """Security review (issue 9, 5.1): the open tab used to go on receiving chats."""
    bea = console(contexts(), live, BEA)
    go(bea, "chats")
    with live.api() as api:
        accounts = {a["email"]: a["id"] for a in api.get("/api/auth/accounts").json()}
        r = api.post(f"/api/auth/accounts/{accounts[BEA]}/disable")
        assert r.status_code == 200, r.text
    # The socket closes with 4401 and the console shows its login form, not "offline".
    expect(bea.get_by_role("alert")).to_have_text("Your session ended; log in again.")
    expect(bea.get_by_label("Password")).to_be_visible()
    assert bea.evaluate("window.fwCore.socket.connected") is False


@pytest.mark.parametrize("width", [1280, 360])
def test_a_fresh_console_load_fails_no_request_and_has_an_icon(live: Live, contexts: Contexts,
                                                               width: int) -> None:
    page = contexts(viewport={"width": width, "height": 800}).new_page()
    failed: list[str] = []
    logged: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400
            else None)
    page.on("console", lambda m: logged.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.base}/console/")
    expect(page.get_by_label("Workspace")).to_be_visible()  # the login form, no error
    icon = page.locator("link[rel=icon]").get_attribute("href")
    assert icon is not None
    r = page.request.get(f"{live.base}{icon}")
    assert r.status == 200 and r.headers["content-type"].startswith("image/svg+xml")
    page.wait_for_timeout(300)
    assert failed == [] and logged == []
    shot(page, f"console-login-{width}")
