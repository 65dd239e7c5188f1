"""Operations endpoints: ``/healthz``, ``/metrics`` and the optional no-op benchmark target."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text

from floorwalker.errors import ApiError
from floorwalker.ops.http import read_body
from floorwalker.ops.metrics import CONTENT_TYPE
from floorwalker.services import services

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness and database check")
async def healthz(request: Request) -> Any:
    """200 when the database answers, 503 otherwise."""
    svc = services(request)
    try:
        async with svc.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return {"status": "ok", "database": svc.engine.dialect.name}


@router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
async def metrics(request: Request) -> Response:
    """Events in, rejections by code, pipeline latency."""
    return Response(services(request).metrics.render(), media_type=CONTENT_TYPE)


@router.post("/v1/noop", include_in_schema=False)
async def noop(request: Request) -> Response:
    """Reads the body and answers like an ingest call; benchmarks measure against it."""
    svc = services(request)
    if not svc.settings.enable_noop:
        raise ApiError(404, "not_found", "Not found.")
    await read_body(request, svc.settings.max_body_bytes)
    return JSONResponse({"success": True})
