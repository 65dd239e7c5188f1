"""The e-commerce playbook end to end: each scenario fires on the right sequence of
events sent through the public API, and stays silent on near-misses."""

from __future__ import annotations

import importlib.util
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine

from floorwalker.config import Settings
from tests.conftest import Server, Tenant
from tests.rules.helpers import (
    decided,
    fire_timers,
    install_playbook,
    page,
    shown,
    staff,
    track,
)

SHOP = "https://acme.example"


def _mmdb_writer() -> Any:
    spec = importlib.util.spec_from_file_location(
        "fw_mmdb_writer", Path(__file__).parent.parent / "collect" / "mmdb_writer.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A City database knowing Paris, timers driven by the test."""
    city = _mmdb_writer().write_mmdb(tmp_path / "city.mmdb", {
        "90.0.0.0/16": {"city": {"names": {"en": "Paris"}}, "country": {"iso_code": "FR"},
                        "location": {"latitude": 48.85, "longitude": 2.35,
                                     "time_zone": "Europe/Paris"}},
        "46.114.0.0/16": {"city": {"names": {"en": "Lyon"}}, "country": {"iso_code": "FR"}},
    })
    return Settings(database_url=database_url, rate_limit_per_ip=0, rate_limit_per_key=0,
                    log_json=False, geoip_city_db=str(city), timers_enabled=False)


@pytest.fixture
async def shop(client: httpx.AsyncClient, alice: Tenant) -> Tenant:
    """alice's shop with the playbook and a products lookup table."""
    await install_playbook(client, alice)
    r = await client.put("/api/lookups/products", headers={**alice.bearer(),
                                                          "content-type": "text/csv"},
                         content="item_id,margin,popular,cross_sell\n"
                                 "boot,0.55,true,waterproof spray\nsock,0.2,false,\n")
    assert r.status_code == 200, r.text
    return alice


async def test_search_with_few_results(client: httpx.AsyncClient, shop: Tenant) -> None:
    await track(client, shop, "v1", "search", search_term="red boots", result_count=10)
    assert await shown(client, shop, "v1") == []
    await track(client, shop, "v1", "search", search_term="red bots", result_count=9)
    [invite] = await shown(client, shop, "v1")
    assert invite["type"] == "open_chat"
    assert 'Only 9 results for "red bots"' in invite["text"]
    # A second time in the same visit: silent, and the log says why.
    await track(client, shop, "v1", "search", search_term="boots red", result_count=2)
    assert await shown(client, shop, "v1") == []
    reasons = [d["reason"] for d in await decided(client, shop, "v1", "search_few_results")]
    assert reasons[0] == "cap_session"


async def test_payment_failure_chat_when_billing_is_staffed(client: httpx.AsyncClient,
                                                            shop: Tenant) -> None:
    await staff(client, shop, "billing")
    await track(client, shop, "v1", "payment_failure", payment_method="paypal")
    [invite] = await shown(client, shop, "v1")
    assert invite["type"] == "chat_invitation"
    assert "paypal payment did not go through" in invite["text"]
    assert invite["agent_name"] == "Billing team"
    assert invite["inline_reply"] is True


async def test_payment_failure_phone_and_faq_when_nobody_can_chat(
        client: httpx.AsyncClient, shop: Tenant) -> None:
    await staff(client, shop, "billing", status="away")
    await track(client, shop, "v1", "payment_failure", payment_method="card")
    [card] = await shown(client, shop, "v1")
    assert card["type"] == "phone_card"
    assert card["phone"] == "+1 555 0100"
    assert card["url"] == "/demo/faq.html#payment-card"
    assert "did not go through" in card["text"]
    [decision] = await decided(client, shop, "v1", "payment_failure")
    assert (decision["outcome"], decision["reason"]) == ("fallback", "no_agent")
    # Near miss: no payment method named.
    await track(client, shop, "v2", "payment_failure")
    assert await shown(client, shop, "v2") == []


async def test_big_cart(client: httpx.AsyncClient, shop: Tenant) -> None:
    await staff(client, shop, "sales")
    await track(client, shop, "v1", "add_to_cart", currency="EUR",
                items=[{"item_id": "coat", "price": 499, "quantity": 1}])
    assert await shown(client, shop, "v1") == []
    await track(client, shop, "v1", "add_to_cart", currency="EUR",
                items=[{"item_id": "sock", "price": 2, "quantity": 1}])
    [invite] = await shown(client, shop, "v1")
    assert invite["type"] == "chat_invitation"
    assert "€501.00" in invite["text"]  # amounts as English writes them


async def test_big_cart_without_sales_asks_for_an_email(client: httpx.AsyncClient,
                                                        shop: Tenant) -> None:
    await track(client, shop, "v1", "add_to_cart",
                items=[{"item_id": "coat", "price": 501, "quantity": 1}])
    [card] = await shown(client, shop, "v1")
    assert card["type"] == "email_capture"


async def test_coupon_failure(client: httpx.AsyncClient, shop: Tenant) -> None:
    await track(client, shop, "v1", "coupon_failure")
    assert await shown(client, shop, "v1") == []
    await track(client, shop, "v1", "coupon_failure", coupon="SPRING24")
    [chat] = await shown(client, shop, "v1")
    assert chat["type"] == "open_chat"
    assert '"SPRING24"' in chat["text"]
    assert chat["coupon"] == "SORRY10"


async def test_important_faq(client: httpx.AsyncClient, shop: Tenant) -> None:
    await staff(client, shop, "support")
    await track(client, shop, "v1", "open_faq", title="About us")
    assert await shown(client, shop, "v1") == []
    await track(client, shop, "v1", "open_faq", title="Returns and refunds")
    [invite] = await shown(client, shop, "v1")
    assert 'Questions about "Returns and refunds"?' in invite["text"]


async def _loyal(client: httpx.AsyncClient, shop: Tenant, anon: str, purchases: int) -> None:
    for i in range(purchases):
        await track(client, shop, anon, "purchase", server=True, transaction_id=f"{anon}-{i}",
                    value=80)
    for path in ("/", "/boots", "/boots/red", "/boots/black"):
        await page(client, shop, anon, SHOP + path)


async def test_loyal_customer_gets_a_coupon_sized_by_margin(client: httpx.AsyncClient,
                                                            shop: Tenant) -> None:
    await _loyal(client, shop, "v1", purchases=3)
    await track(client, shop, "v1", "view_item", item_id="boot")
    [popup] = await shown(client, shop, "v1")
    assert popup["type"] == "popup"
    assert "20% off" in popup["text"]
    assert popup["coupon"] == "LOYAL20"
    assert "0.55" not in str(popup) and "margin" not in str(popup)


async def test_prospect_viewing_item_gets_nothing(client: httpx.AsyncClient,
                                                  shop: Tenant) -> None:
    await _loyal(client, shop, "v2", purchases=0)
    await track(client, shop, "v2", "view_item", item_id="boot")
    assert await shown(client, shop, "v2") == []


async def test_welcome_back_on_the_second_visit_only(client: httpx.AsyncClient,
                                                     shop: Tenant) -> None:
    await page(client, shop, "v1", SHOP + "/")
    assert await shown(client, shop, "v1") == []
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2), tick=True):
        await page(client, shop, "v1", SHOP + "/")
        [popup] = await shown(client, shop, "v1")
        assert popup["title"] == "Welcome back!"
        await page(client, shop, "v1", SHOP + "/boots")
        assert await shown(client, shop, "v1") == []


async def test_free_shipping_nudge_under_50(client: httpx.AsyncClient, shop: Tenant) -> None:
    await track(client, shop, "v1", "add_to_cart", currency="EUR",
                items=[{"item_id": "sock", "price": 30}])
    [popup] = await shown(client, shop, "v1")
    assert "Add €20.00 more for free shipping" in popup["text"]
    await track(client, shop, "v2", "add_to_cart", items=[{"item_id": "sock", "price": 60}])
    assert await shown(client, shop, "v2") == []


async def test_cross_sell_on_a_popular_item(client: httpx.AsyncClient, shop: Tenant) -> None:
    await track(client, shop, "v1", "add_to_cart", item_id="boot", price=120)
    [popup] = await shown(client, shop, "v1")
    assert "waterproof spray" in popup["text"]
    await track(client, shop, "v2", "add_to_cart", item_id="sock", price=120)
    assert await shown(client, shop, "v2") == []


async def test_abandoned_cart_after_30_minutes(server: Server, client: httpx.AsyncClient,
                                               shop: Tenant) -> None:
    await track(client, shop, "v1", "add_to_cart", items=[{"item_id": "coat", "price": 80}])
    await track(client, shop, "v2", "add_to_cart", items=[{"item_id": "coat", "price": 80}])
    await shown(client, shop, "v1")
    await shown(client, shop, "v2")
    await fire_timers(server, time.time() + 29 * 60)
    assert await shown(client, shop, "v1") == []
    await track(client, shop, "v2", "purchase", transaction_id="T1", value=80)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=True):
        assert await fire_timers(server) == 2
        [popup] = await shown(client, shop, "v1")
        assert popup["coupon"] == "CART10"
        assert "valid for 24 hours" in popup["text"]
        assert await shown(client, shop, "v2") == []


async def test_city_offer(client: httpx.AsyncClient, shop: Tenant) -> None:
    await page(client, shop, "v1", SHOP + "/", server=True, ip="90.0.1.2")
    [popup] = await shown(client, shop, "v1")
    assert popup["text"] == "Free same-day delivery in Paris today."
    await page(client, shop, "v2", SHOP + "/", server=True, ip="46.114.1.1")
    assert await shown(client, shop, "v2") == []


async def test_invite_after_150_seconds_on_site(server: Server, client: httpx.AsyncClient,
                                                shop: Tenant) -> None:
    await staff(client, shop, "sales")
    await page(client, shop, "v1", SHOP + "/")
    await page(client, shop, "v1", SHOP + "/boots")
    await page(client, shop, "v2", SHOP + "/")  # near miss: one page only
    assert await fire_timers(server, time.time() + 100) == 0
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=151), tick=True):
        assert await fire_timers(server) == 2
        [invite] = await shown(client, shop, "v1")
        assert invite["text"] == "Hi! Can I help you find something?"
        assert await shown(client, shop, "v2") == []


async def test_paid_ad_landing(client: httpx.AsyncClient, shop: Tenant) -> None:
    await staff(client, shop, "sales")
    await page(client, shop, "v1", SHOP + "/boots?gclid=xyz&utm_campaign=winter_boots",
               referrer="https://www.google.com/")
    [invite] = await shown(client, shop, "v1")
    assert "Looking for winter boots?" in invite["text"]
    await page(client, shop, "v2", SHOP + "/boots", referrer="https://www.google.com/")
    assert await shown(client, shop, "v2") == []


async def test_language_follows_the_visitor(client: httpx.AsyncClient, shop: Tenant) -> None:
    await track(client, shop, "v1", "coupon_failure", coupon="ETE", context={"locale": "fr-CA"})
    [chat] = await shown(client, shop, "v1")
    assert chat["language"] == "fr"
    assert chat["text"].startswith("Le code « ETE »")
