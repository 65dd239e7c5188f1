"""``POST /api/scenarios/preview``: a scenario's message as visitors of each language see it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from floorwalker.rules import preview_api as preview
from tests.conftest import Server, Tenant
from tests.rules.helpers import install_playbook


@pytest.fixture
async def client(server: Server) -> httpx.AsyncClient:
    """The app's client, with the preview route mounted (app.py may not include it yet)."""
    paths = {getattr(r, "path", None) for r in server.app.router.routes}
    if "/api/scenarios/preview" not in paths:
        server.app.include_router(preview.router)
    return server.client


COUPON = {"key": "coupon_help", "name": "Coupon help", "trigger": {"event": "coupon_failure"},
          "default_language": "en",
          "action": {"type": "chat_invitation", "agent_name": "Sam",
                     "title": {"en": "Sorry!"},
                     "text": {"en": "Hi {{ visitor.first_name | default('there') }}, "
                                    "{{ event.coupon }} expired.",
                              "fr": "Bonjour {{ visitor.first_name | default('à vous') }}, "
                                    "le code {{ event.coupon }} a expiré."}},
          "fallback": {"type": "email_capture", "text": {"en": "Leave your e-mail"}}}


async def post(client: httpx.AsyncClient, tenant: Tenant, body: dict[str, Any],
               status: int = 200) -> dict[str, Any]:
    r = await client.post("/api/scenarios/preview", headers=tenant.bearer(), json=body)
    assert r.status_code == status, r.text
    doc: dict[str, Any] = r.json()
    return doc


async def test_a_draft_is_rendered_in_each_language_for_the_sample(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    doc = await post(client, alice, {
        "scenario": COUPON, "visitor": {"first_name": "Ann"},
        "event": {"name": "coupon_failure", "properties": {"coupon": "SPRING"}}})
    action, fallback = doc["actions"]
    assert action["where"] == "action" and action["type"] == "chat_invitation"
    assert action["languages"]["en"]["text"] == "Hi Ann, SPRING expired."
    assert action["languages"]["fr"]["text"] == "Bonjour Ann, le code SPRING a expiré."
    # A field without a French version shows what a French visitor gets: the default.
    assert action["languages"]["fr"]["title"] == "Sorry!"
    assert action["languages"]["en"]["agent_name"] == "Sam"
    assert action["languages"]["en"]["problems"] == []
    assert fallback["where"] == "fallback"
    assert fallback["languages"] == {"en": {"type": "email_capture",
                                            "text": "Leave your e-mail", "problems": []}}


async def test_without_a_sample_unknown_values_take_their_default(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    doc = await post(client, alice, {"scenario": COUPON})
    assert doc["actions"][0]["languages"]["en"]["text"] == "Hi there,  expired."


async def test_a_saved_scenario_by_key_reads_the_lookup_table_and_the_cart(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    await install_playbook(client, alice)
    r = await client.put("/api/lookups/products", headers={**alice.bearer(),
                         "Content-Type": "text/csv"}, content="item_id,margin\nboot,0.55\n")
    assert r.status_code == 200, r.text
    doc = await post(client, alice, {
        "key": "loyal_customer_item", "visitor": {"first_name": "Ann", "customer": True},
        "event": {"name": "view_item", "properties": {"items": [{"item_id": "boot"}]}}})
    texts = {lang: v["text"] for lang, v in doc["actions"][0]["languages"].items()}
    assert texts["en"].startswith("Thanks for your loyalty, Ann! Take ")
    assert "% off this item." in texts["en"] and "Take 0%" not in texts["en"]
    assert texts["fr"].startswith("Merci de votre fidélité, Ann !")
    doc = await post(client, alice, {
        "key": "big_cart", "visitor": {"cart_value": 620, "cart_currency": "EUR"}})
    assert "620" in doc["actions"][0]["languages"]["en"]["text"]


async def test_a_template_that_fails_to_render_is_reported(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    broken = {**COUPON, "action": {"type": "popup", "text": {"en": "{{ 1 // 0 }}"}}}
    doc = await post(client, alice, {"scenario": broken})
    en = doc["actions"][0]["languages"]["en"]
    assert en["text"] == ""
    assert en["problems"][0]["path"] == "$.text.en"
    assert "ZeroDivisionError" in en["problems"][0]["problem"]


async def test_a_method_printed_without_its_call_is_blank_and_reported(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    draft = {**COUPON, "action": {"type": "popup", "text": {
        "en": "Hi {{ visitor.first_name.upper }}{{ 'abc'.translate }}!"}}}
    doc = await post(client, alice, {"scenario": draft, "visitor": {"first_name": "Ann"}})
    en = doc["actions"][0]["languages"]["en"]
    assert en["text"] == "Hi !"  # what a visitor would get: no repr, no memory address
    assert en["problems"][0]["path"] == "$.text.en"
    assert "the method 'upper' (call it with ())" in en["problems"][0]["problem"]


async def test_an_invalid_draft_names_its_problems(client: httpx.AsyncClient,
                                                   alice: Tenant) -> None:
    bad = {**COUPON, "action": {"type": "popup", "text": {"de": "Hallo"}}}
    doc = await post(client, alice, {"scenario": bad}, 422)
    assert doc["error"]["code"] == "invalid_scenario"
    assert doc["error"]["details"][0]["path"] == "$.action.text"
    doc = await post(client, alice, {}, 422)
    assert doc["error"]["code"] == "invalid_request"
    doc = await post(client, alice, {"key": "nope"}, 404)
    assert doc["error"]["code"] == "not_found"


async def test_only_admins_of_the_workspace_preview(
        client: httpx.AsyncClient, alice: Tenant, charlie: Tenant) -> None:
    await install_playbook(client, alice)
    r = await client.post("/api/scenarios/preview", json={"key": "big_cart"})
    assert r.status_code == 401
    r = await client.post("/api/scenarios/preview", headers=charlie.bearer(),
                          json={"key": "big_cart"})
    assert r.status_code == 404
    r = await client.post("/api/scenarios/preview", headers=alice.server(),
                          json={"key": "big_cart"})
    assert r.status_code in (401, 403)
