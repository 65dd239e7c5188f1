"""Who the visitor is told about: waiting (and where in line) while a chat is only
assigned, "Bea joined" once Bea opens it, the header naming whoever joined (after a
transfer too), in the visitor's language."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Live, shop_in, shot, widget
from tests.browser.test_console import BEA, SAM, Contexts, console, contexts, go  # noqa: F401


def system_lines(page: Page) -> list[str]:
    lines: list[str] = widget(page, "message").and_(
        page.locator("[data-author=system]")).all_inner_texts()
    return lines


def open_chat(agent: Page, count: int = 1) -> None:
    """The agent opens their chats page and the (only) conversation in it."""
    go(agent, "chats")
    items = agent.locator("[data-test=conv-item]")
    expect(items).to_have_count(count)
    items.first.click()


def test_waiting_then_joined_then_transferred_in_french(live: Live, contexts: Contexts  # noqa: F811
                                                        ) -> None:
    # The demo's agents count as available without a console: the chat is Bea's (support),
    # but nobody has looked at it.
    for width, height in ((1280, 900), (360, 740)):
        visitor = contexts(locale="fr-FR", viewport={"width": width, "height": height}).new_page()
        shop_in(visitor, "fr")  # a French shop: the page's language comes first
        visitor.goto(f"{live.base}/demo/faq.html")
        visitor.locator("summary", has_text="Returns and refunds").click()
        expect(widget(visitor, "invitation")).to_be_visible()
        inline = widget(visitor, "inline-reply")
        inline.fill(f"Puis-je rendre des bottes portées ? ({width})")
        inline.press("Enter")
        waiting = widget(visitor, "message").filter(has_text="Merci de patienter")
        expect(waiting).to_contain_text("Vous êtes en position")
        expect(widget(visitor, "title")).to_have_text("Discussion")
        expect(widget(visitor, "messages")).not_to_contain_text("rejoint")
        expect(widget(visitor, "messages")).not_to_contain_text("joined")
        shot(visitor, f"widget-waiting-{width}")
        visitor.close()



def test_header_follows_the_agent_after_a_transfer(live: Live, contexts: Contexts  # noqa: F811
                                                   ) -> None:
    sam = console(contexts(), live, SAM)
    bea = console(contexts(), live, BEA)
    visitor = contexts(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()
    shop_in(visitor, "fr")
    visitor.goto(f"{live.base}/demo/faq.html")
    visitor.locator("summary", has_text="Returns and refunds").click()
    inline = widget(visitor, "inline-reply")
    inline.fill("Puis-je rendre des bottes portées ?")
    inline.press("Enter")
    expect(widget(visitor, "message").filter(has_text="Merci de patienter")).to_be_visible()
    # Bea opens it: now, and only now, the visitor reads that she joined.
    open_chat(bea)
    expect(widget(visitor, "message").filter(
        has_text="Bea (Billing and Support) a rejoint la discussion.")).to_be_visible()
    expect(widget(visitor, "title")).to_have_text("Bea (Billing and Support)")
    shot(visitor, "widget-joined-1280")
    bea.locator("[data-test=compose]").fill("Bonjour, oui sous 30 jours.")
    bea.locator("[data-test=send]").click()
    expect(widget(visitor, "message").filter(has_text="oui sous 30 jours")).to_be_visible()
    # Bea hands it to Sales: Sam (online) gets it, but has not opened it yet.
    bea.locator("[data-test=transfer]").click()
    bea.locator("[data-test=transfer-department]").select_option("sales")
    bea.locator("[data-test=transfer-submit]").click()
    expect(bea.locator(".toast").filter(has_text="transferred")).to_be_visible()  # no note
    expect(widget(visitor, "title")).to_have_text("Discussion")
    expect(widget(visitor, "message").filter(has_text="Merci de patienter")).to_have_count(2)
    open_chat(sam)
    expect(widget(visitor, "message").filter(
        has_text="Sam (Sales) a rejoint la discussion.")).to_be_visible()
    expect(widget(visitor, "title")).to_have_text("Sam (Sales)")
    sam.locator("[data-test=compose]").fill("Sam ici, je prends la suite.")
    sam.locator("[data-test=send]").click()
    expect(widget(visitor, "message").filter(has_text="je prends la suite")).to_be_visible()
    lines = system_lines(visitor)
    assert [line for line in lines if "rejoint" in line] == [
        "Bea (Billing and Support) a rejoint la discussion.",
        "Sam (Sales) a rejoint la discussion."]
    shot(visitor, "widget-transferred-1280")
    # A reload keeps the header.
    visitor.reload()
    if not widget(visitor, "panel").is_visible():
        widget(visitor, "launcher").click()
    expect(widget(visitor, "title")).to_have_text("Sam (Sales)")
    visitor.set_viewport_size({"width": 360, "height": 740})
    shot(visitor, "widget-transferred-360")


@pytest.mark.parametrize(("locale", "waiting", "chat"), [
    ("en-US", "Thanks for waiting: an agent will be with you shortly. You are number 1 in line.",
     "Chat"),
    ("de-DE", "Danke für Ihre Geduld: Gleich ist jemand für Sie da. Sie sind an Position 1 in "
     "der Warteschlange.", "Chat"),
    ("nl-NL", "Bedankt voor uw geduld: er is zo iemand voor u. U bent nummer 1 in de rij.",
     "Chat"),
    ("ru-RU", "Спасибо, что ждёте: сотрудник скоро ответит. Ваше место в очереди: 1.", "Чат"),
])
def test_routing_lines_in_the_visitors_language(live: Live, contexts: Contexts,  # noqa: F811
                                                locale: str, waiting: str, chat: str) -> None:
    visitor = contexts(locale=locale, viewport={"width": 360, "height": 740}).new_page()
    shop_in(visitor, locale[:2])  # the shop in the visitor's language (the page's comes first)
    # From the launcher: no invitation (whose text, here English only, would set the
    # widget's language); the page's language words the routing lines.
    visitor.goto(f"{live.base}/demo/")
    widget(visitor, "launcher").click()
    widget(visitor, "input").fill("?")
    widget(visitor, "send").click()
    expect(widget(visitor, "message").filter(has_text=waiting)).to_be_visible()
    expect(widget(visitor, "title")).to_have_text(chat)
