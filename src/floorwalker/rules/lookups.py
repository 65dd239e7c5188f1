"""Server-side lookup tables (e.g. products: item_id -> margin, category, stock).

Rules read them; no browser-facing response ever contains a value from them. A table is
replaced as a whole by an import, in one transaction, so readers never see half of one.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.errors import ApiError, not_found
from floorwalker.store.tables import lookup_rows, lookup_tables
from floorwalker.tenancy.keys import new_id

NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_ROWS = 2_000_000
MAX_COLUMNS = 100
CHUNK = 1000
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")
ENCODE = msgspec.json.Encoder()


class LookupTable(msgspec.Struct, kw_only=True):
    """A table's description (never its values)."""

    name: str
    key_field: str
    row_count: int
    updated_at: float


def typed(value: str) -> Any:
    """CSV cells become numbers and booleans where they clearly are."""
    text = value.strip()
    if _NUMBER.match(text):
        number = float(text)
        return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() \
            else number
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    return text


def rows_from_csv(text: str) -> tuple[list[str], Iterator[dict[str, Any]]]:
    """Header and typed rows of a CSV document."""
    reader = csv.DictReader(io.StringIO(text))
    header = list(reader.fieldnames or [])
    if not header:
        raise ApiError(422, "invalid_lookup", "The CSV has no header row.")
    if len(header) > MAX_COLUMNS:
        raise ApiError(422, "invalid_lookup", f"A lookup table has at most {MAX_COLUMNS} columns.")

    def gen() -> Iterator[dict[str, Any]]:
        for row in reader:
            yield {k: typed(v) for k, v in row.items() if k is not None and v is not None}

    return header, gen()


def validate_name(name: str) -> None:
    """422 unless ``name`` is a usable table name."""
    if not NAME.match(name):
        raise ApiError(422, "invalid_lookup_name",
                       "A lookup table name is a lower-case letter then up to 63 letters, "
                       "digits or '_'.")


async def import_rows(conn: AsyncConnection, workspace_id: str, name: str, key_field: str,
                      rows: Iterable[dict[str, Any]],
                      progress: Callable[[int], None] | None = None) -> LookupTable:
    """Replace table ``name`` with ``rows`` keyed by ``key_field`` (caller commits)."""
    validate_name(name)
    existing = (await conn.execute(select(lookup_tables.c.id).where(
        lookup_tables.c.workspace_id == workspace_id, lookup_tables.c.name == name))).scalar()
    now = time.time()
    if existing is None:
        table_id = new_id("lkp")
        await conn.execute(lookup_tables.insert().values(
            id=table_id, workspace_id=workspace_id, name=name, key_field=key_field,
            row_count=0, updated_at=now))
    else:
        table_id = existing
        await conn.execute(delete(lookup_rows).where(lookup_rows.c.table_id == table_id))
    count = 0
    chunk: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(rows):
        key = row.get(key_field)
        if key is None or key == "":
            raise ApiError(422, "invalid_lookup",
                           f"Row {i + 1} has no value for the key field {key_field!r}.",
                           [{"row": i + 1, "field": key_field}])
        chunk[str(key)[:255]] = row  # a repeated key keeps the last row
        if len(chunk) >= CHUNK:
            count += await _write(conn, table_id, chunk)
            if progress:
                progress(count)
        if count + len(chunk) > MAX_ROWS:
            raise ApiError(413, "lookup_too_large",
                           f"A lookup table holds at most {MAX_ROWS} rows.")
    count += await _write(conn, table_id, chunk)
    if progress:
        progress(count)
    total = (await conn.execute(select(func.count()).select_from(lookup_rows).where(
        lookup_rows.c.table_id == table_id))).scalar_one()
    await conn.execute(lookup_tables.update().where(lookup_tables.c.id == table_id).values(
        key_field=key_field, row_count=total, updated_at=now))
    return LookupTable(name=name, key_field=key_field, row_count=total, updated_at=now)


async def _write(conn: AsyncConnection, table_id: str, chunk: dict[str, dict[str, Any]]) -> int:
    if not chunk:
        return 0
    keys = list(chunk)
    await conn.execute(delete(lookup_rows).where(lookup_rows.c.table_id == table_id,
                                                 lookup_rows.c.key.in_(keys)))
    await conn.execute(lookup_rows.insert(), [
        {"table_id": table_id, "key": k, "data": ENCODE.encode(v).decode()}
        for k, v in chunk.items()])
    n = len(chunk)
    chunk.clear()
    return n


async def list_tables(conn: AsyncConnection, workspace_id: str) -> list[LookupTable]:
    """The lookup tables of a workspace."""
    rows = await conn.execute(select(lookup_tables).where(
        lookup_tables.c.workspace_id == workspace_id).order_by(lookup_tables.c.name))
    return [LookupTable(name=r.name, key_field=r.key_field, row_count=r.row_count,
                        updated_at=r.updated_at) for r in rows]


async def delete_table(conn: AsyncConnection, workspace_id: str, name: str) -> None:
    """Drop a lookup table and its rows."""
    table_id = (await conn.execute(select(lookup_tables.c.id).where(
        lookup_tables.c.workspace_id == workspace_id, lookup_tables.c.name == name))).scalar()
    if table_id is None:
        raise not_found(f"Lookup table {name!r}")
    await conn.execute(delete(lookup_rows).where(lookup_rows.c.table_id == table_id))
    await conn.execute(delete(lookup_tables).where(lookup_tables.c.id == table_id))


class LookupStore:
    """Reads lookup rows for the rules engine, cached per table until the next import."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._tables: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}

    def invalidate(self, workspace_id: str, name: str) -> None:
        """Forget a table after it was replaced or dropped."""
        self._tables.pop((workspace_id, name), None)

    async def replace(self, workspace_id: str, name: str, key_field: str,
                      rows: Iterable[dict[str, Any]]) -> LookupTable:
        """Replace a table (see :func:`import_rows`); the rules read it once committed."""
        async with self.engine.begin() as conn:
            table = await import_rows(conn, workspace_id, name, key_field, rows)
        self.invalidate(workspace_id, name)
        return table

    async def drop(self, workspace_id: str, name: str) -> None:
        """Drop a table and its rows."""
        async with self.engine.begin() as conn:
            await delete_table(conn, workspace_id, name)
        self.invalidate(workspace_id, name)

    async def table(self, workspace_id: str, name: str) -> dict[str, dict[str, Any]]:
        """All rows of a table by key (empty when there is no such table)."""
        cached = self._tables.get((workspace_id, name))
        if cached is not None:
            return cached
        async with self.engine.connect() as conn:
            table_id = (await conn.execute(select(lookup_tables.c.id).where(
                lookup_tables.c.workspace_id == workspace_id,
                lookup_tables.c.name == name))).scalar()
            data: dict[str, dict[str, Any]] = {}
            if table_id is not None:
                rows = await conn.execute(select(lookup_rows.c.key, lookup_rows.c.data).where(
                    lookup_rows.c.table_id == table_id))
                data = {k: msgspec.json.decode(v) for k, v in rows}
        self._tables[(workspace_id, name)] = data
        return data

    async def get(self, workspace_id: str, name: str, key: str) -> dict[str, Any] | None:
        """One row, or None."""
        return (await self.table(workspace_id, name)).get(key)
