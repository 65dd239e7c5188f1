"""The transcript by e-mail, asked for in the widget (docs/email.md "The transcript, on
request"): once an agent answered, "E-mail me this conversation" under the text box opens
a small form above it; the visitor's and the agent's messages (not the agent's note)
reach the demo mailbox; a bad address, and a fourth request in the hour, get a short
message in the visitor's language. A French shop's ended conversation offers it beside
its survey; the pre-chat form's address is offered again."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, shop_in, shot, widget
from tests.browser.test_snippet import serve, site, site_page

QUESTION = "Do the red boots come in size 39?"
ANSWER = "Yes, size 39 is in stock and ships tomorrow."
NOTE = "Customer asked twice about sizes"  # an agents' note: never in the transcript
ADDRESS = "ann.private@example.com"
MAIL_WAIT = 30.0


def watch(page: Page) -> tuple[list[str], list[dict[str, Any]]]:
    """The page's errors, and the transcript frames its widget sends."""
    errors: list[str] = []
    sent: list[dict[str, Any]] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def socket(ws: Any) -> None:
        def frame(payload: Any) -> None:
            if isinstance(payload, str) and '"transcript"' in payload:
                sent.append(json.loads(payload))
        ws.on("framesent", frame)
    page.on("websocket", socket)
    return errors, sent


def open_panel(page: Page) -> None:
    """Open the chat from the launcher (unless the widget restored it open)."""
    expect(widget(page, "launcher")).to_be_visible()
    page.wait_for_timeout(500)
    if not widget(page, "panel").is_visible():
        widget(page, "launcher").click()
    expect(widget(page, "panel")).to_be_visible()


def ask(page: Page, text: str) -> str:
    """The visitor writes; returns the conversation it went to."""
    widget(page, "input").fill(text)
    widget(page, "send").click()
    expect(widget(page, "message").filter(has_text=text)).to_have_attribute(
        "data-state", "sent")
    page.wait_for_function("window.floorwalker.debug.state().active")
    return str(page.evaluate("window.floorwalker.debug.state().active"))


def agent(live: Live, conv: str, text: str, *, internal: bool = False) -> None:
    """An agent writes in the conversation (the API, with the demo's admin token)."""
    with live.api() as api:
        r = api.post(f"/api/conversations/{conv}/messages",
                     json={"text": text, "internal": internal})
        assert r.status_code == 201, r.text


def mails_to(live: Live, to: str) -> list[dict[str, Any]]:
    with live.api() as api:
        r = api.get("/demo/mailbox.json")
        assert r.status_code == 200, r.text
        return [m for m in r.json()["emails"] if m["to"] == to]


def wait_for_mail(live: Live, to: str, count: int = 1) -> list[dict[str, Any]]:
    """The e-mails the demo mailbox caught for ``to``, once there are ``count``."""
    deadline = time.monotonic() + MAIL_WAIT
    while True:
        found = mails_to(live, to)
        if len(found) >= count:
            return found
        assert time.monotonic() < deadline, f"{len(found)} e-mails to {to}, not {count}"
        time.sleep(0.3)


def box(page: Page, hook: str) -> dict[str, float]:
    found = widget(page, hook).bounding_box()
    assert found is not None, hook
    return dict(found)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def inside(a: dict[str, float], b: dict[str, float]) -> bool:
    return (a["x"] >= b["x"] - 0.5 and a["y"] >= b["y"] - 0.5
            and a["x"] + a["width"] <= b["x"] + b["width"] + 0.5
            and a["y"] + a["height"] <= b["y"] + b["height"] + 0.5)


def fits(page: Page, width: int, *, composer: bool = True) -> None:
    """The form lies in the panel, the panel on the screen; with the text box shown, the
    form leaves it whole (and its Send button)."""
    panel = box(page, "panel")
    assert panel["x"] >= 0 and panel["x"] + panel["width"] <= width + 0.5, panel
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    form = box(page, "transcript")
    assert inside(form, panel), (form, panel)
    for hook in ("transcript-email", "transcript-send", "transcript-done"):
        if widget(page, hook).count():
            assert inside(box(page, hook), form), hook
    if composer:
        expect(widget(page, "input")).to_be_visible()
        for hook in ("input", "send"):
            assert not overlap(form, box(page, hook)), hook
            assert inside(box(page, hook), panel), hook


def both_widths(page: Page, name: str, *, composer: bool = True) -> None:
    """Screenshots at 1280 and 360 px, checking the form fits at each."""
    for width, height in ((1280, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        if widget(page, "transcript").count():
            fits(page, width, composer=composer)
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_visitor_gets_the_chat_by_email_and_is_told_what_went_wrong(
        live: Live, contexts: Any) -> None:
    page = contexts().new_page()
    errors, sent = watch(page)
    page.goto(f"{live.base}/demo/")
    open_panel(page)
    conv = ask(page, QUESTION)
    # Nothing to send yet: no agent has written.
    page.wait_for_timeout(500)
    expect(widget(page, "transcript-open")).to_be_hidden()
    agent(live, conv, ANSWER)
    agent(live, conv, NOTE, internal=True)
    expect(widget(page, "message").filter(has_text=ANSWER)).to_be_visible()
    link = widget(page, "transcript-open")
    expect(link).to_be_visible()
    expect(link).to_have_text("E-mail me this conversation")
    assert inside(box(page, "transcript-open"), box(page, "panel"))
    assert box(page, "transcript-open")["y"] >= box(page, "send")["y"]  # under the text box
    both_widths(page, "widget-transcript-link")
    link.click()

    # The form: above the text box, which stays; the address field has the focus.
    email = widget(page, "transcript-email")
    expect(email).to_be_focused()
    expect(email).to_have_attribute("type", "email")
    expect(email).to_have_attribute("autocomplete", "email")
    expect(email).to_have_value("")
    expect(link).to_be_hidden()
    both_widths(page, "widget-transcript-form")

    # Checked in the browser: nothing is sent.
    email.fill("ann@example")
    widget(page, "transcript-send").click()
    error = widget(page, "transcript-error")
    expect(error).to_have_text("Please enter a valid e-mail address.")
    expect(email).to_have_attribute("aria-invalid", "true")
    assert sent == []
    # Refused by the server (a one-letter top-level domain): the same words.
    email.fill("ann@example.c")
    widget(page, "transcript-send").click()
    expect(error).to_have_text("Please enter a valid e-mail address.")
    assert [f["email"] for f in sent] == ["ann@example.c"]
    shot(page, "widget-transcript-error-1280")

    # A good address: confirmed, and the e-mail has both sides, not the note.
    email.fill(ADDRESS)
    widget(page, "transcript-send").click()
    done = widget(page, "transcript-done")
    expect(done).to_have_text(f"We sent this conversation to {ADDRESS}.")
    expect(error).to_be_hidden()
    assert sent[-1] == {"type": "transcript", "conversation_id": conv, "email": ADDRESS}
    both_widths(page, "widget-transcript-done")
    [mail] = wait_for_mail(live, ADDRESS)
    for part in ("text", "html"):
        body = mail[part] or ""
        assert QUESTION in body and ANSWER in body, (part, body)
        assert body.index(QUESTION) < body.index(ANSWER)
        assert NOTE not in body, part
    assert mail["subject"].startswith("Your conversation with"), mail["subject"]

    # Twice more in the hour is fine; the fourth time is one too many.
    for n in (2, 3, 4):
        widget(page, "transcript-close").click()
        expect(widget(page, "transcript")).to_have_count(0)
        expect(link).to_be_focused()
        link.click()
        expect(email).to_have_value(ADDRESS)  # the address that worked, offered again
        widget(page, "transcript-send").click()
        if n < 4:
            expect(done).to_be_visible()
    expect(error).to_have_text("Too many requests. Please try again later.")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    expect(widget(page, "transcript-send")).to_be_enabled()
    assert len(wait_for_mail(live, ADDRESS, 3)) == 3
    page.wait_for_timeout(500)
    assert len(mails_to(live, ADDRESS)) == 3
    assert errors == []


def test_a_french_shop_offers_it_when_the_chat_has_ended(live: Live, contexts: Any) -> None:
    page = contexts(360, 740).new_page()
    errors, _sent = watch(page)
    shop_in(page, "fr")  # the page's language comes before the browser's
    page.goto(f"{live.base}/demo/")
    open_panel(page)
    conv = ask(page, "Les bottes rouges existent-elles en 39 ?")
    agent(live, conv, "Oui, en stock.")
    expect(widget(page, "message").filter(has_text="Oui, en stock.")).to_be_visible()
    with live.api() as api:
        assert api.post(f"/api/conversations/{conv}/close").status_code == 200
    expect(widget(page, "note")).to_have_text("La discussion est terminée.")
    expect(widget(page, "survey")).to_be_visible()
    link = widget(page, "transcript-open")
    expect(link).to_have_text("Recevoir la discussion par e-mail")
    survey = box(page, "survey")
    assert not overlap(survey, box(page, "transcript-open"))
    assert inside(box(page, "transcript-open"), box(page, "panel"))
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "widget-transcript-ended-fr-1280")
    page.set_viewport_size({"width": 360, "height": 740})
    shot(page, "widget-transcript-ended-fr-360")

    # The form takes the survey's place for a while; the survey comes back after.
    link.click()
    expect(widget(page, "survey")).to_have_count(0)
    email = widget(page, "transcript-email")
    expect(email).to_have_attribute("aria-label", "E-mail")
    expect(widget(page, "transcript-send")).to_have_text("Envoyer")
    email.fill("ann@")
    widget(page, "transcript-send").click()
    expect(widget(page, "transcript-error")).to_have_text(
        "Veuillez saisir une adresse e-mail valide.")
    both_widths(page, "widget-transcript-form-fr")
    email.fill("anne@example.fr")
    widget(page, "transcript-send").click()
    expect(widget(page, "transcript-done")).to_have_text(
        "Nous avons envoyé cette discussion à anne@example.fr.")
    both_widths(page, "widget-transcript-done-fr")
    [mail] = wait_for_mail(live, "anne@example.fr")
    assert "Oui, en stock." in (mail["text"] or "")
    assert mail["subject"].startswith("Votre conversation avec"), mail["subject"]
    widget(page, "transcript-close").click()
    expect(widget(page, "survey")).to_be_visible()
    expect(link).to_be_visible()
    assert errors == []


def test_the_pre_chat_forms_address_is_offered(live: Live, contexts: Any) -> None:
    page = contexts().new_page()
    errors, _sent = watch(page)
    serve(page, live, site_page(live, "<h1>Shop</h1>", 'data-prechat="name,email*"'))
    page.goto(f"{site(live)}/help")
    page.wait_for_function("window.floorwalker && window.floorwalker.debug")
    widget(page, "launcher").click()
    widget(page, "prechat-name").fill("Ann")
    widget(page, "prechat-email").fill("ann@example.com")
    widget(page, "prechat-submit").click()
    conv = ask(page, "Hello, is anyone there?")
    agent(live, conv, "Hello Ann, how can I help?")
    widget(page, "transcript-open").click()
    expect(widget(page, "transcript-email")).to_have_value("ann@example.com")
    assert errors == []
