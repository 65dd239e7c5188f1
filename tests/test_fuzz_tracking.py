"""No input makes the tracking API answer 5xx, and every rejection has the one error shape.

Property-based: Hypothesis throws arbitrary JSON, "almost valid" Segment documents and raw
bytes at ``/v1/*`` and checks what a client integrating with us relies on: a 200 means the
events can be read back; anything else is a 4xx with ``{"error": {code, message, details}}``.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from floorwalker.ops.bodies import MAX_JSON_DEPTH
from floorwalker.tenancy.keys import user_hash
from tests.conftest import Server, Tenant

ENDPOINTS = ("batch", "track", "page", "screen", "identify", "alias", "group")
CLIENT_ERRORS = {400, 401, 403, 404, 413, 415, 422, 429}
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
# Ids we can put in a URL path as they are, for the read-back spot check.
URL_SAFE_ID = re.compile(r"^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$")

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])


def outcome(r: httpx.Response) -> str:
    """The status and error code, for Hypothesis' statistics (--hypothesis-show-statistics)."""
    return str(r.status_code) if r.status_code == 200 else (
        f"{r.status_code} {r.json()['error']['code']}")


def assert_answer(r: httpx.Response) -> None:
    """200, or a 4xx whose body is exactly the documented error shape."""
    assert r.status_code == 200 or r.status_code in CLIENT_ERRORS, (r.status_code, r.text)
    if r.status_code == 200:
        assert r.json()["success"] is True
        return
    body = r.json()
    assert list(body) == ["error", "code", "message"], body
    error = body["error"]
    # Segment's and RudderStack's libraries read code and message at the top level.
    assert (body["code"], body["message"]) == (error["code"], error["message"]), body
    assert set(error) == {"code", "message", "details"}, error
    assert isinstance(error["code"], str), error
    assert CODE.match(error["code"]), error
    assert isinstance(error["message"], str), error
    assert error["message"].strip(), error
    assert isinstance(error["details"], list), error


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """Like conftest's, but a crash comes back as the 500 a user would get, not an exception."""
    transport = httpx.ASGITransport(app=server.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


# -- strategies ----------------------------------------------------------------------------

def mostly(valid: st.SearchStrategy[Any], mutated: st.SearchStrategy[Any],
           one_in: int = 6) -> st.SearchStrategy[Any]:
    """``valid``, but one time in ``one_in`` a ``mutated`` value instead."""
    return st.integers(1, one_in).flatmap(lambda n: mutated if n == 1 else valid)


scalars = (st.none() | st.booleans() | st.integers() | st.floats()
           | st.text(max_size=40))
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=12), inner,
                                                               max_size=6),
    max_leaves=25)

nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="utf-8"), max_size=30),  # anything encodable, incl. NUL
    st.sampled_from(["\x00", "a\x00b", "\u202e", "\ufeff", "😀" * 3, "\r\n", " ", "\t",
                     "'; DROP TABLE events; --", "%00", "../..", "NaN", "Infinity", "-0",
                     "1e999", "\ud800", "a\udfffb", "\ud83d"]),
    st.text(min_size=250, max_size=300),
    st.just("x" * 9000),
)
placeholder = st.sampled_from(["null", "undefined", "0", "-1", "", " ", "None", "NaN",
                               "[object Object]", "00000000-0000-0000-0000-000000000000"])
good_id = st.uuids().map(str) | st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True)
ids = st.one_of(
    good_id, good_id, placeholder, nasty_text,
    st.integers(), st.integers(min_value=10**18, max_value=10**300),
    st.floats(), st.booleans(), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
recent = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                      timezones=st.just(UTC)).map(lambda d: d.isoformat())
timestamps = st.one_of(
    recent,
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["2024-02-30T00:00:00Z", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                     "2024-01-01", "yesterday", "", "2024-01-01T25:61:61Z",
                     "2024-01-01T00:00:00.123456789Z", "1700000000"]),
    st.integers(), st.floats(), st.none(),
)


def deep(depth: int) -> Any:
    """A dict nested ``depth`` levels."""
    doc: Any = "leaf"
    for _ in range(depth):
        doc = {"k": doc}
    return doc


def deep_list(depth: int) -> Any:
    """A list nested ``depth`` levels."""
    doc: Any = 1
    for _ in range(depth):
        doc = [doc]
    return doc


number_text = st.sampled_from(["NaN", "nan", "Infinity", "-Infinity", "1e999", "-1e999",
                               "1e308", "0x10", ""])
prop_values = st.one_of(
    json_values,
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([1e308, -1e308, 2**63, -(2**63) - 1, 2**64, 5e-324]),
    number_text, nasty_text,
    st.integers(min_value=7, max_value=40).map(deep),
    st.integers(min_value=90, max_value=600).map(deep),  # past the JSON depth limit
    st.integers(min_value=90, max_value=600).map(deep_list),
    st.just({f"k{i}": i for i in range(300)}),
    st.just(list(range(300))),
)
ecommerce_keys = st.sampled_from(["price", "quantity", "value", "revenue", "total", "currency",
                                  "item_id", "product_id", "sku", "transaction_id",
                                  "order_id", "items", "ecommerce", "$set", "$set_once",
                                  "$unset", "url", "path", "title", "referrer", "search",
                                  "page_location"])
plain_values = scalars | st.lists(scalars, max_size=3)
properties = mostly(st.one_of(
    st.dictionaries(ecommerce_keys | st.text(max_size=20), mostly(plain_values, prop_values),
                    max_size=6),
    st.builds(lambda items: {"items": items, "currency": "EUR"},
              st.lists(st.dictionaries(ecommerce_keys, prop_values, max_size=5), max_size=4)),
), prop_values)  # not an object at all
common_names = st.sampled_from(["search", "add_to_cart", "remove_from_cart", "view_cart",
                                "begin_checkout", "purchase", "refund", "page_view"])
event_names = mostly(common_names, nasty_text | st.just("e" * 201) | st.integers() | st.none())


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@st.composite
def contexts(draw: st.DrawFn, tenant: Tenant, user_id: Any) -> Any:
    ctx: dict[str, Any] = draw(st.dictionaries(
        st.sampled_from(["page", "locale", "userAgent", "timezone", "campaign", "ip",
                         "library", "traits", "user_hash"]) | st.text(max_size=10),
        mostly(plain_values, prop_values), max_size=4))
    if isinstance(user_id, str | int) and not isinstance(user_id, bool) and draw(st.booleans()) \
            and _encodable(str(user_id)):
        # The right HMAC for the id as sent: identity proven. (An id with a lone surrogate
        # has no UTF-8 form, so no site could compute one; the body cannot carry it either.)
        ctx["user_hash"] = user_hash(tenant.identity_secret, str(user_id).strip())
    if draw(st.booleans()):
        ctx["page"] = draw(st.dictionaries(
            st.sampled_from(["url", "path", "title", "referrer", "search"]),
            st.sampled_from(["https://acme.example/?utm_source=x&gclid=1", "not a url",
                             "http://[::1", "https://", "//x", "\x00"]) | nasty_text,
            max_size=5))
    return draw(mostly(st.just(ctx), st.sampled_from([None, [], "ctx", 7])))


@st.composite
def calls(draw: st.DrawFn, tenant: Tenant, kind: str) -> dict[str, Any]:
    """A Segment call of ``kind`` whose fields are each valid or mutated."""
    doc: dict[str, Any] = {}
    if kind != "untyped":
        doc["type"] = kind
    if draw(st.integers(0, 9)) > 0:
        doc["anonymousId"] = draw(mostly(good_id, ids))
    if draw(st.integers(0, 2)) == 0:
        doc["userId"] = draw(mostly(good_id, ids))
    if draw(st.booleans()):
        doc["messageId"] = draw(mostly(st.uuids().map(str), nasty_text | st.integers()))
    if draw(st.booleans()):
        doc["timestamp"] = draw(mostly(recent, timestamps))
    if draw(st.integers(0, 3)) == 0:
        doc["sentAt"] = draw(mostly(recent, timestamps))
    if draw(st.booleans()):
        doc["context"] = draw(contexts(tenant, doc.get("userId")))
    wants_event = kind == "track" or (kind == "untyped" and draw(st.booleans()))
    if wants_event and draw(st.integers(0, 9)) > 0:
        doc["event"] = draw(event_names)
    if kind in ("track", "page", "screen") and draw(st.integers(0, 3)) > 0:
        doc["properties"] = draw(properties)
    if kind in ("page", "screen") and draw(st.booleans()):
        doc["name"] = draw(mostly(nasty_text, st.integers()))
    if kind == "page" and draw(st.booleans()):
        doc["category"] = draw(nasty_text)
    if kind in ("identify", "group") and draw(st.integers(0, 3)) > 0:
        doc["traits"] = draw(properties)
    if kind == "alias" and draw(st.integers(0, 9)) > 0:
        doc["previousId"] = draw(mostly(good_id, ids))
    if kind == "group" and draw(st.integers(0, 9)) > 0:
        doc["groupId"] = draw(mostly(good_id, ids))
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.text(max_size=10))] = draw(json_values)  # unknown fields are ignored
    return doc


call_kinds = mostly(st.sampled_from(["track", "page", "screen", "identify", "alias", "group"]),
                    st.sampled_from(["untyped", "nonsense"]))


@st.composite
def requests(draw: st.DrawFn, tenant: Tenant) -> tuple[str, Any]:
    """An endpoint and a near-valid document for it."""
    endpoint = draw(st.sampled_from(ENDPOINTS))
    if endpoint != "batch":
        return endpoint, draw(calls(tenant, endpoint))
    batch = draw(st.lists(call_kinds.flatmap(lambda k: calls(tenant, k)), max_size=5))
    doc: dict[str, Any] = {"batch": batch}
    if draw(st.booleans()):
        doc["context"] = draw(contexts(tenant, None))
    if draw(st.booleans()):
        doc["sentAt"] = draw(timestamps)
    return endpoint, doc


def auth_for(tenant: Tenant, how: str) -> dict[str, str]:
    return {
        "write": tenant.basic(),
        "server": tenant.server(),
        "unknown": tenant.basic("wk_nobody"),
        "garbage": {"Authorization": "Basic %%%not-base64"},
        "bearer": {"Authorization": f"Bearer {tenant.write_key}"},
        "none": {},
    }[how]


ACCEPTED_AUTH = ("write", "server", "bearer")  # Segment libraries send Basic; some Bearer
auth_kinds = mostly(st.sampled_from(ACCEPTED_AUTH), st.sampled_from(["unknown", "garbage", "none"]))


async def read_back(client: httpx.AsyncClient, tenant: Tenant, endpoint: str,
                    doc: dict[str, Any]) -> None:
    """An accepted call can be found on its visitor, by the anonymous id it was sent with."""
    call = doc["batch"][0] if endpoint == "batch" else doc
    # An alias links previousId (the id used so far), not the call's own anonymousId.
    anon = call.get("previousId" if call.get("type") == "alias" else "anonymousId")
    if not isinstance(anon, str) or not URL_SAFE_ID.match(anon.strip()):
        return
    event("read back")
    r = await client.get(f"/api/visitors/{anon.strip()}", headers=tenant.bearer())
    assert r.status_code == 200, r.text
    assert r.json()["event_count"] >= 1
    r = await client.get(f"/api/visitors/{anon.strip()}/events", headers=tenant.bearer())
    assert r.status_code == 200, r.text
    assert r.json()["events"], "the visitor exists but shows no event"


# -- properties ----------------------------------------------------------------------------

@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), doc=json_values, how=auth_kinds)
async def test_any_json_value_gets_a_clean_answer(client: httpx.AsyncClient, alice: Tenant,
                                                  endpoint: str, doc: Any, how: str) -> None:
    r = await client.post(f"/v1/{endpoint}", content=json.dumps(doc).encode(),
                          headers={**auth_for(alice, how), "Content-Type": "application/json"})
    assert_answer(r)
    event(outcome(r))


@FUZZ
@given(data=st.data(), how=auth_kinds)
async def test_almost_valid_segment_calls_get_a_clean_answer(
        client: httpx.AsyncClient, alice: Tenant, data: st.DataObject, how: str) -> None:
    endpoint, doc = data.draw(requests(alice))
    r = await client.post(f"/v1/{endpoint}", content=json.dumps(doc).encode(),
                          headers={**auth_for(alice, how), "Content-Type": "application/json"})
    assert_answer(r)
    event(outcome(r))
    if r.status_code == 200:
        assert how in ACCEPTED_AUTH
        if r.json()["accepted"]:
            await read_back(client, alice, endpoint, doc)


VALID_BODIES = st.sampled_from([
    b'{"anonymousId": "a1", "event": "search", "properties": {"q": "boots"}}',
    b'{"batch": [{"type": "track", "anonymousId": "a1", "event": "x"}]}',
])


@FUZZ
@given(body=st.one_of(
    st.binary(max_size=200),
    st.sampled_from([b"\xff\xfe{}", b'{"event": "\xed\xa0\x80"}', b'{"event": "\xc3"}',
                     b'{"anonymousId": "a", "event": "e\xff"}', b'\x00', b'{"batch": [',
                     b'{"anonymousId": "a", "event": "x"}' + b"\x00", b"\xef\xbb\xbf{}"]),
    st.tuples(VALID_BODIES, st.integers(0, 60)).map(lambda t: t[0][:t[1]]),  # truncated
    st.tuples(VALID_BODIES, st.integers(0, 60), st.binary(min_size=1, max_size=3)).map(
        lambda t: t[0][:t[1]] + t[2] + t[0][t[1]:]),  # stray bytes, often inside a string
), endpoint=st.sampled_from(ENDPOINTS), content_type=st.sampled_from(
    ["application/json", "text/plain", "application/x-www-form-urlencoded",
     "application/json; charset=latin-1", ""]))
async def test_raw_bytes_get_a_clean_answer(client: httpx.AsyncClient, alice: Tenant,
                                            body: bytes, endpoint: str,
                                            content_type: str) -> None:
    r = await client.post(f"/v1/{endpoint}", content=body,
                          headers={**alice.basic(), "Content-Type": content_type})
    assert_answer(r)
    event(outcome(r))


async def test_the_documented_limits_are_4xx_with_the_error_shape(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    one = {"type": "track", "anonymousId": "limit-1", "event": "x"}
    cases = [
        ("batch", {"batch": []}, 422, "empty_batch"),
        ("batch", {"batch": [one] * 501}, 413, "batch_too_large"),
        ("track", {**one, "properties": deep(9)}, 422, "limit_exceeded"),
        ("track", {**one, "properties": {"s": "x" * 8193}}, 422, "limit_exceeded"),
        ("track", {**one, "properties": {f"k{i}": 1 for i in range(257)}}, 422,
         "limit_exceeded"),
        ("track", {**one, "anonymousId": "undefined"}, 422, "invalid_id"),
        ("identify", {"userId": "u1", "context": {"user_hash": "00" * 32}}, 403,
         "invalid_user_hash"),
    ]
    for endpoint, doc, status, code in cases:
        r = await client.post(f"/v1/{endpoint}", json=doc, headers=alice.basic())
        assert_answer(r)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (doc, r.text)
    r = await client.post("/v1/track", content=b"[" * 600_000, headers=alice.basic())
    assert_answer(r)
    assert r.status_code == 413


def compress(body: bytes, how: str) -> bytes:
    """``body`` as a client would send it with ``Content-Encoding: how`` (or mangled)."""
    if how == "gzip":
        return gzip.compress(body)
    if how == "deflate":
        return zlib.compress(body)
    if how == "deflate-raw":
        obj = zlib.compressobj(wbits=-15)
        return obj.compress(body) + obj.flush()
    if how == "gzip-cut":
        return gzip.compress(body)[: max(1, len(body) // 3)]
    return body  # "identity" and the lies: an encoding header on a plain body


@FUZZ
@given(data=st.data(), how=st.sampled_from(["gzip", "deflate", "deflate-raw", "gzip-cut",
                                            "identity"]),
       header=st.sampled_from(["gzip", "deflate", "identity", "x-gzip", "br", "", None]),
       nesting=st.one_of(st.none(), st.integers(MAX_JSON_DEPTH + 1, 600)))
async def test_compressed_and_deeply_nested_bodies_get_a_clean_answer(
        client: httpx.AsyncClient, alice: Tenant, data: st.DataObject, how: str,
        header: str | None, nesting: int | None) -> None:
    endpoint, doc = data.draw(requests(alice))
    if nesting is not None and isinstance(doc, dict):
        doc["properties"] = deep_list(nesting) if nesting % 2 else deep(nesting)
    body = compress(json.dumps(doc).encode(), how)
    headers = {**alice.basic(), "Content-Type": "application/json"}
    if header is not None:
        headers["Content-Encoding"] = header
    r = await client.post(f"/v1/{endpoint}", content=body, headers=headers)
    assert_answer(r)
    event(outcome(r))
    if nesting is not None and how == "identity" and header in (None, "", "identity"):
        assert r.status_code in (413, 422), r.text  # too deep (or too large), never decoded
    if r.status_code == 200 and r.json()["accepted"]:
        await read_back(client, alice, endpoint, doc)
