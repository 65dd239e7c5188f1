"""Inputs the fuzz tests found that once made the server answer 5xx, each pinned down.

Each test sends the concrete input and checks what the client sees: a 4xx with the error
shape and a code it can act on, and that nothing half-stored is left behind.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.conftest import Server, Tenant
from tests.test_fuzz_tracking import assert_answer


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """Like conftest's, but a crash comes back as the 500 a user would get, not an exception."""
    transport = httpx.ASGITransport(app=server.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def rejected(client: httpx.AsyncClient, tenant: Tenant, endpoint: str, body: bytes | dict,
                   status: int, code: str, *, server: bool = False) -> None:
    headers = tenant.server() if server else tenant.basic()
    if isinstance(body, bytes):
        r = await client.post(f"/v1/{endpoint}", content=body, headers=headers)
    else:
        r = await client.post(f"/v1/{endpoint}", json=body, headers=headers)
    assert_answer(r)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text


@pytest.mark.parametrize("body", [
    b'{"anonymousId": "a1", "event": "caf\xe9"}',  # latin-1, not UTF-8
    b'{"anonymousId": "a1", "event": "\xed\xa0\x80"}',  # an encoded surrogate
    b'{"batch": [{"type": "track", "anonymousId": "a1", "event": "\xff"}]}',
])
async def test_invalid_utf8_in_a_string_is_400_not_500(client: httpx.AsyncClient, alice: Tenant,
                                                       body: bytes) -> None:
    # msgspec reports it as UnicodeDecodeError, which the decoder error handling missed.
    endpoint = "batch" if body.startswith(b'{"batch"') else "track"
    await rejected(client, alice, endpoint, body, 400, "invalid_encoding")


async def test_invalid_utf8_without_auth_header_is_400_not_500(client: httpx.AsyncClient,
                                                               alice: Tenant) -> None:
    # The beacon path reads writeKey from the body before anything else.
    r = await client.post("/v1/track", content=b'{"writeKey": "\xff"}')
    assert_answer(r)
    assert r.status_code == 401


@pytest.mark.parametrize(("field", "endpoint", "extra"), [
    ("anonymousId", "track", {"event": "x"}),
    ("userId", "identify", {}),
    ("previousId", "alias", {"userId": "u-1"}),
])
async def test_nul_in_an_id_is_422_not_503(client: httpx.AsyncClient, alice: Tenant,
                                           field: str, endpoint: str, extra: dict) -> None:
    # PostgreSQL cannot store NUL in text: the commit failed and the client was told to retry.
    await rejected(client, alice, endpoint, {"anonymousId": "a-1", **extra, field: "a\x00b"},
                   422, "invalid_id", server=True)


async def test_nul_in_an_event_name_is_422_not_503(client: httpx.AsyncClient,
                                                   alice: Tenant) -> None:
    await rejected(client, alice, "track", {"anonymousId": "a-1", "event": "add\x00to_cart"},
                   422, "invalid_event_name")


@pytest.mark.parametrize("message_id", ["m" * 256, "msg\x00-1"])
async def test_unstorable_message_id_is_422_not_503(client: httpx.AsyncClient, alice: Tenant,
                                                    message_id: str) -> None:
    # events.message_id is VARCHAR(255): PostgreSQL refused a longer one at commit.
    await rejected(client, alice, "track",
                   {"anonymousId": "a-1", "event": "x", "messageId": message_id},
                   422, "invalid_message_id")
    r = await client.post("/v1/track", json={"anonymousId": "a-1", "event": "x",
                                             "messageId": "m" * 255}, headers=alice.basic())
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("value", [10**400, -(10**30), 2**63])
async def test_integer_beyond_64_bits_is_422_not_503(client: httpx.AsyncClient, alice: Tenant,
                                                     value: int) -> None:
    # float(10**400) raised OverflowError while folding a purchase into the profile.
    await rejected(client, alice, "track",
                   {"anonymousId": "a-1", "event": "purchase", "properties": {"value": value}},
                   422, "limit_exceeded")
    r = await client.get("/api/visitors/a-1", headers=alice.bearer())
    assert r.status_code == 404, "a rejected event must leave no visitor behind"


async def test_largest_64_bit_integer_is_accepted(client: httpx.AsyncClient,
                                                  alice: Tenant) -> None:
    r = await client.post("/v1/track", json={"anonymousId": "a-1", "event": "x",
                                             "properties": {"n": 2**63 - 1, "m": -(2**63)}},
                          headers=alice.basic())
    assert r.status_code == 200, r.text
    events = (await client.get("/api/visitors/a-1/events", headers=alice.bearer())).json()
    assert events["events"][0]["properties"] == {"n": 2**63 - 1, "m": -(2**63)}


@pytest.mark.parametrize("props", [
    {"item_id": "sku-1", "price": "NaN"},
    {"item_id": "sku-1", "price": 1e308, "quantity": 10},
])
async def test_non_finite_cart_value_leaves_the_profile_readable(
        client: httpx.AsyncClient, alice: Tenant, props: dict) -> None:
    r = await client.post("/v1/track", json={"anonymousId": "a-1", "event": "add_to_cart",
                                             "properties": props}, headers=alice.basic())
    assert r.status_code in (200, 422), r.text
    r = await client.get("/api/visitors/a-1", headers=alice.bearer())
    assert r.status_code in (200, 404), r.text


@pytest.mark.parametrize(("url", "body"), [
    ("/api/sites", {"name": "shop\x00"}),
    ("/api/tokens", {"name": "ci\x00"}),
])
async def test_nul_in_a_name_is_refused_on_every_database(
        client: httpx.AsyncClient, alice: Tenant, url: str, body: dict) -> None:
    r = await client.post(url, json=body, headers=alice.bearer())
    assert_answer(r)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), r.text
    assert r.json()["error"]["details"][0]["path"] == "$.body.name"


@pytest.mark.parametrize(("method", "url", "body", "ok"), [
    ("PUT", "/api/lookups/products", {"key_field": "k" * 65, "rows": [{"k" * 65: "x"}]}, 200),
    ("GET", "/api/sites/site%00", None, 404),
])
async def test_values_postgresql_cannot_store_are_422_not_500(
        client: httpx.AsyncClient, alice: Tenant, database_url: str,
        method: str, url: str, body: dict | None, ok: int) -> None:
    # PostgreSQL refuses NUL in text and strings longer than VARCHAR(n); SQLite takes both.
    r = await client.request(method, url, json=body, headers=alice.bearer())
    if database_url.startswith("postgresql"):
        assert_answer(r)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "unstorable_value"), r.text
    else:
        assert r.status_code == ok, r.text


async def test_metrics_are_documented_as_plain_text(client: httpx.AsyncClient) -> None:
    # Generated clients read the OpenAPI document; it claimed application/json.
    schema = (await client.get("/openapi.json")).json()
    assert list(schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]) == [
        "text/plain"]
    r = await client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")


async def test_a_non_ascii_user_hash_is_refused_not_500(client: httpx.AsyncClient,
                                                        alice: Tenant) -> None:
    # hmac.compare_digest raises TypeError on str with non-ASCII characters.
    for given in ("Ø=\U0009624b", "é" * 64):
        r = await client.post("/v1/page", headers=alice.basic(), json={
            "anonymousId": "a1", "userId": "ann", "name": "Home",
            "context": {"user_hash": given}})
        assert_answer(r)
        assert (r.status_code, r.json()["error"]["code"]) == (403, "invalid_user_hash"), r.text
