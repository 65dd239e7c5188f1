"""The Segment-compatible tracking API: ``/v1/batch``, ``/v1/track``, ``/v1/page``...

HTTP Basic auth with the site's write key (browser) or server key (trusted) as the user
name, or ``writeKey`` in the body for ``navigator.sendBeacon``. JSON bodies are accepted
as ``application/json`` or ``text/plain``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from floorwalker.auth.sitekeys import site_key
from floorwalker.collect import model
from floorwalker.collect.normalize import RequestInfo
from floorwalker.errors import ApiError
from floorwalker.ops.http import client_ip, invalid_utf8_at, read_body
from floorwalker.services import services
from floorwalker.store.writer import StorageUnavailable

router = APIRouter(prefix="/v1", tags=["tracking"])

def _schema(kind: str) -> dict[str, Any]:
    target = model.Batch if kind == "batch" else model.CALL_TYPES[kind]
    (schema,), components = msgspec.json.schema_components([target],
                                                           ref_template="#/components/schemas/{name}")
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "text/plain": {"schema": schema}}},
        "x-components": components}


# Some msgspec releases raise UnicodeDecodeError, others DecodeError, for invalid UTF-8.
_DECODE_ERRORS = (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError)


def _decode_error(exc: msgspec.ValidationError | msgspec.DecodeError | UnicodeDecodeError,
                  body: bytes) -> ApiError:
    # The encoding is checked here, only once decoding failed, so valid bodies pay nothing;
    # it never depends on the wording of a library's message.
    bad_byte = invalid_utf8_at(body)
    if bad_byte is not None:
        return ApiError(400, "invalid_encoding",
                        f"The body is not valid UTF-8 (byte {bad_byte}); send JSON as UTF-8.")
    text = str(exc)
    if isinstance(exc, msgspec.ValidationError):
        message, _, path = text.partition(" - at `")
        path = path.rstrip("`") or "$"
        return ApiError(422, "invalid_event", f"{path}: {message}",
                        [{"path": path, "problem": message}])
    return ApiError(400, "invalid_json", f"The body is not valid JSON: {text}")


async def _ingest(request: Request, kind: str) -> Response:
    svc = services(request)
    started = time.perf_counter()
    received = datetime.now(UTC)
    ip = client_ip(request, svc.settings.trusted_proxies)
    svc.ip_limiter.check(ip or "unknown", "client address")
    # Any content type is read as JSON: sendBeacon sends text/plain, curl sends a form type.
    body = await read_body(request, svc.settings.max_body_bytes)
    site = await site_key(request, body)
    svc.key_limiter.check(site.site_id + (":srv" if site.trusted else ":pub"), "key")
    if not body.strip():
        raise ApiError(400, "empty_body", "The body is empty; send a JSON document.")
    try:
        if kind == "batch":
            batch = model.BATCH_DECODER.decode(body)
            calls, ctx, sent_at = batch.batch, batch.context or {}, batch.sentAt
        else:
            calls, ctx, sent_at = [model.SINGLE_DECODERS[kind].decode(body)], None, None
    except _DECODE_ERRORS as exc:
        raise _decode_error(exc, body) from None
    info = RequestInfo(ip=ip, user_agent=request.headers.get("user-agent"),
                       accept_language=request.headers.get("accept-language"),
                       received_at=received)
    normalized = svc.normalizer.normalize(calls, site, info, ctx, sent_at)
    try:
        result = await svc.pipeline.ingest(normalized.events)
    except StorageUnavailable:
        raise ApiError(503, "storage_unavailable",
                       "Events could not be stored; retry later. Nothing was kept.",
                       headers={"Retry-After": "1"}) from None
    svc.metrics.request_latency.observe(time.perf_counter() - started)
    for ev in normalized.events:
        svc.metrics.events_in.labels(ev.type).inc()
    if result.duplicates:
        svc.metrics.duplicates.inc(result.duplicates)
    payload: dict[str, Any] = {"success": True, "accepted": result.accepted,
                               "duplicates": result.duplicates}
    if normalized.warnings:
        payload["warnings"] = normalized.warnings
    return JSONResponse(payload)


@router.post("/batch", summary="Send many calls", openapi_extra=_schema("batch"))
async def batch(request: Request) -> Response:
    """Segment's batch call: up to the documented number of events in one request."""
    return await _ingest(request, "batch")


@router.post("/track", summary="Record an event", openapi_extra=_schema("track"))
async def track(request: Request) -> Response:
    """Segment's track call."""
    return await _ingest(request, "track")


@router.post("/page", summary="Record a page view", openapi_extra=_schema("page"))
async def page(request: Request) -> Response:
    """Segment's page call (stored as ``page_view``)."""
    return await _ingest(request, "page")


@router.post("/screen", summary="Record a screen view", openapi_extra=_schema("screen"))
async def screen(request: Request) -> Response:
    """Segment's screen call (stored as ``screen_view``)."""
    return await _ingest(request, "screen")


@router.post("/identify", summary="Identify a visitor", openapi_extra=_schema("identify"))
async def identify(request: Request) -> Response:
    """Segment's identify call; from a browser it needs ``context.user_hash``."""
    return await _ingest(request, "identify")


@router.post("/alias", summary="Link a previous id", openapi_extra=_schema("alias"))
async def alias(request: Request) -> Response:
    """Segment's alias call (server key, or a browser with ``context.user_hash``)."""
    return await _ingest(request, "alias")


@router.post("/group", summary="Associate with a group", openapi_extra=_schema("group"))
async def group(request: Request) -> Response:
    """Segment's group call (stored on the timeline)."""
    return await _ingest(request, "group")
