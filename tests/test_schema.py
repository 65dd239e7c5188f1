"""The migrations build exactly the schema the code declares, on both databases.

A migration that forgets a column, an index or a constraint (or names one differently)
shows up here before it shows up as a failed write in production.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection

from floorwalker.store.engine import make_engine
from floorwalker.store.tables import metadata


def _differences(sync_conn: Connection) -> list[Any]:
    context = MigrationContext.configure(sync_conn, opts={"compare_type": False})
    return list(compare_metadata(context, metadata))


async def test_migrated_database_matches_the_declared_tables(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(_differences)
    finally:
        await engine.dispose()
    assert diff == []
