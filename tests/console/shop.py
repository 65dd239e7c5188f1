"""What visitors do on acme's shop, for the console tests: page views with a referrer and
a browser, carts, chats started from the `help` invitation, surveys."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from tests.console.conftest import Desk, Person, until

SHOP = "https://acme.example"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Mobile Safari/537.36")


def page(desk: Desk, anon: str, path: str, *, title: str = "", referrer: str | None = None,
         ago: float = 0.0, locale: str = "fr-FR", tenant: str = "acme") -> None:
    """A page view on the shop (``ago`` seconds in the past), from an Android phone."""
    owner = desk.acme if tenant == "acme" else desk.rival
    page_ctx: dict[str, Any] = {"url": SHOP + path, "path": path, "title": title}
    if referrer:
        page_ctx["referrer"] = referrer
    body: dict[str, Any] = {"anonymousId": anon, "name": title or path,
                            "context": {"page": page_ctx, "userAgent": PHONE,
                                        "locale": locale}}
    if ago:
        body["timestamp"] = datetime.fromtimestamp(time.time() - ago, UTC).isoformat()
    r = desk.client.post("/v1/page", headers=owner.basic(), json=body)
    assert r.status_code == 200, r.text


def add_to_cart(desk: Desk, anon: str, price: float, item: str = "boots") -> None:
    """One item in the visitor's cart, in euros."""
    desk.track(anon, "add_to_cart", currency="EUR",
               items=[{"item_id": item, "price": price, "quantity": 1}])


def live(person: Person, **params: Any) -> dict[str, Any]:
    """``GET /api/live/visitors`` as this person."""
    r = person.get("/api/live/visitors", params=params)
    assert r.status_code == 200, r.text
    doc: dict[str, Any] = r.json()
    return doc


def row_of(person: Person, visitor: str) -> dict[str, Any]:
    """One live row, by visitor id."""
    rows: list[dict[str, Any]] = [v for v in live(person)["visitors"] if v["id"] == visitor]
    assert len(rows) == 1, rows
    return rows[0]


def visitor_id(desk: Desk, anon: str) -> str:
    """The visitor id of a browser."""
    r = desk.client.get(f"/api/visitors/{anon}", headers=desk.acme.bearer())
    assert r.status_code == 200, r.text
    return str(r.json()["visitor_id"])


def sweep(desk: Desk, now: float) -> int:
    """Run the live list's sweep as of ``now``, in the app's event loop."""
    svc = desk.client.app.state.services  # type: ignore[attr-defined]
    assert desk.client.portal is not None
    return int(desk.client.portal.call(svc.live.sweep, now))


def start_chat(desk: Desk, anon: str, text: str = "hello") -> tuple[Any, str]:
    """The visitor answers the `help` invitation (sales); the open socket and the
    conversation id."""
    ws = desk.visitor(anon)
    assert ws.receive_json()["type"] == "welcome"
    desk.track(anon, "need_help", topic="sizes")
    decision = until(ws, "decision")["decision"]
    ws.send_json({"type": "message", "client_id": f"{anon}-1", "text": text,
                  "decision_id": decision["id"]})
    return ws, until(ws, "ack")["conversation_id"]


def plain_chat(desk: Desk, anon: str, text: str) -> tuple[Any, str]:
    """The visitor opens the widget and writes without an invitation (no scenario)."""
    ws = desk.visitor(anon)
    assert ws.receive_json()["type"] == "welcome"
    ws.send_json({"type": "message", "client_id": f"{anon}-1", "text": text})
    return ws, until(ws, "ack")["conversation_id"]


def say(ws: Any, conv_id: str, text: str) -> None:
    """The visitor writes one more message (stored when acknowledged)."""
    ws.send_json({"type": "message", "client_id": f"{conv_id}-{text[:20]}", "text": text,
                  "conversation_id": conv_id})
    until(ws, "ack")


def rate(desk: Desk, anon: str, conv_id: str, rating: int) -> None:
    """The post-chat survey, as the widget sends it."""
    desk.track(anon, "chat_rated", rating=rating, comment="", found=True,
               conversation_id=conv_id, **{"$set": {"last_chat_rating": rating}})

