"""Chat in the browser: inline reply, an agent answering over /ws/agent, reload, a dropped
connection, hostile site CSS, and history across devices for one identified person."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from websockets.sync.client import ClientConnection, connect

from tests.browser.conftest import Live, shop_in, shot, widget

TIMEOUT = 10_000

# Lets a test cut the widget's socket and hold it down (as a network drop would).
SOCKET_SWITCH = """
(() => {
  const Real = window.WebSocket;
  window.__fw = {sockets: [], blocked: false};
  window.WebSocket = function (url, protocols) {
    const target = window.__fw.blocked ? 'ws://127.0.0.1:9/blocked' : url;
    const ws = new Real(target, protocols);
    window.__fw.sockets.push(ws);
    return ws;
  };
  window.WebSocket.prototype = Real.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
})();
"""


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(locale="en-US")
    ctx.set_default_timeout(TIMEOUT)
    ctx.add_init_script(SOCKET_SWITCH)
    yield ctx
    ctx.close()


@pytest.fixture
def agent(live: Live) -> Iterator[ClientConnection]:
    """An agent connected through /ws/agent."""
    url = live.base.replace("http", "ws") + "/ws/agent?v=1"
    with connect(url, open_timeout=10,
                 additional_headers={"Authorization": f"Bearer {live.token}"}) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "welcome"
        yield ws


def next_message(ws: ClientConnection, text: str) -> dict[str, Any]:
    """Wait for the message frame carrying ``text``."""
    for _ in range(50):
        frame: dict[str, Any] = json.loads(ws.recv(timeout=10))
        if frame["type"] == "message" and frame["message"]["text"] == text:
            return frame
    raise AssertionError(f"no message {text!r}")


def say(ws: ClientConnection, conversation_id: str, client_id: str, text: str) -> None:
    ws.send(json.dumps({"type": "message", "client_id": client_id,
                        "conversation_id": conversation_id, "text": text}))


def messages(page: Page, text: str) -> Any:
    return widget(page, "message").filter(has_text=text)


def invite_from_faq(page: Page, live: Live) -> None:
    page.goto(f"{live.base}/demo/faq.html")
    page.locator("summary", has_text="Returns and refunds").click()
    expect(widget(page, "invitation")).to_be_visible()


def test_inline_reply_answer_reload_and_drop(live: Live, context: BrowserContext,
                                             agent: ClientConnection) -> None:
    page = context.new_page()
    invite_from_faq(page, live)
    inline = widget(page, "inline-reply")
    inline.fill("Can I return worn boots?")
    inline.press("Enter")
    frame = next_message(agent, "Can I return worn boots?")
    conv = frame["conversation_id"]
    say(agent, conv, "a1", "Yes, within 30 days.")
    expect(messages(page, "Yes, within 30 days.")).to_be_visible()
    expect(messages(page, "Can I return worn boots?")).to_have_attribute("data-state",
                                                                          re_sent_or_read())
    # Reload: the conversation is still there.
    page.reload()
    open_panel(page)
    expect(messages(page, "Can I return worn boots?")).to_have_count(1)
    expect(messages(page, "Yes, within 30 days.")).to_have_count(1)
    # The connection drops and stays down while both sides write.
    page.evaluate("window.__fw.blocked = true; window.__fw.sockets.forEach(s => s.close())")
    say(agent, conv, "a2", "Are they unworn outside?")
    say(agent, conv, "a3", "Then it is fine.")
    widget(page, "input").fill("They were worn once")
    widget(page, "send").click()
    page.wait_for_timeout(1500)
    expect(messages(page, "Then it is fine.")).to_have_count(0)
    page.evaluate("window.__fw.blocked = false")
    expect(messages(page, "Then it is fine.")).to_have_count(1, timeout=40_000)
    expect(messages(page, "Are they unworn outside?")).to_have_count(1)
    next_message(agent, "They were worn once")
    page.wait_for_timeout(1000)
    expect(messages(page, "They were worn once")).to_have_count(1)


def open_panel(page: Page) -> None:
    """Open the chat panel unless the widget restored it open."""
    expect(widget(page, "launcher")).to_be_visible()
    page.wait_for_timeout(500)
    if not widget(page, "panel").is_visible():
        widget(page, "launcher").click()
    expect(widget(page, "panel")).to_be_visible()


def re_sent_or_read() -> Any:
    import re
    return re.compile("sent|read")


def test_hostile_site_css_does_not_break_the_widget(live: Live, context: BrowserContext,
                                                    agent: ClientConnection) -> None:
    page = context.new_page()
    page.goto(f"{live.base}/demo/")
    page.add_style_tag(content="""
        * { font-family: 'Comic Sans MS' !important; font-size: 31px !important;
            color: #ff00ff !important; line-height: 0.2 !important; }
        div, p, button, input, textarea { display: block !important; position: static !important;
            width: 10px !important; height: 10px !important; opacity: 0.1 !important;
            visibility: hidden !important; }
        button { pointer-events: none !important; }
    """)
    launcher = widget(page, "launcher")
    expect(launcher).to_be_visible()
    box = launcher.bounding_box()
    assert box is not None and box["width"] >= 40 and box["height"] >= 40
    open_panel(page)
    widget(page, "input").fill("Is the widget still fine?")
    widget(page, "send").click()
    next_message(agent, "Is the widget still fine?")
    # And the widget's own styles do not leak into the page.
    color = page.evaluate("getComputedStyle(document.querySelector('h1, h2')).color")
    assert color == "rgb(255, 0, 255)"


def test_identified_history_on_a_second_device(live: Live, browser: Browser,
                                               agent: ClientConnection) -> None:
    def login(ctx: BrowserContext, email: str) -> Page:
        page = ctx.new_page()
        page.goto(f"{live.base}/demo/login.html")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill("demo")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_timeout(1500)
        page.goto(f"{live.base}/demo/")
        return page

    contexts = [browser.new_context() for _ in range(3)]
    try:
        for ctx in contexts:
            ctx.set_default_timeout(TIMEOUT)
        laptop = login(contexts[0], "ann@example.com")
        open_panel(laptop)
        widget(laptop, "input").fill("Hello from my laptop")
        widget(laptop, "send").click()
        next_message(agent, "Hello from my laptop")
        phone = login(contexts[1], "ann@example.com")
        open_panel(phone)
        expect(messages(phone, "Hello from my laptop")).to_have_count(1)
        bob = login(contexts[2], "bob@example.com")
        open_panel(bob)
        bob.wait_for_timeout(2000)
        expect(messages(bob, "Hello from my laptop")).to_have_count(0)
    finally:
        for ctx in contexts:
            ctx.close()


def test_phone_screen_keyboard_and_language(live: Live, browser: Browser,
                                            agent: ClientConnection) -> None:
    ctx = browser.new_context(locale="fr-FR", viewport={"width": 360, "height": 740},
                              is_mobile=True, has_touch=True)
    ctx.set_default_timeout(TIMEOUT)
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        shop_in(page, "fr")  # a French shop (the page's language comes first)
        page.goto(f"{live.base}/demo/faq.html")
        page.locator("summary", has_text="Returns and refunds").click()
        # The invitation is in French, the shop's and the visitor's language.
        expect(widget(page, "invitation-text")).to_contain_text(
            "Des questions sur « Returns and refunds »")
        widget(page, "inline-reply").focus()
        page.keyboard.press("Escape")
        expect(widget(page, "invitation")).to_have_count(0)
        launcher = widget(page, "launcher")
        launcher.focus()
        page.keyboard.press("Enter")
        panel = widget(page, "panel")
        expect(panel).to_be_visible()
        box = panel.bounding_box()
        assert box is not None and box["width"] <= 360 and box["x"] >= 0
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        expect(widget(page, "input")).to_have_attribute("placeholder", re_french())
        page.keyboard.press("Escape")
        expect(panel).to_be_hidden()
        focused = page.evaluate(
            "document.querySelector('#floorwalker-widget').shadowRoot.activeElement"
            "?.getAttribute('data-fw')")
        assert focused == "launcher"
        assert errors == []
    finally:
        ctx.close()


def re_french() -> Any:
    import re
    return re.compile("[ÉéE]crire|message", re.IGNORECASE)


def test_post_chat_survey_is_stored(live: Live, context: BrowserContext,
                                    agent: ClientConnection) -> None:
    page = context.new_page()
    page.goto(f"{live.base}/demo/")
    open_panel(page)
    widget(page, "input").fill("Where is my order?")
    widget(page, "send").click()
    conv = next_message(agent, "Where is my order?")["conversation_id"]
    say(agent, conv, "a1", "On its way.")
    expect(messages(page, "On its way.")).to_be_visible()
    agent.send(json.dumps({"type": "close", "conversation_id": conv}))
    expect(widget(page, "survey")).to_be_visible()
    # One Send button (the survey's), and the conversation keeps its room.
    expect(widget(page, "send")).to_be_hidden()
    expect(widget(page, "survey-submit")).to_be_visible()
    shot(page, "widget-survey")
    widget(page, "rating").nth(3).click()  # four stars
    widget(page, "comment").fill("Quick answer")
    widget(page, "found-yes").click()
    widget(page, "survey-submit").click()
    for _ in range(40):
        frame = {}
        agent.send(json.dumps({"type": "close", "conversation_id": conv}))
        while frame.get("type") != "conversation":
            frame = json.loads(agent.recv(timeout=10))
        if frame["conversation"]["rating"] is not None:
            break
        page.wait_for_timeout(250)
    assert frame["conversation"]["rating"] == 4
    assert frame["conversation"]["survey"] == {"rating": 4, "comment": "Quick answer",
                                               "found": True}
    # After the thanks, the text box is back: a new message reopens the chat.
    expect(widget(page, "send")).to_be_visible(timeout=10_000)


def test_read_only_once_an_agent_read(live: Live, context: BrowserContext,
                                      agent: ClientConnection) -> None:
    page = context.new_page()
    invite_from_faq(page, live)
    inline = widget(page, "inline-reply")
    inline.fill("Is there a returns label?")
    inline.press("Enter")
    frame = next_message(agent, "Is there a returns label?")
    mine = messages(page, "Is there a returns label?")
    expect(mine).to_have_attribute("data-state", "sent")
    # The open panel sends the visitor's own read receipts: they are no agent's reading.
    page.wait_for_timeout(2000)
    expect(mine).to_have_attribute("data-state", "sent")
    expect(mine).to_contain_text("Sent")
    expect(mine).not_to_contain_text("Read")
    shot(page, "widget-sent-not-read-1280")
    agent.send(json.dumps({"type": "read", "conversation_id": frame["conversation_id"],
                           "seq": frame["seq"]}))
    expect(mine).to_have_attribute("data-state", "read")
    expect(mine).to_contain_text("Read")
    page.reload()
    open_panel(page)
    expect(messages(page, "Is there a returns label?")).to_contain_text("Read")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "widget-read-360")
