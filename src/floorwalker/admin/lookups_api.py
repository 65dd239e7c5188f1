"""``/api/lookups``: upload and manage server-side lookup tables (admin token or server key)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_principal, bearer_scheme, workspace_principal
from floorwalker.errors import ApiError, not_found
from floorwalker.ops.bodies import check_json_depth
from floorwalker.ops.http import read_body
from floorwalker.rules import lookups
from floorwalker.services import services

router = APIRouter(prefix="/api/lookups", tags=["lookups"], dependencies=[Depends(bearer_scheme)])

Who = Annotated[Caller, Depends(workspace_principal)]


class JsonUpload(msgspec.Struct, kw_only=True):
    """A JSON upload: the key field and the rows."""

    rows: list[dict[str, Any]]
    key_field: str | None = None


@router.put("/{name}", summary="Replace a lookup table (CSV or JSON body)", openapi_extra={
    "requestBody": {"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object", "required": ["rows"], "properties": {
            "key_field": {"type": "string"},
            "rows": {"type": "array", "items": {"type": "object"}}}}}}}})
async def upload(name: str, request: Request, who: Who,
                 key_field: Annotated[str | None, Query(max_length=64)] = None) -> Any:
    """CSV with a header row, or JSON ``{"key_field", "rows"}``; the key defaults to the
    first CSV column."""
    assert who.workspace_id
    svc = services(request)
    lookups.validate_name(name)
    body = await read_body(request, svc.settings.max_lookup_bytes, json=False)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_encoding", "Send the table as UTF-8.") from None
    if content_type in ("text/csv", "text/plain", "application/csv"):
        header, rows = lookups.rows_from_csv(text)
        field = key_field or header[0]
        if field not in header:
            raise ApiError(422, "invalid_lookup", f"The CSV has no column {field!r}.")
    elif content_type == "application/json":
        check_json_depth(body)
        try:
            doc = msgspec.json.decode(body, type=JsonUpload)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ApiError(422, "invalid_lookup", f"Not a lookup document: {exc}") from None
        field = key_field or doc.key_field or ""
        if not field:
            raise ApiError(422, "invalid_lookup", "Name the key field (key_field).")
        rows = iter(doc.rows)
    else:
        raise ApiError(415, "unsupported_media_type", "Send text/csv or application/json.")
    table = await svc.lookups.replace(who.workspace_id, name, field, rows)
    return msgspec.to_builtins(table)


@router.get("", summary="List lookup tables (names and sizes, not values)")
async def list_tables(request: Request, who: Who) -> Any:
    """The workspace's lookup tables."""
    assert who.workspace_id
    async with services(request).engine.connect() as conn:
        return msgspec.to_builtins(await lookups.list_tables(conn, who.workspace_id))


@router.get("/{name}/rows/{key}", summary="One row of a lookup table (admin only)")
async def get_row(name: str, key: str, request: Request,
                  who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """A row by key: values are sensitive, so only admin tokens read them."""
    assert who.workspace_id
    row = await services(request).lookups.get(who.workspace_id, name, key)
    if row is None:
        raise not_found(f"Row {key!r} of lookup table {name!r}")
    return row


@router.delete("/{name}", summary="Drop a lookup table")
async def drop(name: str, request: Request,
               who: Annotated[Caller, Depends(admin_principal)]) -> Any:
    """Delete a table and its rows."""
    assert who.workspace_id
    svc = services(request)
    await svc.lookups.drop(who.workspace_id, name)
    return {"deleted": name}
