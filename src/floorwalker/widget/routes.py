"""Serving the snippet and the widget: ``/widget/floorwalker.js`` and ``/widget/widget.js``."""

from __future__ import annotations

import gzip
import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

from floorwalker.errors import not_found

router = APIRouter(tags=["widget"])
STATIC = Path(__file__).parent / "static"
TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".md": "text/markdown; charset=utf-8"}


@lru_cache(maxsize=64)
def _asset(name: str) -> tuple[bytes, bytes, str] | None:
    path = (STATIC / name).resolve()
    if STATIC.resolve() not in path.parents or not path.is_file() or path.suffix not in TYPES:
        return None
    body = path.read_bytes()
    return body, gzip.compress(body, 9), hashlib.sha256(body).hexdigest()[:16]


def asset_sizes() -> dict[str, tuple[int, int]]:
    """Raw and gzipped size of each JavaScript file (reported in docs and the banner)."""
    out = {}
    for path in sorted(STATIC.glob("*.js")):
        found = _asset(path.name)
        if found:
            out[path.name] = (len(found[0]), len(found[1]))
    return out


@router.get("/widget/{name}", include_in_schema=False)
async def widget_asset(name: str, request: Request) -> Response:
    """A static widget file; gzipped when the browser accepts it, cached for 5 minutes."""
    found = _asset(name)
    if found is None:
        raise not_found(f"Widget file {name!r}")
    body, gz, etag = found
    headers = {"Cache-Control": "public, max-age=300", "ETag": f'"{etag}"',
               "Access-Control-Allow-Origin": "*", "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == f'"{etag}"':
        return Response(status_code=304, headers=headers)
    media = TYPES[Path(name).suffix]
    if "gzip" in request.headers.get("accept-encoding", ""):
        return Response(gz, media_type=media, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=media, headers=headers)
