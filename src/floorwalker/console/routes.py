"""Serving the console: ``/console/`` (the page) and ``/console/static/*`` (its modules)."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from floorwalker.errors import not_found

router = APIRouter(tags=["console"], include_in_schema=False)
STATIC = Path(__file__).parent / "static"
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml",
         ".mp3": "audio/mpeg", ".wav": "audio/wav"}
# The page may only talk to its own origin; no inline scripts.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; media-src 'self' data:; connect-src 'self'; "
       "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


@lru_cache(maxsize=64)
def _asset(name: str) -> tuple[bytes, bytes, str] | None:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file() or path.suffix not in TYPES:
        return None
    body = path.read_bytes()
    return body, gzip.compress(body, 9), hashlib.sha256(body).hexdigest()[:16]


def page_weight() -> tuple[int, int]:
    """Raw and gzipped bytes of everything the console page loads."""
    raw = gz = 0
    for path in sorted(STATIC.iterdir()):
        found = _asset(path.name)
        if found:
            raw, gz = raw + len(found[0]), gz + len(found[1])
    return raw, gz


def _serve(name: str, request: Request, cache: str) -> Response:
    found = _asset(name)
    if found is None:
        raise not_found(f"Console file {name!r}")
    body, gz, etag = found
    headers = {"Cache-Control": cache, "ETag": f'"{etag}"', "Vary": "Accept-Encoding",
               "X-Content-Type-Options": "nosniff", "Content-Security-Policy": CSP,
               "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"}
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    media = TYPES[Path(name).suffix]
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gz, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media, headers=headers)


@router.get("/console")
@router.get("/console/")
@router.get("/console/accept")
async def console_page(request: Request) -> Response:
    """The console (it logs in, or accepts an invitation, by itself)."""
    return _serve("index.html", request, "no-cache")


@router.get("/console/static/{name}")
async def console_asset(name: str, request: Request) -> Response:
    """A module, the style sheet or a sound (revalidated on every load)."""
    return _serve(name, request, "no-cache")


@router.get("/console/static/vendor/{name}")
async def console_vendor_asset(name: str, request: Request) -> Response:
    """A vendored library (vendor/README.md), loaded by the page that needs it."""
    return _serve(f"vendor/{name}", request, "no-cache")
