"""The e-mail loop walked as people would, in Chromium: Ann asks in the demo shop's chat
and leaves; Sam answers from the console; the unread answer reaches the demo mailbox;
Ann answers the e-mail; Sam sees her reply live, marked as e-mail; on her phone Ann finds
the whole thread, her e-mailed reply marked too (docs/email.md)."""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.sync_api import BrowserContext, Page, expect

from floorwalker.demo import DEMO_PASSWORD
from tests.browser.conftest import Live, shot, widget

SAM = "sam@demo.example"
ANN = "ann@example.com"
QUESTION = "Do the red boots come in size 39?"
ANSWER = "Yes, size 39 is in stock and ships tomorrow."
REPLY = "Great, I will order a pair tonight."
DELAY = 10  # the shortest the workspace allows (seconds)
MAIL_WAIT = 60.0  # the delay, the unread scan (every 5 s) and the sender, with room


def shop_login(ctx: BrowserContext, live: Live) -> Page:
    """Ann logs in to the demo shop: the shop's page identifies her to the widget with her
    e-mail and the hash its server computed (a trusted identify)."""
    page = ctx.new_page()
    page.goto(f"{live.base}/demo/login.html")
    page.get_by_label("E-mail").fill(ANN)
    page.get_by_label("Password").fill("demo")

    def identify(response: Any) -> bool:
        body = response.request.post_data or ""
        return "/v1/batch" in response.url and '"identify"' in body and ANN in body

    with page.expect_response(identify) as sent:
        page.get_by_role("button", name="Log in").click()
    assert sent.value.ok
    expect(page.get_by_text("You are logged in as")).to_be_visible()
    page.goto(f"{live.base}/demo/")
    return page


def open_chat(page: Page) -> None:
    """Open the chat from the launcher (unless the widget restored it open)."""
    expect(widget(page, "launcher")).to_be_visible()
    page.wait_for_timeout(500)
    if not widget(page, "panel").is_visible():
        widget(page, "launcher").click()
    expect(widget(page, "panel")).to_be_visible()


def console(ctx: BrowserContext, live: Live, email: str) -> Page:
    """An agent logs in through the console's form and waits for its live socket."""
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors  # type: ignore[attr-defined]
    page.goto(f"{live.base}/console/")
    page.get_by_label("Workspace").fill("demo")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-test=whoami]")).to_contain_text("demo")
    page.wait_for_function("""() => {
        if (!window.fwCore) import('/console/static/core.js').then((m) => { window.fwCore = m; });
        return window.fwCore && window.fwCore.socket.connected; }""")
    return page


def chat_message(page: Page, text: str) -> Any:
    return page.locator("[data-test=chat-log] [data-test=message]").filter(has_text=text)


def overlap(a: Any, b: Any) -> bool:
    assert a is not None and b is not None
    return bool(a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
                and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def inside(a: Any, b: Any) -> bool:
    assert a is not None and b is not None
    return bool(a["x"] >= b["x"] and a["y"] >= b["y"] and a["x"] + a["width"] <= b["x"] + b["width"]
                and a["y"] + a["height"] <= b["y"] + b["height"])


def wait_for_mail(live: Live, to: str) -> dict[str, Any]:
    """The first e-mail the demo mailbox caught for ``to`` (bounded wait)."""
    deadline = time.monotonic() + MAIL_WAIT
    with live.api() as api:
        while True:
            r = api.get("/demo/mailbox.json")
            assert r.status_code == 200, r.text
            found = [m for m in r.json()["emails"] if m["to"] == to]
            if found:
                return dict(found[-1])
            assert time.monotonic() < deadline, f"no e-mail to {to} in {MAIL_WAIT:.0f} s"
            time.sleep(0.5)


def test_an_unread_answer_goes_by_email_and_the_reply_comes_back_everywhere(
        live: Live, contexts: Any) -> None:
    started = time.monotonic()
    with live.api() as api:
        r = api.patch("/api/workspace/settings", json={
            "email_unread_replies": True, "email_unread_delay_seconds": DELAY})
        assert r.status_code == 200, r.text

    # 1. On her laptop Ann logs in, asks from the launcher, sees it acknowledged, leaves.
    laptop = shop_login(contexts(1280, 900), live)
    open_chat(laptop)
    widget(laptop, "input").fill(QUESTION)
    widget(laptop, "send").click()
    asked = widget(laptop, "message").filter(has_text=QUESTION)
    expect(asked).to_have_attribute("data-state", "sent")
    shot(laptop, "walk-1-ann-asks-1280")
    laptop.close()

    # 2. Sam answers from the console.
    sam = console(contexts(1280, 900), live, SAM)
    sam.locator("nav a[data-route='chats']").click()
    sam.locator("[data-test=tab-all]").click()
    item = sam.locator("[data-test=conv-item]").filter(has_text=QUESTION)
    expect(item).to_have_count(1)
    item.click()
    expect(chat_message(sam, QUESTION)).to_be_visible()
    box = sam.locator("[data-test=compose]")
    box.fill(ANSWER)
    answered = time.monotonic()  # before the answer exists: the delay counts from after
    box.press("Enter")
    answer = chat_message(sam, ANSWER)
    expect(answer).to_have_attribute("data-state", "sent")
    shot(sam, "walk-2-sam-answers-1280")
    sam.evaluate("window.__walk = 'same document'")  # gone if the console reloads

    # 3. Unread after the delay, with no page of the shop open: it goes by e-mail.
    mail = wait_for_mail(live, ANN)
    mailed = time.monotonic()
    assert mailed - answered >= DELAY, "the e-mail did not wait for the delay"
    assert ANSWER in (mail["text"] or "")
    assert ANSWER in (mail["html"] or "")
    assert mail["reply_to"] and mail["reply_to"].startswith("reply+"), mail["reply_to"]
    assert mail["reply_to"].endswith("@reply.demo.localhost"), mail["reply_to"]
    expect(answer).to_have_attribute("data-state", "sent")  # still unread

    # 4. Ann answers the e-mail from the demo mailbox.
    inbox = contexts(1280, 900).new_page()
    inbox.goto(f"{live.base}/demo/mailbox")
    article = inbox.locator("[data-test=mail]").filter(
        has=inbox.locator("[data-test=mail-to]", has_text=ANN))
    expect(article).to_have_count(1)
    expect(article).to_contain_text(mail["reply_to"])
    form = article.locator("[data-test=mail-reply-form]")
    form.locator("[data-test=mail-reply-text]").fill(REPLY)
    article.scroll_into_view_if_needed()
    shot(inbox, "walk-3-mailbox-reply-1280")
    form.locator("[data-test=mail-reply-send]").click()
    expect(inbox.locator("[data-test=mailbox-replied]")).to_be_visible()
    replied = time.monotonic()
    shot(inbox, "walk-4-mailbox-replied-1280")

    # 5. Sam's open chat shows it at once, marked as e-mail, without the quoted answer.
    came = chat_message(sam, REPLY)
    expect(came).to_have_count(1)
    shown = time.monotonic()
    expect(came).to_have_attribute("data-channel", "email")
    expect(came).to_have_attribute("data-author", "visitor")
    badge = came.locator("[data-test=msg-channel]")
    expect(badge).to_have_text("e-mail")
    expect(badge).to_be_visible()
    expect(came.locator(".msg-text")).to_have_text(REPLY)
    expect(chat_message(sam, QUESTION)).to_have_attribute("data-channel", "chat")
    expect(chat_message(sam, QUESTION).locator("[data-test=msg-channel]")).to_have_count(0)
    assert sam.evaluate("window.__walk") == "same document"  # it came live, no reload
    # The badge sits beside the author's name, on the message, clear of its text.
    assert not overlap(badge.bounding_box(), came.locator(".msg-text").bounding_box())
    assert inside(badge.bounding_box(), came.bounding_box())
    shot(sam, "walk-5-console-email-reply-1280")
    assert sam.errors == []  # type: ignore[attr-defined]

    # 6. On her phone (another device) Ann logs in and finds the whole thread.
    phone = shop_login(contexts(360, 740, is_mobile=True, has_touch=True), live)
    open_chat(phone)
    thread = widget(phone, "message")
    expect(thread.filter(has_text=QUESTION)).to_have_count(1)
    expect(thread.filter(has_text=ANSWER)).to_have_count(1)
    mine = thread.filter(has_text=REPLY)
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-author", "visitor")
    mark = mine.locator("[data-fw=channel]")
    expect(mark).to_be_visible()
    expect(mark).to_have_text("E-mail")
    expect(thread.filter(has_text=QUESTION).locator("[data-fw=channel]")).to_have_count(0)
    state = mine.locator(".meta > :first-child")  # "Read" (Sam's chat is open), then the mark
    expect(state).to_have_text(re.compile("^(Sent|Read)$"))
    assert not overlap(mark.bounding_box(), state.bounding_box())
    assert inside(mark.bounding_box(), mine.bounding_box())
    texts = [t.strip() for t in thread.all_inner_texts()]
    order = [next(i for i, t in enumerate(texts) if s in t) for s in (QUESTION, ANSWER, REPLY)]
    assert order == sorted(order), texts
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    shot(phone, "walk-6-phone-thread-360")
    print(f"\nwalk: answered {answered - started:.1f} s, e-mailed {mailed - answered:.1f} s "
          f"later, reply in the console {shown - replied:.1f} s after sending, "
          f"total {time.monotonic() - started:.1f} s")
