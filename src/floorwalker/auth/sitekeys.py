"""The site a tracking or widget request comes from: its write (or server) key.

The key is the HTTP Basic user name (Segment's libraries) or, for ``sendBeacon``
requests that cannot set a header, the body's ``writeKey``.
"""

from __future__ import annotations

import msgspec
from fastapi import Request

from floorwalker.errors import ApiError
from floorwalker.ops.http import basic_user
from floorwalker.services import services
from floorwalker.tenancy.directory import SiteKey


class KeyInBody(msgspec.Struct, kw_only=True, frozen=True):
    """Only the ``writeKey`` of a body, for beacon requests without an auth header."""

    writeKey: str | None = None


KEY_DECODER = msgspec.json.Decoder(KeyInBody)
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)


async def site_key(request: Request, body: bytes) -> SiteKey:
    """The site whose key the request carries; 401 ``missing_write_key`` or
    ``unknown_write_key`` otherwise."""
    key = basic_user(request)
    if key is None and body:
        try:
            key = KEY_DECODER.decode(body).writeKey
        except _DECODE_ERRORS:
            key = None
    if not key:
        raise ApiError(401, "missing_write_key",
                       "Send the site's write key as the HTTP Basic user name.",
                       headers={"WWW-Authenticate": "Basic"})
    site = await services(request).directory.site_key(key[:200])
    if site is None:
        raise ApiError(401, "unknown_write_key", "This write key belongs to no site.",
                       headers={"WWW-Authenticate": "Basic"})
    return site
