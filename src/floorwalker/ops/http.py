"""Small HTTP helpers shared by the APIs: bounded body reading, credentials, client IP."""

from __future__ import annotations

import base64
import binascii
import ipaddress

from starlette.requests import HTTPConnection, Request

from floorwalker.errors import ApiError
from floorwalker.ops.bodies import Inflater, check_json_depth, content_encoding, too_large


async def read_body(request: Request, limit: int, *, json: bool = True) -> bytes:
    """The request body, inflated when it is gzip or deflate (``Content-Encoding``).

    413 ``payload_too_large`` once the body, compressed or inflated, passes ``limit``
    bytes (a compression bomb is never inflated whole); 415 for an unknown encoding;
    with ``json``, 422 ``limit_exceeded`` when it nests deeper than ``MAX_JSON_DEPTH``.
    """
    encoding = content_encoding(request.headers.get("content-encoding"))
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise too_large(limit)
        except ValueError:
            raise ApiError(400, "bad_content_length", "Content-Length is not a number.") from None
    inflater = Inflater(encoding, limit) if encoding != "identity" else None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        if inflater is not None:
            inflater.feed(chunk)
        else:
            chunks.append(chunk)
    body = inflater.finish() if inflater is not None else b"".join(chunks)
    if json:
        check_json_depth(body)
    return body


def invalid_utf8_at(body: bytes) -> int | None:
    """The offset of the first byte that is not valid UTF-8 (surrogates included), or None."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start
    return None


def basic_user(request: Request) -> str | None:
    """The user name of HTTP Basic auth (Segment puts the write key there)."""
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError(401, "unauthorized", "The Basic credentials are not valid base64.",
                           headers={"WWW-Authenticate": "Basic"}) from None
        return decoded.partition(":")[0] or None
    if scheme.lower() == "bearer":
        return value.strip() or None
    return None


def bearer(request: Request) -> str | None:
    """The token of ``Authorization: Bearer ...`` (or the user of Basic auth)."""
    return basic_user(request)


def client_ip(request: HTTPConnection, trusted_proxies: tuple[str, ...]) -> str | None:
    """The visitor's IP: the peer, or X-Forwarded-For's last untrusted hop behind our proxies."""
    peer = request.client.host if request.client else None
    if not trusted_proxies or peer is None or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = request.headers.get("x-forwarded-for", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def _trusted(ip: str, proxies: tuple[str, ...]) -> bool:
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    for proxy in proxies:
        try:
            if addr in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False
