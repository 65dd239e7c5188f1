"""Compressed bodies, compression bombs and deep nesting, on every public route.

Segment's and RudderStack's libraries gzip their bodies; an attacker sends a bomb or a
document nested a hundred thousand levels deep. Each gets a clean answer: accepted when
it is a real body, a 4xx with the error shape when it is not, never a 500 or a traceback.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import tracemalloc
import warnings
import zlib
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any

import httpx
import pytest

with warnings.catch_warnings():  # starlette suggests httpx2; httpx works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.ops.bodies import MAX_JSON_DEPTH
from tests.conftest import Server, Tenant, make_tenant
from tests.test_fuzz_tracking import assert_answer

V1 = ("batch", "track", "page", "screen", "identify", "alias", "group")


@pytest.fixture
async def client(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """A crash comes back as the 500 a user would get, not an exception."""
    transport = httpx.ASGITransport(app=server.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def deflate(data: bytes, *, raw: bool = False) -> bytes:
    obj = zlib.compressobj(wbits=-15 if raw else 15)
    return obj.compress(data) + obj.flush()


def call(endpoint: str, anon: str) -> dict[str, Any]:
    one: dict[str, Any] = {"anonymousId": anon, "event": "zipped", "name": "Home",
                           "userId": f"user-{anon}", "previousId": anon, "groupId": "g1",
                           "traits": {"plan": "pro"}, "properties": {"q": "boots"}}
    if endpoint == "batch":
        return {"batch": [{**one, "type": "track"}, {**one, "type": "page"}]}
    return one


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "deflate-raw", "GZIP"])
@pytest.mark.parametrize("endpoint", V1)
async def test_compressed_bodies_are_accepted_on_every_tracking_route(
        client: httpx.AsyncClient, alice: Tenant, endpoint: str, encoding: str) -> None:
    anon = f"zip-{endpoint}-{encoding}"
    body = json.dumps(call(endpoint, anon)).encode()
    packed = (deflate(body, raw=True) if encoding == "deflate-raw"
              else deflate(body) if encoding == "deflate" else gzip.compress(body))
    header = "deflate" if encoding == "deflate-raw" else encoding
    r = await client.post(f"/v1/{endpoint}", content=packed, headers={
        **alice.server(), "Content-Type": "application/json", "Content-Encoding": header})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] >= 1
    r = await client.get(f"/api/visitors/{anon}", headers=alice.bearer())
    assert r.status_code == 200, r.text
    assert r.json()["event_count"] >= 1


async def test_concatenated_gzip_members_are_one_body(client: httpx.AsyncClient,
                                                      alice: Tenant) -> None:
    body = json.dumps(call("track", "members")).encode()
    packed = gzip.compress(body[:20]) + gzip.compress(body[20:])
    r = await client.post("/v1/track", content=packed,
                          headers={**alice.basic(), "Content-Encoding": "gzip"})
    assert r.status_code == 200, r.text


@cache
def bomb() -> bytes:
    """100 MB of JSON whitespace inside a valid document, gzipped to about 100 KB."""
    stream = zlib.compressobj(9, wbits=31)
    parts = [stream.compress(b'{"anonymousId": "bomb", "event": "x"')]
    chunk = b" " * (1 << 20)
    parts += [stream.compress(chunk) for _ in range(100)]
    parts.append(stream.compress(b"}") + stream.flush())
    return b"".join(parts)


async def test_a_compression_bomb_is_413_without_inflating_it(client: httpx.AsyncClient,
                                                              alice: Tenant) -> None:
    packed = bomb()
    assert len(packed) < 512 * 1024  # small on the wire: only the inflated size is too big
    tracemalloc.start()
    try:
        r = await client.post("/v1/track", content=packed,
                              headers={**alice.basic(), "Content-Encoding": "gzip"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert_answer(r)
    assert (r.status_code, r.json()["error"]["code"]) == (413, "payload_too_large")
    # The body limit is 512 KiB; inflating the bomb whole would take 100 MB.
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes while refusing the bomb"
    r = await client.get("/api/visitors/bomb", headers=alice.bearer())
    assert r.status_code == 404


async def test_the_size_limit_applies_to_the_inflated_body(client: httpx.AsyncClient,
                                                           alice: Tenant) -> None:
    doc = {"anonymousId": "big", "event": "x", "properties": {
        f"k{i}": "y" * 4000 for i in range(200)}}  # 800 KB of JSON, 512 KiB allowed
    packed = gzip.compress(json.dumps(doc).encode())
    assert len(packed) < 64 * 1024
    r = await client.post("/v1/track", content=packed,
                          headers={**alice.basic(), "Content-Encoding": "gzip"})
    assert (r.status_code, r.json()["error"]["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize(("body", "encoding", "status", "code"), [
    (b'{"anonymousId": "a", "event": "x"}', "gzip", 400, "invalid_compression"),
    (gzip.compress(b'{"anonymousId": "a", "event": "x"}')[:-12], "gzip", 400,
     "invalid_compression"),  # cut short
    (b"\x1f\x8b\x08\x00garbage", "deflate", 400, "invalid_compression"),
    (gzip.compress(b'{"anonymousId": "a", "event": "x"}'), "br", 415, "unsupported_encoding"),
    (gzip.compress(b'{"anonymousId": "a", "event": "x"}'), "gzip, gzip", 415,
     "unsupported_encoding"),
])
async def test_bad_compression_is_a_clear_4xx(client: httpx.AsyncClient, alice: Tenant,
                                              body: bytes, encoding: str, status: int,
                                              code: str) -> None:
    r = await client.post("/v1/track", content=body,
                          headers={**alice.basic(), "Content-Encoding": encoding})
    assert_answer(r)
    assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text


def nested(depth: int, *, arrays: bool) -> bytes:
    return (b"[" * depth + b"1" + b"]" * depth) if arrays else (
        b'{"k":' * depth + b"1" + b"}" * depth)


def deep_call(depth: int, *, arrays: bool, key: str | None = None) -> bytes:
    """A tracking call whose properties nest ``depth`` levels (writeKey in the body)."""
    head = b'{"anonymousId": "deep", "event": "x", '
    if key:
        head += b'"writeKey": "' + key.encode() + b'", '
    return head + b'"properties": {"p": ' + nested(depth, arrays=arrays) + b"}}"


@pytest.fixture
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    caplog.set_level(logging.WARNING)
    yield
    crashes = [r for r in caplog.records if r.exc_info or "unhandled" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]


@pytest.mark.usefixtures("no_tracebacks")
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 50_000])
@pytest.mark.parametrize("arrays", [False, True], ids=["objects", "arrays"])
@pytest.mark.parametrize("auth", ["basic", "beacon", "none", "gzip"])
async def test_deep_nesting_is_refused_before_decoding(client: httpx.AsyncClient, alice: Tenant,
                                                       depth: int, arrays: bool,
                                                       auth: str) -> None:
    for endpoint in V1:
        body = deep_call(depth, arrays=arrays, key=alice.write_key if auth == "beacon" else None)
        headers = {"Content-Type": "text/plain" if auth == "beacon" else "application/json"}
        if auth in ("basic", "gzip"):
            headers.update(alice.basic())
        if auth == "gzip":
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        if endpoint == "batch":
            body = (b'{"batch": [' + body + b"]}") if auth != "gzip" else gzip.compress(
                b'{"batch": [' + gzip.decompress(body) + b"]}")
        r = await client.post(f"/v1/{endpoint}", content=body, headers=headers)
        assert_answer(r)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "limit_exceeded"), r.text


async def test_nesting_within_the_limit_still_reaches_the_property_checks(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    ok = deep_call(7, arrays=False)
    r = await client.post("/v1/track", content=ok, headers=alice.basic())
    assert r.status_code == 200, r.text
    # Brackets inside strings are text, not nesting.
    text = json.dumps({"anonymousId": "deep-text", "event": "x",
                       "properties": {"s": "[{" * 3000}})
    r = await client.post("/v1/track", content=text.encode(), headers=alice.basic())
    assert r.status_code == 200, r.text


@pytest.mark.usefixtures("no_tracebacks")
async def test_deep_nesting_gets_4xx_on_every_operation_with_a_body(
        client: httpx.AsyncClient, alice: Tenant, server: Server) -> None:
    doc = server.app.openapi()
    checked = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("post", "put", "patch") or "requestBody" not in op:
                continue
            url = path.replace("{", "").replace("}", "")  # any id: the body is read first
            for body in (nested(5_000, arrays=True), nested(5_000, arrays=False)):
                headers = {**(alice.bearer() if path.startswith("/api") else alice.basic()),
                           "Content-Type": "application/json"}
                r = await client.request(method.upper(), url, content=body, headers=headers)
                assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text)
                assert set(r.json()["error"]) == {"code", "message", "details"}
                checked += 1
    assert checked > 20


@pytest.fixture
def tenant(database_url: str) -> Tenant:
    return asyncio.run(make_tenant(database_url, "acme"))


@pytest.fixture
def app(settings: Settings, tenant: Tenant) -> Iterator[TestClient]:
    with TestClient(create_app(settings.with_overrides(timers_enabled=False))) as client:
        yield client


def test_a_deep_visitor_frame_gets_an_error_frame_and_the_socket_lives(
        app: TestClient, tenant: Tenant) -> None:
    url = f"/ws/visitor?v=1&writeKey={tenant.write_key}&anonymousId=deep-ws"
    with app.websocket_connect(url) as ws:
        for body in (nested(30_000, arrays=True), nested(5_000, arrays=False),
                     '{"type": "ping", "x": ' + "[" * 200 + "]" * 200 + "}"):
            ws.send_text(body if isinstance(body, str) else body.decode())
            frame = ws.receive_json()
            while frame["type"] != "error":
                frame = ws.receive_json()
            assert frame["code"] == "limit_exceeded", frame
        ws.send_text(json.dumps({"type": "ping"}))
        frame = ws.receive_json()
        while frame["type"] != "pong":
            frame = ws.receive_json()
