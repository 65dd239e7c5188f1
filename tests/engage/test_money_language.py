"""Amounts in messages are written the way the visitor's language writes them."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.rules.helpers import shown, track


@pytest.mark.parametrize(("locale", "expected"), [
    ("nl-NL", "Uw winkelwagen: €\xa0420,00"),
    ("fr-FR", "Votre panier : 420,00\xa0€"),
    ("en-GB", "Your cart: €420.00"),
])
async def test_the_cart_value_in_the_visitors_language(client: httpx.AsyncClient, alice: Tenant,
                                                      locale: str, expected: str) -> None:
    r = await client.post("/api/scenarios", headers=alice.bearer(), json={
        "key": "cart", "name": "Cart", "trigger": {"event": "add_to_cart"},
        "needs_agent": False, "caps": {"per_session": None},
        "action": {"type": "popup", "text": {
            "en": "Your cart: {{ cart.value | money(cart.currency) }}",
            "fr": "Votre panier : {{ cart.value | money(cart.currency) }}",
            "nl": "Uw winkelwagen: {{ cart.value | money(cart.currency) }}"}}})
    assert r.status_code == 201, r.text
    anon = f"money-{locale}"
    await track(client, alice, anon, "add_to_cart", currency="EUR", value=420,
                items=[{"item_id": "boots", "price": 420, "quantity": 1}],
                context={"locale": locale})
    texts = [d.get("text") for d in await shown(client, alice, anon)]
    assert texts == [expected]
